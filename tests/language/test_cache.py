"""engine.language.cache: a contract checked clean before is compiled without checking it again, with
the same warnings; any change to what the checks read checks again; a broken cache is ignored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.language.cache import cache_dir, checked_contract
from engine.language.load import load_file
from engine.language.loader import check_contract
from engine.model.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parents[2]
WARNING = Diagnostic("a-warning", "kept with the contract", "x.yaml", 3, 1, ("rules", 0, "id"), "warning", "1.2", "hint")


class Counting:
    """check_contract, counted, with a warning added (what a lint finding looks like)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, doc, overrides=None):
        self.calls += 1
        compiled, diags = check_contract(doc, overrides)
        return compiled, [*diags, WARNING]


@pytest.fixture
def contract(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OBLIGO_CACHE", raising=False)
    folder = tmp_path / "contracts"
    folder.mkdir()
    return Path(shutil.copy(ROOT / "contracts" / "olcare.yaml", folder / "olcare.yaml"))


def load(path: Path):
    doc, problems = load_file(path)
    assert doc is not None and not problems
    return doc


def test_a_contract_checked_clean_is_not_checked_again(contract):
    check = Counting()
    first = checked_contract(load(contract), None, check)
    second = checked_contract(load(contract), None, check)
    assert check.calls == 1
    assert second[1] == first[1] == [WARNING]
    assert second[0] is not None and first[0] is not None
    assert (second[0].id, second[0].version, sorted(second[0].severities)) == (
        first[0].id, first[0].version, sorted(first[0].severities))
    checked_contract(load(contract), {"nonexistent": 1}, check)  # other overrides: another key
    assert check.calls == 2


def test_a_changed_file_is_checked_again_and_an_error_is_never_kept(contract):
    check = Counting()
    checked_contract(load(contract), None, check)
    contract.write_text(contract.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    checked_contract(load(contract), None, check)
    assert check.calls == 2
    contract.write_text(contract.read_text(encoding="utf-8").replace("severities:", "severitiez:", 1), encoding="utf-8")
    for _ in range(2):
        compiled, diags = checked_contract(load(contract), None, check)
        assert compiled is None and any(d.severity == "error" for d in diags)
    assert check.calls == 4


def test_off_and_broken_caches_only_check(contract, monkeypatch):
    check = Counting()
    checked_contract(load(contract), None, check)
    directory = cache_dir()
    assert directory is not None
    for kept in directory.iterdir():
        kept.write_text('[{"code": 1', encoding="utf-8")  # corrupt
    assert checked_contract(load(contract), None, check)[1] == [WARNING]
    assert check.calls == 2
    monkeypatch.setenv("OBLIGO_CACHE", "off")
    assert cache_dir() is None
    checked_contract(load(contract), None, check)
    checked_contract(load(contract), None, check)
    assert check.calls == 4
    monkeypatch.delenv("OBLIGO_CACHE")
    shutil.rmtree(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.write_text("a file where the folder should be", encoding="utf-8")  # unwritable: no error
    assert checked_contract(load(contract), None, check)[1] == [WARNING]
    assert checked_contract(load(contract), None, check)[1] == [WARNING]
    assert check.calls == 6

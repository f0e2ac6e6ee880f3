"""engine.language.cache: a hit is what a fresh load gives, and anything the load depends on misses."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, REPO, RULES

from engine.language.cache import SUFFIX, ContractCache, load_contracts_cached
from engine.language.loader import load_contracts
from engine.replay.log import replay
from engine.runtime.engine import Engine

SEEDS = REPO / "contracts"
SAMPLE = REPO / "bench" / "sample-events.jsonl"


class Counting:
    """load_contracts, counting its calls: a hit does not call it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, paths: list[str], overrides: Any) -> Any:
        self.calls += 1
        return load_contracts(paths, overrides)


def replayed(contracts: dict) -> str:
    out = io.StringIO()
    with open(SAMPLE, "rb") as log:
        replay(Engine(contracts), log, out)
    return out.getvalue()


@pytest.fixture
def cache(tmp_path: Path) -> ContractCache:
    return ContractCache(tmp_path / "cache")


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """minimal.yaml and the rule document it includes, in a folder of the test's."""
    folder = tmp_path / "own"
    shutil.copytree(RULES, folder / "rules")
    shutil.copy(MINIMAL, folder / "minimal.yaml")
    return folder


def test_a_hit_replays_the_seed_contracts_as_a_fresh_load(cache: ContractCache) -> None:
    load = Counting()
    fresh, fresh_diags = cache.load([SEEDS], loader=load)
    cached, cached_diags = cache.load([SEEDS], loader=load)
    assert load.calls == 1
    assert sorted(cached) == sorted(fresh) and cached_diags == fresh_diags
    assert cached is not fresh  # read back from the file, not kept in memory
    assert len(list(cache.folder.glob("*" + SUFFIX))) == 1
    assert replayed(cached) == replayed(fresh) == replayed(load_contracts([SEEDS])[0])
    assert replayed(cached)  # the sample log does produce actions


def test_a_changed_contract_or_included_rule_document_misses(cache: ContractCache, own: Path) -> None:
    load = Counting()
    first, _ = cache.load([own], loader=load)
    assert first["minimal"].included == (str((own / "rules" / "clock.yaml").resolve()),)
    cache.load([own], loader=load)
    assert load.calls == 1
    rules = own / "rules" / "clock.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a comment changes the bytes\n", encoding="utf-8")
    cache.load([own], loader=load)
    assert load.calls == 2
    contract = own / "minimal.yaml"
    text = contract.read_text(encoding="utf-8")
    assert "title: " in text
    contract.write_text(text.replace("title: ", "title: Changed ", 1), encoding="utf-8")
    changed, _ = cache.load([own], loader=load)
    assert load.calls == 3 and changed["minimal"].title.startswith("Changed ")
    cache.load([own], loader=load)
    assert load.calls == 3


def test_overrides_and_paths_as_given_are_part_of_the_key(cache: ContractCache, own: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    load = Counting()
    cache.load([own], {"minimal": {"warn_at": [0.2]}}, loader=load)
    cache.load([own], {"minimal": {"warn_at": [0.2]}}, loader=load)
    assert load.calls == 1
    cache.load([own], {"minimal": {"warn_at": [0.3]}}, loader=load)
    cache.load([own], loader=load)
    assert load.calls == 3
    monkeypatch.chdir(own.parent)
    relative, _ = cache.load(["own"], loader=load)
    assert load.calls == 4 and relative["minimal"].file == os.path.join("own", "minimal.yaml")


def test_a_load_with_errors_is_not_stored(cache: ContractCache, own: Path) -> None:
    (own / "minimal.yaml").write_text("id: [not, a, contract]\n", encoding="utf-8")
    load = Counting()
    for _ in range(2):
        contracts, diags = cache.load([own], loader=load)
        assert not contracts and diags
    assert load.calls == 2
    assert not list(cache.folder.glob("*" + SUFFIX))


def test_a_corrupt_entry_is_a_miss_and_is_replaced(cache: ContractCache, own: Path) -> None:
    load = Counting()
    cache.load([own], loader=load)
    [entry] = cache.folder.glob("*" + SUFFIX)
    for garbage in (b"", b"not a pickle", entry.read_bytes()[:100]):
        entry.write_bytes(garbage)
        contracts, _ = cache.load([own], loader=load)
        assert "minimal" in contracts
    assert load.calls == 4
    cache.load([own], loader=load)
    assert load.calls == 4  # the last miss stored a whole entry again


def test_a_folder_others_can_write_is_never_read(tmp_path: Path, own: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    load = Counting()
    for _ in range(2):
        ContractCache(folder).load([own], loader=load)
    assert load.calls == 2 and not list(folder.iterdir())
    made = tmp_path / "made" / "cache"
    ContractCache(made).load([own], loader=load)
    assert made.stat().st_mode & 0o777 == 0o700


def test_only_regular_files_are_hashed_and_a_pipe_is_loaded_uncached(cache: ContractCache, tmp_path: Path) -> None:
    fifo = tmp_path / "contract.yaml"
    os.mkfifo(fifo)
    load = Counting()
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'w').write(open({str(MINIMAL)!r}).read())"])
    try:
        contracts, diags = cache.load([fifo], loader=load)  # would block forever if the cache opened the pipe first
    finally:
        writer.wait(timeout=30)
    assert load.calls == 1
    assert not list(cache.folder.glob("*" + SUFFIX))
    assert diags  # its include (rules/clock.yaml) is not beside the pipe: the load says so, uncached


def test_the_least_recently_used_entries_go_first(tmp_path: Path, own: Path) -> None:
    cache = ContractCache(tmp_path / "cache", max_entries=2)
    for tenths in (1, 2, 3):
        cache.load([own], {"minimal": {"warn_at": [tenths / 10]}})
    assert len(list(cache.folder.glob("*" + SUFFIX))) == 2
    load = Counting()
    cache.load([own], {"minimal": {"warn_at": [0.1]}}, loader=load)
    assert load.calls == 1  # the oldest was removed
    cache.load([own], {"minimal": {"warn_at": [0.3]}}, loader=load)
    assert load.calls == 1


def test_the_environment_names_the_folder_or_turns_the_cache_off(tmp_path: Path, own: Path) -> None:
    assert ContractCache.from_environment({"OBLIGO_CACHE": "off", "OBLIGO_CACHE_DIR": "/x"}) is None
    assert ContractCache.from_environment({"OBLIGO_CACHE_DIR": "/x", "HOME": "/h"}) == ContractCache(Path("/x"))
    assert ContractCache.from_environment({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == ContractCache(Path("/c/obligo"))
    assert ContractCache.from_environment({"HOME": "/h"}) == ContractCache(Path("/h/.cache/obligo"))
    assert ContractCache.from_environment({}) is None
    off = load_contracts_cached([own], environ={"OBLIGO_CACHE": "0", "HOME": str(tmp_path)})
    assert "minimal" in off[0] and not (tmp_path / ".cache").exists()
    on = load_contracts_cached([own], environ={"HOME": str(tmp_path)})
    assert sorted(on[0]) == ["minimal"] and list((tmp_path / ".cache" / "obligo").glob("*" + SUFFIX))


def test_a_hit_does_not_import_the_checking_pipeline(tmp_path: Path) -> None:
    """What the cache is for: the YAML reader, the JSON Schema and the checks are not imported; nor
    is any country's holiday module (the calendars' countries were checked before they were stored:
    a country's holidays are read when a ticket first needs them)."""
    probe = ("import sys; from engine.language.cache import ContractCache; from pathlib import Path; "
             f"c, d = ContractCache(Path({str(tmp_path / 'c')!r})).load([{str(SEEDS)!r}]); "
             "print(len(c), sorted(m for m in ('engine.language.loader', 'yaml', 'jsonschema') if m in sys.modules), "
             "any(m.startswith('holidays.countries.') for m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=120) for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["5 ['engine.language.loader', 'jsonschema', 'yaml'] True",
                                                "5 [] False"], runs

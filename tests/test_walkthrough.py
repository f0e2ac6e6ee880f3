"""docs/FORMAT.md "Write your own contract": the walk-through is followed literally, in an empty
folder, and every output it shows is what obligo prints. (tests/test_wheel.py does the same kind of
thing with the installed wheel; this one keeps the document honest in every `make test`.)"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import REPO

from engine.cli.main import main

FORMAT = REPO / "docs" / "FORMAT.md"


def _section() -> str:
    text = FORMAT.read_text(encoding="utf-8")
    start = text.index("## Write your own contract: a walk-through")
    return text[start: text.index("\n## ", start + 1)]


def _steps() -> dict[str, list[tuple[str, str]]]:
    """Step title -> its fenced blocks as (language, body)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for part in re.split(r"\n### ", _section())[1:]:
        title, _, body = part.partition("\n")
        out[title] = re.findall(r"```(\w+)\n(.*?)```", body, re.S)
    return out


def _blocks(step: str, lang: str) -> list[str]:
    found = [body for kind, body in STEPS[next(t for t in STEPS if t.startswith(step))] if kind == lang]
    assert found, f"{step} has no {lang} block"
    return found


STEPS = _steps()


def obligo(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def _shown(console: str) -> list[tuple[str, list[str]]]:
    """`$ command` lines of a console block, each with the lines shown after it."""
    runs: list[tuple[str, list[str]]] = []
    for line in console.splitlines():
        if line.startswith("$ "):
            runs.append((line[2:], []))
        elif runs:
            runs[-1][1].append(line)
    return runs


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder holding the contract of steps 1-4 and the scenario file of step 6."""
    contract = "".join(_blocks(f"Step {n}", "yaml")[0] for n in (1, 2, 3, 4))
    (tmp_path / "northwind.yaml").write_text(contract, encoding="utf-8")
    (tmp_path / "northwind.tests.yaml").write_text(_blocks("Step 6", "yaml")[0], encoding="utf-8")
    (tmp_path / "events.jsonl").write_text(_blocks("Step 7", "json")[0], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_walkthrough_contract_validates_as_shown(folder):
    command, shown = _shown(_blocks("Step 5", "console")[0])[0]
    assert command == "obligo validate northwind.yaml"
    code, out, err = obligo("validate", "northwind.yaml")
    assert (code, out.splitlines(), err) == (0, shown, "")


def test_the_walkthrough_mistakes_are_reported_as_shown(folder):
    text = (folder / "northwind.yaml").read_text(encoding="utf-8")
    text = text.replace("clause: ND-PRIO, definition: service down", "clause: ND-PRO, definition: service down", 1)
    (folder / "northwind.yaml").write_text(text + _blocks("Step 5", "yaml")[0], encoding="utf-8")
    _, shown = _shown(_blocks("Step 5", "console")[1])[0]
    code, out, err = obligo("validate", "northwind.yaml")
    assert code == 1 and out == ""
    assert err.splitlines() == shown


def test_the_walkthrough_scenario_passes_as_shown(folder):
    command, shown = _shown(_blocks("Step 6", "console")[0])[0]
    assert command == "obligo test ."
    code, out, err = obligo("test", ".")
    assert code == 0, out + err
    assert out.splitlines()[-len(shown):] == shown


def test_the_walkthrough_replay_prints_and_rejects_as_shown(folder):
    command, shown = _shown(_blocks("Step 7", "console")[0])[0]
    assert command == "obligo replay --contracts northwind.yaml --rejects rejects.jsonl events.jsonl > actions.jsonl"
    code, out, err = obligo("replay", "--contracts", "northwind.yaml", "--rejects", "rejects.jsonl", "events.jsonl")
    assert code == 0 and err.splitlines() == shown
    actions = [json.loads(line) for line in out.splitlines()]
    assert all(a["rule"] and a["clause"] and a["reason"] for a in actions)
    reject = json.loads((folder / "rejects.jsonl").read_text(encoding="utf-8"))
    shown_reject = _blocks("Step 7", "text")[0].strip()
    assert shown_reject.startswith(json.dumps({k: reject[k] for k in ("line", "code", "reason")})[:-1] + ", ...}")


def _step8(folder: Path) -> list[tuple[str, list[str]]]:
    """Step 8's console blocks; the `sed` of the first is done here (no shell in the test)."""
    runs = [run for block in _blocks("Step 8", "console") for run in _shown(block)]
    sed = runs[0][0]
    assert sed.startswith("sed ") and sed.endswith(" northwind.yaml > northwind-2028.yaml")
    text = (folder / "northwind.yaml").read_text(encoding="utf-8")
    for old, new in re.findall(r"-e 's/\^?(.*?)/(.*?)/'", sed):
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "northwind-2028.yaml").write_text(text, encoding="utf-8")
    return runs[1:]


def test_the_walkthrough_new_version_validates_tests_and_shows_as_shown(folder):
    validate, overlap, test, show = _step8(folder)
    assert validate[0] == "obligo validate ."
    code, out, err = obligo("validate", ".")
    assert (code, out.splitlines(), err) == (0, validate[1], "")
    # the overlap shown: version 1 with an end date after version 2's start
    text = (folder / "northwind.yaml").read_text(encoding="utf-8")
    (folder / "northwind.yaml").write_text(text.replace("effective_from: 2027-01-01\n",
                                                        "effective_from: 2027-01-01\neffective_to: 2028-06-30\n"),
                                           encoding="utf-8")
    code, out, err = obligo("validate", ".")
    assert (code, out, err.splitlines()) == (1, "", overlap[1])
    (folder / "northwind.yaml").write_text(text, encoding="utf-8")
    (folder / "versions.tests.yaml").write_text(_blocks("Step 8", "yaml")[0], encoding="utf-8")
    assert test[0] == "obligo test ."
    code, out, err = obligo("test", ".")
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-len(test[1]):] == test[1]
    assert show[0] == "obligo show ."
    code, out, err = obligo("show", ".")
    assert (code, err) == (0, "")
    assert out.splitlines()[:len(show[1])] == show[1]


def test_the_walkthrough_versions_replay_each_ticket_under_its_own(folder):
    _step8(folder)
    (folder / "late.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [
        {"id": "a", "ticket": "INC-7", "at": "2027-12-31T10:00:00+01:00", "type": "opened", "contract": "northwind",
         "attrs": {"severity": "P3", "status": "new"}},
        {"id": "b", "ticket": "INC-8", "at": "2028-01-03T10:00:00+01:00", "type": "opened", "contract": "northwind",
         "attrs": {"severity": "P3", "status": "new"}},
        {"id": "c", "ticket": "INC-9", "at": "2026-12-31T10:00:00+01:00", "type": "opened", "contract": "northwind",
         "attrs": {"severity": "P3", "status": "new"}}]), encoding="utf-8")
    code, out, err = obligo("replay", "--contracts", ".", "--rejects", "rejects.jsonl", "late.jsonl")
    assert code == 0, err
    starts = {(a["ticket"], a["version"], a["due"]) for a in map(json.loads, out.splitlines())
              if a["action"] == "start_clock" and a["clock"] == "resolution"}
    assert starts == {("INC-7", "1", "2028-01-07T09:00:00Z"), ("INC-8", "2", "2028-01-06T09:00:00Z")}
    reject = json.loads((folder / "rejects.jsonl").read_text(encoding="utf-8"))
    assert reject["code"] == "no-version-in-force"

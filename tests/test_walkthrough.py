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

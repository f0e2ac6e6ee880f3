"""Versions in force in the engine, snapshots, the live store, scenarios, `show` and replay:
docs/INTERFACE.md "Contract versions and what-if". Contract: tests/fixtures/valid/minimal.yaml
(P2 response 2 business hours on Mon-Fri 09:00-17:00 London) as version 1.0 from 2026-01-01, and
version 2.0 (P2 response 1 business hour) from 2027-01-01 (tests/language/test_versions.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from language.test_versions import VALID, two_versions

from engine import Engine
from engine.cli.main import main
from engine.language.loader import load_contracts
from engine.model.events import EventError
from engine.runtime import snapshot
from engine.store.sqlite import Store


def opened(ticket: str, at: str, eid: str | None = None) -> dict:
    return {"id": eid or f"{ticket}-open", "ticket": ticket, "at": at, "type": "opened", "contract": "minimal",
            "attrs": {"plan": "standard", "severity": "P2"}}


def responded(ticket: str, at: str) -> dict:
    return {"id": f"{ticket}-resp", "ticket": ticket, "at": at, "type": "responded"}


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    return two_versions(tmp_path / "contracts")


def test_a_ticket_runs_its_whole_life_under_the_version_in_force_when_it_opened(versions):
    engine = Engine.load([versions])
    # Thu 2026-12-31 10:00Z (London = UTC in winter) under 1.0: 2 business hours -> 12:00Z
    a = engine.process(opened("A", "2026-12-31T10:00:00Z"))
    # Mon 2027-01-04 10:00Z under 2.0: 1 business hour -> 11:00Z
    b = engine.process(opened("B", "2027-01-04T10:00:00Z"))
    late = engine.process(responded("A", "2027-01-04T10:30:00Z"))  # after 2.0 began: still 1.0
    start_a = next(x for x in a if x.action == "start_clock")
    start_b = next(x for x in b if x.action == "start_clock")
    assert (start_a.version, start_a.target, start_a.due) == ("1.0", "2 hours", engine.tickets["A"].clocks["response"].due)
    assert start_a.to_dict()["due"] == "2026-12-31T12:00:00Z"
    assert (start_b.version, start_b.target, start_b.to_dict()["due"]) == ("2.0", "1 hour", "2027-01-04T11:00:00Z")
    assert [(x.ticket, x.action, x.version) for x in b] == [  # A's deadlines, passed by B's event
        ("A", "warn", "1.0"), ("A", "breach", "1.0"), ("B", "start_clock", "2.0")]
    assert [(x.action, x.version, x.met) for x in late] == [("stop_clock", "1.0", False)]
    assert (engine.tickets["A"].contract, engine.tickets["B"].contract) == ("minimal@1.0", "minimal@2.0")


def test_the_first_instant_of_a_version_belongs_to_it(versions):
    engine = Engine.load([versions])
    engine.process(opened("A", "2026-12-31T23:59:59Z"))
    engine.process(opened("B", "2027-01-01T00:00:00Z"))
    assert (engine.tickets["A"].contract, engine.tickets["B"].contract) == ("minimal@1.0", "minimal@2.0")


@pytest.mark.parametrize("at", ["2025-12-31T23:59:59Z", "2027-01-05T12:00:00Z"])
def test_an_opened_when_no_version_is_in_force_is_a_reject_with_its_code(tmp_path, at):
    engine = Engine.load([two_versions(tmp_path, v2_from="2027-01-10", v1_to="2026-12-31")])
    with pytest.raises(EventError) as info:
        engine.process(opened("A", at))
    assert info.value.code == "no-version-in-force"
    assert str(info.value) == (
        f"no version of contract 'minimal' is in force on {at} (in force: version 1.0 from 2026-01-01 to 2026-12-31 "
        "(Europe/London); version 2.0 from 2027-01-10 (Europe/London))")
    assert engine.tickets == {}


def test_a_single_version_is_in_force_from_its_effective_from_too():
    engine = Engine.load([VALID])
    with pytest.raises(EventError) as info:
        engine.process(opened("A", "2025-06-01T10:00:00Z"))
    assert info.value.code == "no-version-in-force"
    engine.process(opened("B", "2026-01-01T00:00:00Z"))
    assert engine.tickets["B"].contract == "minimal"


def test_unknown_contract_and_mismatch_speak_of_contract_ids_not_keys(versions):
    engine = Engine.load([versions])
    with pytest.raises(EventError) as info:
        engine.process({**opened("A", "2026-03-02T10:00:00Z"), "contract": "minimal@1.0"})
    assert (info.value.code, str(info.value)) == ("unknown-contract", "unknown contract 'minimal@1.0'; loaded: minimal")
    engine.process(opened("A", "2026-03-02T10:00:00Z"))
    with pytest.raises(EventError) as info:
        engine.process({**responded("A", "2026-03-02T10:30:00Z"), "contract": "other"})
    assert str(info.value) == "ticket 'A' belongs to contract 'minimal', event says 'other'"
    engine.process({**responded("A", "2026-03-02T10:31:00Z"), "id": "r2", "contract": "minimal"})


def test_a_snapshot_taken_with_one_version_restores_when_a_second_is_loaded_and_back(versions):
    one = Engine.load([VALID])
    one.process(opened("A", "2026-12-31T10:00:00Z"))
    data = json.loads(json.dumps(one.snapshot()))
    both = Engine.restore(load_contracts([versions])[0], data)
    assert both.tickets["A"].contract == "minimal@1.0"
    actions = both.process(responded("A", "2026-12-31T11:00:00Z")) + both.process(opened("B", "2027-01-04T10:00:00Z"))
    assert [(x.ticket, x.action, x.version) for x in actions] == [
        ("A", "stop_clock", "1.0"), ("B", "start_clock", "2.0")]
    only_a = Engine.load([versions])
    only_a.process(opened("A", "2026-12-31T10:00:00Z"))
    back = Engine.restore(load_contracts([VALID])[0], json.loads(json.dumps(only_a.snapshot())))
    assert back.tickets["A"].contract == "minimal"  # the second version dropped: its key is the id again


def test_the_live_store_keeps_old_tickets_on_their_version_when_a_new_one_is_loaded(tmp_path, versions):
    path = tmp_path / "store.db"
    store = Store.open(path, load_contracts([VALID])[0])
    store.post([json.dumps(opened("A", "2026-12-31T10:00:00Z"))])
    store.close()
    store = Store.open(path, load_contracts([versions])[0])
    result = store.post([json.dumps(responded("A", "2026-12-31T11:00:00Z")), json.dumps(opened("B", "2027-01-04T10:00:00Z"))])
    assert result.rejected == []
    view_a, view_b = store.ticket("A"), store.ticket("B")
    assert (view_a["contract"], view_a["version"], view_b["contract"], view_b["version"]) == ("minimal", "1.0", "minimal", "2.0")
    store.close()
    with pytest.raises(Exception) as info:  # B was opened under 2.0: 1.0 alone cannot hold it
        Store.open(path, load_contracts([VALID])[0]).post([])
    assert getattr(info.value, "code", None) == "store-contracts"


def test_snapshot_restore_into_check_sees_a_missing_version(versions):
    both = Engine.load([versions])
    both.process(opened("B", "2027-01-04T10:00:00Z"))
    with pytest.raises(snapshot.SnapshotError) as info:
        Engine.restore(load_contracts([VALID])[0], json.loads(json.dumps(both.snapshot())))
    assert info.value.code == "snapshot-contract-version"
    assert str(info.value) == "the snapshot was taken with contract 'minimal' version 2.0; loaded: version 1.0"


SCENARIOS = """\
contract: minimal
scenarios:
  - name: a ticket opened under 1.0 keeps 2 business hours
    events: [{at: "2026-12-31T10:00:00Z", type: opened, attrs: {plan: standard, severity: P2}}]
    expect: [{action: start_clock, clock: response, version: "1.0", due: "2026-12-31T12:00:00Z"}]
  - name: a ticket opened under 2.0 has 1 business hour
    events: [{at: "2027-01-04T10:00:00Z", type: opened, attrs: {plan: standard, severity: P2}}]
    expect: [{action: start_clock, clock: response, version: "2.0", due: "2027-01-04T11:00:00Z"}]
  - name: version 1.0 alone, after 2.0 began
    version: "1.0"
    events: [{at: "2027-01-04T10:00:00Z", type: opened, attrs: {plan: standard, severity: P2}}]
    expect: [{action: start_clock, clock: response, version: "1.0", due: "2027-01-04T12:00:00Z"}]
"""


def obligo(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_scenarios_run_every_version_or_the_one_they_name(versions):
    (versions / "minimal.tests.yaml").write_text(SCENARIOS, encoding="utf-8")
    code, out, err = obligo("test", "--coverage", str(versions))
    assert (code, err) == (0, ""), out
    assert "3 passed, 0 failed" in out
    assert "coverage minimal@1.0:" in out and "coverage minimal@2.0:" in out


def test_a_scenario_naming_a_version_not_loaded_is_an_error_at_that_scenario(versions):
    (versions / "minimal.tests.yaml").write_text(SCENARIOS.replace('version: "1.0"', 'version: "3.0"'), encoding="utf-8")
    code, out, err = obligo("test", str(versions))
    assert code == 1
    assert f"minimal.tests.yaml:9:5: unknown-contract: no contract 'minimal' version '3.0' in {versions} " \
           "(versions: 1.0, 2.0)" in err


def test_show_lists_the_versions_and_shows_the_latest_or_the_one_asked(versions, monkeypatch):
    monkeypatch.chdir(versions)
    code, out, err = obligo("show", ".")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "minimal: 2 versions; a ticket runs under the version in force when it is opened"
    assert lines[3].split() == ["1.0", "2026-01-01", "the", "next", "version", "Europe/London", "minimal.yaml"]
    assert lines[4].split() == ["2.0", "2027-01-01", "open-ended", "Europe/London", "minimal-2.yaml"]
    assert "showing version 2.0 (--version V for another)" in out and "[minimal v2.0]" in out
    code, out, _ = obligo("show", "--version", "1.0", ".")
    assert code == 0 and "[minimal v1.0]" in out and "[minimal v2.0]" not in out
    code, _, err = obligo("show", "--version", "9", ".")
    assert (code, err) == (2, "obligo show: no version '9' loaded (versions: 1.0, 2.0)\n")


def test_replay_gives_each_ticket_its_version_and_rejects_a_ticket_before_the_first(versions, tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in [
        opened("Z", "2025-06-02T10:00:00Z"), opened("A", "2026-12-31T10:00:00Z"), opened("B", "2027-01-04T10:00:00Z"),
        responded("A", "2027-01-04T10:30:00Z"), responded("B", "2027-01-04T10:30:00Z")]), encoding="utf-8")
    code, out, err = obligo("replay", "--contracts", str(versions), "--rejects", str(tmp_path / "rejects.jsonl"), str(log))
    assert code == 0, err
    actions = [json.loads(line) for line in out.splitlines()]
    assert {(a["ticket"], a["version"]) for a in actions} == {("A", "1.0"), ("B", "2.0")}
    (reject,) = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (reject["line"], reject["code"]) == (1, "no-version-in-force")


def test_readme_versions_example_runs_as_written(tmp_path, monkeypatch):
    """README "Versions in force": the commands as written (paths under /tmp moved to a temporary
    folder), every output line shown, and the counts of actions per version."""
    import re
    import shlex
    import subprocess

    from runtime_fixtures.helpers import REPO, load_bench_generator

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Versions in force"):]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    commands = [x[2:] for x in lines if x.startswith("$ ")]
    assert commands[0] == "python bench/generate.py --tickets 1000 --seed 1 --out /tmp/log.jsonl"
    gen = load_bench_generator()
    with (tmp_path / "log.jsonl").open("w", encoding="utf-8") as stream:
        gen.write_jsonl(gen.generate(1000, 1), stream)
    monkeypatch.chdir(REPO)
    assert commands[1] == "mkdir /tmp/versions && cp contracts/*.yaml /tmp/versions/"
    (tmp_path / "versions").mkdir()
    for path in (REPO / "contracts").glob("*.yaml"):
        (tmp_path / "versions" / path.name).write_bytes(path.read_bytes())
    assert commands[2].startswith("sed ")
    sed = subprocess.run(shlex.split(commands[2].replace("/tmp/", f"{tmp_path}/").partition(" > ")[0]),
                         capture_output=True, text=True, check=True)
    (tmp_path / "versions" / "progr1-amended.yaml").write_text(sed.stdout, encoding="utf-8")
    outputs = {}
    monkeypatch.chdir(tmp_path)  # relative paths: a long temporary path would wrap show's table
    for command in commands[3:5]:
        argv = [a.replace("/tmp/", "") for a in shlex.split(command)[1:]]
        code, out, err = obligo(*argv)
        assert code == 0, err
        outputs[command] = (out + err).replace("versions/", "/tmp/versions/")
    shown_show = [x for x in lines[lines.index("$ " + commands[3]) + 1:] if not x.startswith("$")][:6]
    def words(text_lines: list[str]) -> list[list[str]]:  # column widths follow the paths' length
        return [x.split() for x in text_lines if set(x) - {"-", " "}]

    assert words(outputs[commands[3]].splitlines()[:6]) == words(shown_show)
    actions = (tmp_path / "actions.jsonl").read_text(encoding="utf-8")
    counts = sorted(set(re.findall(r'"contract":"progr1","version":"[0-9.]*"', actions)))
    shown_counts = [x.split(None, 1) for x in lines if x.strip().endswith('"') and x.strip()[0].isdigit()]
    assert [(str(actions.count(c)), c) for c in counts] == [(n, c) for n, c in shown_counts]
    assert commands[6] == "obligo test /tmp/versions/progr1.tests.yaml"
    code, out, _ = obligo("test", "versions/progr1.tests.yaml")
    assert code == 1 and out.splitlines()[-1] == lines[-1] == "33 passed, 2 failed"


def test_the_report_lists_the_versions_and_gives_figures_per_version(versions, tmp_path):
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in [
        opened("A", "2026-12-31T10:00:00Z"), opened("B", "2027-01-04T10:00:00Z"),
        responded("A", "2027-01-04T10:30:00Z"), responded("B", "2027-01-04T10:30:00Z")]), encoding="utf-8")
    code, out, err = obligo("report", "--contracts", str(versions), "--html", str(tmp_path / "r.html"), str(log))
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line.startswith("minimal ")]
    assert rows == [["minimal", "1.0", "response", "P2", "1", "-", "1", "-", "-", "0.0"],
                    ["minimal", "2.0", "response", "P2", "1", "1", "-", "-", "-", "100.0"]]
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<h3>Versions in force</h3>" in page
    assert (f"<tr><td>minimal</td><td>1.0</td><td>2026-01-01</td><td>the next version</td><td>Europe/London</td>"
            f"<td>{versions / 'minimal.yaml'}</td></tr>") in page
    code, _, err = obligo("report", "--contracts", str(VALID), "--html", str(tmp_path / "one.html"), str(log))
    assert code == 0, err
    assert "Versions in force" not in (tmp_path / "one.html").read_text(encoding="utf-8")

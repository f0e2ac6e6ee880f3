"""`obligo import` and `obligo replay --mapping` end to end on the small fixture; exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from engine.cli.main import main

HERE = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_import_writes_events_and_rejects(tmp_path):
    code, _, err = cli("import", "--mapping", str(HERE / "desk.yaml"), str(HERE / "desk.csv"),
                       "--out", str(tmp_path / "e.jsonl"), "--rejects", str(tmp_path / "r.jsonl"))
    assert code == 0
    assert err.startswith("obligo import: rows 12, tickets 2, events 13, rejects 4 ")
    events = [json.loads(line) for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert len(events) == 13 and events[0]["id"] == "T2:7:opened"
    rejects = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [(r["line"], r["column"], r["code"]) for r in rejects][0] == (8, "state", "import-unknown-state")
    assert set(rejects[0]) == {"file", "line", "column", "code", "reason", "input"}


def test_import_twice_same_bytes(tmp_path):
    for name in ("a", "b"):
        assert cli("import", "--mapping", str(HERE / "desk.yaml"), str(HERE / "desk.csv"),
                   "--out", str(tmp_path / f"{name}.jsonl"))[0] == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_bad_mapping_is_located_exit_1():
    code, out, err = cli("import", "--mapping", str(HERE / "bad-timezone.yaml"), str(HERE / "desk.csv"))
    assert code == 1 and out == ""
    assert err == (f"{HERE / 'bad-timezone.yaml'}:8:13: unknown-timezone: 'Europe/Amsterdm' is not an IANA time zone "
                   "name this machine knows (e.g. Europe/Amsterdam, UTC) (at $.instant.timezone)\n")


def test_missing_input_and_bad_set_are_usage_errors(tmp_path):
    code, _, err = cli("import", "--mapping", str(HERE / "desk.yaml"), str(tmp_path / "nope.csv"))
    assert code == 2 and "No such file" in err
    code, _, err = cli("import", "--mapping", str(HERE / "desk.yaml"), str(HERE / "desk.csv"), "--set", "contract")
    assert code == 2 and "FIELD=VALUE" in err


def test_hostile_xes_is_a_usage_error_not_a_crash(tmp_path):
    mapping = tmp_path / "x.yaml"
    mapping.write_text("id: x\ninput: {format: xes}\ncontract: c\nticket: 'case:concept:name'\n"
                       "instant: {column: 'time:timestamp', format: iso}\n"
                       "states: {column: 'concept:name', mode: every, values: {A: {status: a}}}\n", encoding="utf-8")
    code, _, err = cli("import", "--mapping", str(mapping), str(HERE / "laughs.xes"))
    assert code == 2 and "hostile-xml" in err and "laughs.xes:3" in err


def test_replay_mapping_runs_a_contract_on_an_export(tmp_path):
    contract = tmp_path / "desk-sla.yaml"
    contract.write_text(
        "id: desk-sla\ntitle: t\nversion: '1'\neffective_from: 2026-01-01\nsource: test\n"
        "clauses: {DS-RES: {text: 'resolved within 4 hours'}}\nparties: {vendor: v, customer: c}\n"
        "calendars: {utc: {clause: DS-RES, timezone: UTC, hours: {mon-sun: [\"00:00-24:00\"]}}}\n"
        "severities:\n  - {id: P1, name: high, clause: DS-RES, definition: d}\n"
        "  - {id: P2, name: medium, clause: DS-RES, definition: d}\n  - {id: P3, name: low, clause: DS-RES, definition: d}\n"
        "targets:\n  - {id: res, clock: resolution, clause: DS-RES, calendar: 24x7, all: 4 hours}\n"
        "include:\n  - rules: sla-clock\n    as: res\n"
        "    with: {clock: resolution, clause: DS-RES, start_on: [opened], stop_on: [resolved]}\n", encoding="utf-8")
    code, out, err = cli("replay", "--contracts", str(contract), "--mapping", str(HERE / "desk.yaml"),
                         str(HERE / "desk.csv"), "--rejects", str(tmp_path / "r.jsonl"))
    assert code == 0, err
    actions = [json.loads(line) for line in out.splitlines()]
    # T1 opened 09:00+01:00 (08:00Z), resolved 12:00+01:00 (11:00Z): 3 h of 4; T2 resolved at its opening
    stops = {(a["ticket"], a["at"], a["met"]) for a in actions if a["action"] == "stop_clock"}
    assert stops == {("T1", "2026-03-02T11:00:00Z", True), ("T2", "2026-03-02T07:00:00Z", True)}
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(x)["code"].startswith("import-") for x in lines)
    assert "imported rows 12, tickets 2, events 13, rejects 4" in err

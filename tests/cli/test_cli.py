"""engine.cli: `obligo replay` / `validate` exit codes, files and messages (docs/INTERFACE.md "Command line").

Exit codes: 0 processed (rejects do not change it), 1 invalid contract, 2 usage error, 3 --strict with
rejects. Fixture contract acme (Paris CET = UTC+1; 2026-03-02 is a Monday).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_fixtures.helpers import (
    ACME,
    AGENDA,
    ATTRS_S2,
    CONTRACTS,
    MESSY_LOG,
    MINI,
    REPO,
    ev,
    jsonl,
    write,
)

from engine.cli.main import main

REAL = ("adobe", "olcare", "microsoft-unified", "opentext-corefax", "progr1")
WARNING = re.compile(r"^\S+:\d+:\d+: warning: ")
SUMMARY = "obligo replay: events 3, actions 5, rejects 6, duplicates 1 (start_clock 4, stop_clock 1)"


def cli(*argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `obligo ARGV`; stderr without the contracts' warnings (the
    fixtures declare no `attributes:`, which warns: engine.language.attributes), so that what is
    asserted here is the command's own output."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv], out, err)
    own = [line for line in err.getvalue().splitlines(keepends=True) if not WARNING.match(line)]
    return code, out.getvalue(), "".join(own)


def replay_acme(tmp_path: Path, *extra: str, log: str = MESSY_LOG) -> tuple[int, str, str]:
    events = write(tmp_path / "events.jsonl", log)
    return cli("replay", "--contracts", ACME, *extra, events)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- replay ---------------------------------------------------------------------------------

def test_replay_prints_actions_and_a_summary_and_keeps_rejects(tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = replay_acme(tmp_path, "--rejects", rejects)
    assert code == 0
    actions = lines(out)
    assert [(a["ticket"], a["action"], a.get("clock")) for a in actions] == [
        ("T1", "start_clock", "response"), ("T1", "start_clock", "resolution"),
        ("T3", "start_clock", "response"), ("T3", "start_clock", "resolution"), ("T1", "stop_clock", "response")]
    assert err.splitlines() == [SUMMARY]
    kept = lines(rejects.read_text(encoding="utf-8"))
    assert [r["line"] for r in kept] == [2, 3, 4, 5, 6, 11]
    assert all(r["reason"] and "input" in r for r in kept)


def test_replay_without_rejects_file_says_rejects_were_not_kept(tmp_path):
    code, _, err = replay_acme(tmp_path)
    assert code == 0
    assert err.splitlines() == [SUMMARY, "obligo replay: rejected lines were not kept; pass --rejects FILE to keep them"]


def test_strict_exits_3_with_rejects_and_0_without(tmp_path):
    assert replay_acme(tmp_path, "--strict")[0] == 3
    clean = jsonl(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2))
    assert replay_acme(tmp_path, "--strict", log=clean)[0] == 0


def test_out_file_and_stdin(tmp_path, monkeypatch):
    target = tmp_path / "actions.jsonl"
    code, out, _ = replay_acme(tmp_path, "--out", target)
    assert code == 0 and out == ""
    from_file = target.read_text(encoding="utf-8")
    code, out, _ = cli("replay", "--contracts", ACME, "-", stdin=MESSY_LOG, monkeypatch=monkeypatch)
    assert code == 0 and out == from_file and len(lines(out)) == 5


def test_until_fires_later_deadlines(tmp_path):
    # T3 response breach 13:30Z; T1 resolution breach Thu 03-05 09:00Z + escalation to the manager
    code, out, _ = replay_acme(tmp_path, "--until", "2026-03-05T10:00:00+01:00")
    assert code == 0
    assert [(a["ticket"], a["action"], a["at"]) for a in lines(out)[5:]] == [
        ("T3", "breach", "2026-03-02T13:30:00Z"), ("T1", "breach", "2026-03-05T09:00:00Z"),
        ("T1", "escalate", "2026-03-05T09:00:00Z")]


def test_events_after_until_are_counted_not_evaluated(tmp_path):
    # --until 09:15Z: only T1's opened (09:00Z) and its duplicate are evaluated; T3's opened (09:30Z),
    # T9's responded (10:00Z, would be a reject) and T1's responded (11:00Z) are later: 3 not evaluated.
    # Rejects: lines 2, 3, 6, 11 (parse or before) and 4 (T2's opened of contract nosuch, 09:10Z) = 5
    code, out, err = replay_acme(tmp_path, "--until", "2026-03-02T09:15:00Z")
    assert code == 0
    assert [a["ticket"] for a in lines(out)] == ["T1", "T1"]
    assert "events 1, actions 2, rejects 5, duplicates 1, after --until 3" in err


def test_param_override(tmp_path):
    code, out, _ = replay_acme(tmp_path, "--param", "acme.warn_at=[0.5]", "--until", "2026-03-02T12:00:00Z")
    # T1 response 50 % = 2 business hours: Mon 12:00 Paris = 11:00Z; T3: 12:30 Paris = 11:30Z. T1's
    # responded is also at 11:00Z: docs/INTERFACE.md fires every deadline <= t before the event at t, and only
    # a breach of the event's own ticket waits (so that a goal event at `due` meets it), so T1 warns.
    warns = [(a["ticket"], a["at"], a["elapsed_ratio"]) for a in lines(out) if a["action"] == "warn"]
    assert code == 0 and warns == [("T1", "2026-03-02T11:00:00Z", 0.5), ("T3", "2026-03-02T11:30:00Z", 0.5)]


@pytest.mark.parametrize("value", ["[" * 600, "&a [*a]"])
def test_a_hostile_param_value_is_a_usage_error_not_a_crash(tmp_path, value):
    # yaml.safe_load raised RecursionError on 600 '[' (exit 70); values are read under the file limits
    code, out, err = replay_acme(tmp_path, "--param", f"acme.silence={value}")
    assert code in (1, 2) and out == "" and "Traceback" not in err and "internal error" not in err
    assert "acme.silence" in err or "silence" in err


def test_trace_writes_one_line_per_fired_rule(tmp_path):
    trace = tmp_path / "trace.jsonl"
    code, _, _ = replay_acme(tmp_path, "--trace", trace)
    assert code == 0
    records = lines(trace.read_text(encoding="utf-8"))
    # e1 (T1 opened): response.start, resolution.start; e7 (T3 opened): the same two;
    # e9 (T1 responded): response.stop, and update.restart (fires; S2 has no update target)
    assert [(r["event"], r["rule"], r["clause"]) for r in records] == [
        ("e1", "acme.response.start", "TST-RT"), ("e1", "acme.resolution.start", "TST-RES"),
        ("e7", "acme.response.start", "TST-RT"), ("e7", "acme.resolution.start", "TST-RES"),
        ("e9", "acme.response.stop", "TST-RT"), ("e9", "acme.update.restart", "TST-UPD")]
    assert all(r["contract"] == "acme" and r["version"] == "1.0" for r in records)
    assert records[0]["facts"] == {"state.clock.response": None, "state.vars.excluded": None}
    assert records[4]["facts"] == {"state.clock.response": "running"}
    assert records[4]["at"] == "2026-03-02T11:00:00Z" and records[4]["ticket"] == "T1" and records[4]["trigger"] == "responded"


def test_trace_of_a_deadline_firing_has_no_event_id(tmp_path):
    trace = tmp_path / "trace.jsonl"
    replay_acme(tmp_path, "--trace", trace, "--until", "2026-03-05T09:00:00Z")
    record = lines(trace.read_text(encoding="utf-8"))[-1]
    assert (record["event"], record["trigger"], record["rule"]) == (None, "breach", "acme.resolution-breach-escalates")
    assert record["facts"] == {"event.clock": "resolution"}


# --- contract errors and usage errors ---------------------------------------------------------

def broken_contract(tmp_path: Path) -> tuple[Path, int, int]:
    """mini.yaml with calendar `locl` (a typo); returns its path and the line/col of the value."""
    text = MINI.replace("    calendar: local\n", "    calendar: locl\n")
    path = write(tmp_path / "mini.yaml", text)
    number = next(i for i, line in enumerate(text.splitlines(), 1) if line == "    calendar: locl")
    return path, number, len("    calendar: ") + 1


def test_invalid_contract_exits_1_with_file_line_col(tmp_path):
    path, line, col = broken_contract(tmp_path)
    events = write(tmp_path / "events.jsonl", "")
    code, out, err = cli("replay", "--contracts", path, events)
    assert code == 1 and out == ""
    assert f"{path}:{line}:{col}: unknown-calendar: unknown calendar 'locl'; did you mean 'local'?" in err


def test_validate_ok_and_invalid(tmp_path):
    code, out, _ = cli("validate", ACME, AGENDA)
    assert (code, out) == (0, "ok: 2 file(s) valid\n")
    path, line, col = broken_contract(tmp_path)
    code, _, err = cli("validate", path)
    assert code == 1 and f"{path}:{line}:{col}: unknown-calendar" in err and "1 error(s) in 1 of 1 file(s)" in err
    code, out, _ = cli("validate", "--format", "json", path)
    (diag,) = json.loads(out)
    assert code == 1 and (diag["line"], diag["col"], diag["code"]) == (line, col, "unknown-calendar")


@pytest.mark.parametrize(("argv", "message"), [
    (["--until", "tomorrow"], "obligo replay: '--until' is not an RFC 3339 instant: 'tomorrow'"),
    (["--until", "2026-03-05T10:00:00"], "obligo replay: '--until' has no offset"),
    (["--param", "warn_at=[0.5]"], "obligo replay: --param expects CONTRACT.NAME=VALUE, got 'warn_at=[0.5]'"),
    (["--param", "acme.warn_at"], "obligo replay: --param expects CONTRACT.NAME=VALUE"),
])
def test_usage_errors_exit_2(tmp_path, argv, message):
    code, out, err = replay_acme(tmp_path, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message)


def test_missing_events_file_exits_2(tmp_path):
    missing = tmp_path / "nope.jsonl"
    code, _, err = cli("replay", "--contracts", ACME, missing)
    assert code == 2 and err == f"obligo replay: {missing}: No such file or directory\n"


def test_documented_argument_order_contracts_then_events(tmp_path):
    events = write(tmp_path / "events.jsonl", MESSY_LOG)
    code, out, err = cli("replay", "--contracts", ACME, events)
    assert code == 0, err
    assert len(lines(out)) == 5


def _with_latin1_line(log: str, at: int) -> bytes:
    """The log as UTF-8 bytes with one line in Latin-1 (its é a lone byte e9) inserted at index `at`."""
    bad = json.dumps(ev("lat", "T1", "2026-03-02T10:30:00+01:00", "updated", product="Café"), ensure_ascii=False)
    rows = [row.encode("utf-8") for row in log.splitlines()]
    rows.insert(at, bad.encode("latin-1"))
    return b"\n".join(rows) + b"\n"


def test_a_line_that_is_not_utf8_is_a_reject_with_its_byte_offset_and_the_rest_goes_on(tmp_path):
    """One byte that is not UTF-8 used to refuse the whole log (exit 2, no line number): the file is
    now read as bytes and decoded line by line."""
    clean = write(tmp_path / "clean.jsonl", MESSY_LOG)
    events = tmp_path / "events.jsonl"
    events.write_bytes(_with_latin1_line(MESSY_LOG, 0))
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("replay", "--contracts", ACME, "--rejects", rejects, events)
    assert code == 0, err
    kept = lines(rejects.read_text(encoding="utf-8"))
    offset = _with_latin1_line(MESSY_LOG, 0).index(b"\xe9")
    assert kept[0] == {"line": 1, "code": "invalid-encoding",
                       "reason": f"not UTF-8: byte(s) e9 at offset {offset} (invalid continuation byte)",
                       "input": _with_latin1_line(MESSY_LOG, 0).splitlines()[0].decode("latin-1").replace("é", "\\xe9")}
    assert [r["line"] for r in kept] == [1] + [n + 1 for n in (2, 3, 4, 5, 6, 11)]  # the others, one line later
    assert out == cli("replay", "--contracts", ACME, clean)[1]  # same actions as without it
    assert "rejects 7" in err


def test_a_line_that_is_not_utf8_on_standard_input_is_a_reject(tmp_path):
    argv = [sys.executable, "-m", "engine.cli.main", "replay", "--contracts", str(ACME), "--rejects",
            str(tmp_path / "rejects.jsonl"), "-"]
    done = subprocess.run(argv, input=_with_latin1_line(MESSY_LOG, 3), capture_output=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    kept = lines((tmp_path / "rejects.jsonl").read_text(encoding="utf-8"))
    assert [(r["line"], r["code"]) for r in kept if r["code"] == "invalid-encoding"] == [(4, "invalid-encoding")]
    assert len(lines(done.stdout.decode("utf-8"))) == 5


def test_windows_line_ends_are_read_like_unix_ones(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_bytes(MESSY_LOG.replace("\n", "\r\n").encode("utf-8"))
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = cli("replay", "--contracts", ACME, "--rejects", rejects, events)
    assert (code, err.splitlines()[0]) == (0, SUMMARY)
    assert [r["line"] for r in lines(rejects.read_text(encoding="utf-8"))] == [2, 3, 4, 5, 6, 11]
    assert not any(r["input"].endswith("\r") for r in lines(rejects.read_text(encoding="utf-8")))


@pytest.mark.parametrize("until", ["0001-01-02T10:00:00Z", "9999-12-31T23:00:00Z", "2200-01-01T00:00:00Z"])
def test_until_outside_the_supported_years_is_a_usage_error(tmp_path, until):
    code, out, err = replay_acme(tmp_path, "--until", until)
    assert (code, out) == (2, "")
    assert err == f"obligo replay: '--until' is out of range: {until!r}; instants must lie in the years 1900 to 2199 (UTC)\n"


def test_events_near_year_1_or_9999_are_rejects_and_the_later_events_are_evaluated(tmp_path):
    """Such an instant aborted the whole replay with exit 70 (the deadline arithmetic overflowed)."""
    extreme = [ev("y1", "T8", "0001-01-02T10:00:00Z", "opened", severity="S2", channel="web"),
               ev("y9", "T9", "9999-12-31T23:00:00Z", "opened", severity="S2", channel="web")]
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = replay_acme(tmp_path, "--rejects", rejects, log=jsonl(*extreme) + MESSY_LOG)
    assert code == 0, err
    kept = lines(rejects.read_text(encoding="utf-8"))
    assert [(r["line"], r["code"]) for r in kept[:2]] == [(1, "invalid-instant"), (2, "invalid-instant")]
    assert out == replay_acme(tmp_path, log=MESSY_LOG)[1]


@pytest.mark.parametrize("argv", [
    [],
    ["replay", "events.jsonl"],  # --contracts is required
    ["replay", "--contracts", "x", "--frobnicate", "events.jsonl"],
    ["explode"],
    ["graph", "x", "--format", "png"],
])
def test_argparse_usage_errors_exit_2(argv, capsys):
    assert main(argv, io.StringIO(), io.StringIO()) == 2


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "replay" in capsys.readouterr().out


def test_param_value_that_is_not_yaml_is_a_usage_error(tmp_path):
    code, _, err = replay_acme(tmp_path, "--param", "acme.warn_at=[0.5")
    assert code == 2 and "internal error" not in err


def test_param_for_an_unknown_contract_is_reported(tmp_path):
    code, _, err = replay_acme(tmp_path, "--param", "acmee.warn_at=[0.5]")
    assert code != 0 and "acmee" in err


# --- directories and the real contracts -------------------------------------------------------

def test_directory_loads_contracts_not_scenarios_nor_rule_documents(tmp_path):
    folder = tmp_path / "contracts"
    write(folder / "mini.yaml", MINI)
    write(folder / "mini.tests.yaml", "contract: mini\nscenarios:\n  - name: x\n    events:\n"
                                      "      - {at: 2026-03-02T10:00:00+01:00, type: opened, attrs: {severity: high}}\n")
    write(folder / "shared-rules.yaml", "id: shared\nrules:\n  - id: r\n    clause: MINI-RT\n    when: {event: opened}\n"
                                        "    then:\n      - notify: {to: someone}\n")
    log = jsonl(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", contract="mini", severity="high"))
    events = write(tmp_path / "events.jsonl", log)
    code, out, err = cli("replay", "--contracts", folder, events)
    assert code == 0, err
    # Mon 10:00 Paris + 2 business hours = 12:00 Paris = 11:00Z; the rule document is not a contract
    assert [(a["contract"], a["action"], a["due"]) for a in lines(out)] == [("mini", "start_clock", "2026-03-02T11:00:00Z")]


def real_log() -> str:
    """A handmade multi-ticket log over the five real contracts (attribute values of docs/INTERFACE.md)."""
    return jsonl(
        ev("a1", "ADB-1", "2026-03-02T16:50:00+00:00", "opened", "adobe", plan="ultimate", region="emea", severity="P2",
           channel="web", named_contact=True),
        ev("o1", "OL-1", "2026-03-02T10:00:00+01:00", "opened", "olcare", plan="standard", region="france", severity="P2",
           channel="web", named_contact=True),
        ev("m1", "MS-1", "2026-03-02T11:00:00+01:00", "opened", "microsoft-unified", plan="reactive", severity="A",
           timezone="Europe/Paris", azure=True, product="Azure Virtual Machines", channel="phone"),
        ev("x1", "OT-1", "2026-03-02T09:30:00+01:00", "opened", "opentext-corefax", plan="standard", severity="critical",
           timezone="Europe/Berlin", channel="phone", production=True),
        ev("p1", "PR-1", "2026-03-02T09:15:00+01:00", "opened", "progr1", plan="distributor", region="france", severity="2",
           info={"report": "crash", "steps": "1, 2", "errors": "E42", "documents": "n/a"}),
        ev("a0", "ADB-2", "2026-03-07T03:00:00+00:00", "opened", "adobe", plan="expert", region="americas", severity="P1",
           channel="phone"),
        ev("p2", "PR-1", "2026-03-02T09:20:00+01:00", "acknowledged"),
        ev("o2", "OL-1", "2026-03-02T10:06:00+01:00", "acknowledged"),
        ev("x2", "OT-1", "2026-03-02T10:30:00+01:00", "responded"),
        ev("m2", "MS-1", "2026-03-02T13:00:00+01:00", "responded"),
        ev("o3", "OL-1", "2026-03-02T15:00:00+01:00", "responded"),
        ev("o4", "OL-1", "2026-03-03T10:00:00+01:00", "updated", severity="P1", by="customer", consent=True),
        ev("a2", "ADB-1", "2026-03-03T09:40:00+00:00", "responded"),
        ev("a3", "ADB-1", "2026-03-03T10:00:00+00:00", "info_requested"),
        ev("p3", "PR-1", "2026-03-03T11:00:00+01:00", "info_requested"),
        ev("a4", "ADB-1", "2026-03-03T15:00:00+00:00", "info_provided"),
        ev("p4", "PR-1", "2026-03-04T11:00:00+01:00", "info_provided"),
        ev("m3", "MS-1", "2026-03-04T12:00:00+01:00", "escalation_requested"),
        ev("p5", "PR-1", "2026-03-04T12:00:00+01:00", "escalation_requested"),
        ev("x3", "OT-1", "2026-03-04T12:00:00+01:00", "updated", severity="serious"),
        ev("a5", "ADB-1", "2026-03-04T12:00:00+00:00", "escalation_requested"),
        ev("o5", "OL-1", "2026-03-05T12:00:00+01:00", "resolved"),
        ev("o6", "OL-1", "2026-03-05T16:00:00+01:00", "closed", consent=True, by="customer"),
        ev("a6", "ADB-1", "2026-03-06T12:00:00+00:00", "resolved"),
        ev("x4", "OT-1", "2026-03-06T12:00:00+01:00", "resolved"),
        ev("a7", "ADB-2", "2026-03-07T03:30:00+00:00", "responded"),
        ev("o1", "OL-1", "2026-03-02T10:00:00+01:00", "opened", "olcare", plan="standard", region="france", severity="P2"),
    )


needs_real = pytest.mark.skipif(not all((CONTRACTS / f"{c}.yaml").is_file() for c in REAL),
                                reason="the real contracts are absent")


@needs_real
def test_real_contracts_replay_is_byte_identical_across_runs(tmp_path):
    events = write(tmp_path / "real.jsonl", real_log())
    argv = ("replay", "--contracts", CONTRACTS, "--until", "2026-03-20T00:00:00Z", events)
    first, second = cli(*argv), cli(*argv)
    assert first == second
    code, out, err = first
    assert code == 0, err
    assert {a["contract"] for a in lines(out)} == set(REAL)  # the directory loaded every contract
    assert "rejects 0, duplicates 1" in err
    instants = [a["at"] for a in lines(out)]
    assert instants == sorted(instants)  # event-time order


@needs_real
def test_real_contracts_replay_does_not_depend_on_the_local_time_zone(tmp_path):
    events = write(tmp_path / "real.jsonl", real_log())
    argv = [sys.executable, "-m", "engine.cli.main", "replay", "--contracts", str(CONTRACTS),
            "--until", "2026-03-20T00:00:00Z", str(events)]
    outputs = set()
    for zone in ("UTC", "Pacific/Kiritimati", "America/St_Johns"):
        env = {**os.environ, "TZ": zone}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1 and outputs.pop()


def test_show_of_a_scenario_or_rule_file_says_it_is_not_a_contract():
    for path, words in ((REPO / "contracts" / "adobe.tests.yaml", "a scenario file, not a contract"),
                        (REPO / "engine" / "rules" / "sla-clock.yaml", "a reusable rule document, not a contract")):
        if not path.exists():
            pytest.skip(f"{path} absent")
        out, err = io.StringIO(), io.StringIO()
        assert main(["show", str(path)], out, err) == 1
        assert "not-a-contract: this is " + words in err.getvalue() and out.getvalue() == ""


def test_replay_pauses_the_garbage_collector_and_restores_it(tmp_path, monkeypatch):
    """A replay holds the whole log: the cyclic collector is paused meanwhile (engine.collector),
    and enabled again after, with nothing left frozen."""
    import gc

    import engine.replay.log

    seen = []
    real = engine.replay.log.replay

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.replay.log, "replay", watched)
    code, _, _ = replay_acme(tmp_path)
    assert code == 0 and seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0


# --- the summary table after --out (engine.cli.summary) -------------------------------------------

def test_out_file_prints_a_summary_table_to_stderr_and_nothing_to_stdout(tmp_path):
    # MESSY_LOG's rejects: line 2 not JSON, 3 no offset, 4 contract nosuch, 5 and 6 no such ticket yet, 11 bad channel
    target, rejects = tmp_path / "actions.jsonl", tmp_path / "rejects.jsonl"
    code, out, err = replay_acme(tmp_path, "--out", target, "--rejects", rejects, "--until", "2026-03-05T10:00:00+01:00")
    assert code == 0 and out == ""
    assert len(target.read_text(encoding="utf-8").splitlines()) == 8
    assert err.splitlines() == [
        "obligo replay: events 3, actions 8, rejects 6, duplicates 1",
        "",
        "actions      acme  total",
        "breach          2      2",
        "escalate        1      1",
        "start_clock     4      4",
        "stop_clock      1      1",
        "total           8      8",
        "",
        "breaches  resolution  response  total",
        "acme               1         1      2",
        "total              1         1      2",
        "",
        "rejects: 6 (invalid-event 1, invalid-instant 1, invalid-json 1, unknown-contract 1, unknown-ticket 2)",
        f"actions (JSONL, 8 lines): {target}",
        f"rejects (JSONL, 6 lines): {rejects}",
    ]


def test_summary_table_marks_zero_cells_and_totals_rows_and_columns():
    from engine.cli.summary import table

    cells = {("breach", "adobe"): 2, ("warn", "olcare"): 3}
    assert table("actions", ["breach", "warn"], ["adobe", "olcare"], cells) == [
        "actions  adobe  olcare  total",
        "breach       2       -      2",
        "warn         -       3      3",
        "total        2       3      5",
    ]


def test_summary_without_rejects_file_says_rejects_were_not_kept_and_strict_still_exits_3(tmp_path):
    target = tmp_path / "actions.jsonl"
    code, _, err = replay_acme(tmp_path, "--out", target, "--strict")
    assert code == 3
    assert err.splitlines()[-2:] == [f"actions (JSONL, 5 lines): {target}",
                                     "rejected lines were not kept; pass --rejects FILE to keep them"]
    assert "breaches: none" in err.splitlines()


_LONG = "x" * 300  # longer than a file name may be (255 bytes): the file system refuses to look it up


@pytest.mark.parametrize("argv, code", [
    (["validate", _LONG], 1),
    (["show", _LONG], 1),
    (["graph", _LONG], 1),
    (["test", _LONG], 2),
    (["replay", "--contracts", _LONG, "events.jsonl"], 1),
    (["diff", "--contracts", _LONG, "--against", _LONG, "events.jsonl"], 1),
    (["import", "--mapping", _LONG, "x.csv"], 1),
    (["serve", "--contracts", str(CONTRACTS), "--db", _LONG], 2),
])
def test_a_path_the_file_system_refuses_is_the_users_mistake_not_an_internal_error(argv, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == code, err.getvalue()
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()

"""engine.scenarios / `obligo test`: failures located at the line of the expectation, closest-match
details, JSON output, coverage. Fixture scenario files sit beside tests/runtime_fixtures/acme.yaml:
acme.tests.yaml (passes, exercises every encoded clause), acme-partial.tests.yaml (passes, covers
little), acme-wrong.tests.yaml (deliberately wrong expectations)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from runtime_fixtures.helpers import AGENDA, CONTRACTS, FIXTURES, MINI, write

from engine.cli.main import main
from engine.scenarios.runner import coverage, discover, encoded_clauses, run_paths

GOOD = FIXTURES / "acme.tests.yaml"
PARTIAL = FIXTURES / "acme-partial.tests.yaml"
WRONG = FIXTURES / "acme-wrong.tests.yaml"
ACME_CLAUSES = ["TST-ESC", "TST-EXCL", "TST-HOURS", "TST-OBL", "TST-PAUSE", "TST-PLAN", "TST-RECLASS", "TST-RES",
                "TST-RT", "TST-SEV", "TST-TIMER", "TST-UPD"]


def obligo_test(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", *map(str, argv)], out, err)
    return code, out.getvalue(), err.getvalue()


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize("files", [[], ["mini.yaml"], ["notes.txt"]])
def test_paths_without_a_scenario_file_are_a_usage_error(tmp_path, files):
    for name in files:
        write(tmp_path / name, MINI if name.endswith(".yaml") else "x")
    code, out, err = obligo_test(tmp_path)
    assert (code, out) == (2, "")
    assert err == f"obligo test: no *.tests.yaml scenario files found in {tmp_path}\n"


def test_a_contract_file_without_a_scenario_file_beside_it_is_a_usage_error(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI)
    assert obligo_test(path)[0] == 2


def test_passing_file_exits_0():
    code, out, err = obligo_test(GOOD)
    assert (code, out, err) == (0, "5 passed, 0 failed\n", "")


def test_wrong_expectation_reports_file_line_and_closest_with_marked_field():
    code, out, _ = obligo_test(WRONG)
    assert code == 1
    lines = out.splitlines()
    line = line_of(WRONG, "due: 2026-03-05T10:00:00Z")
    assert lines[0] == (f"{WRONG}:{line}: FAIL wrong due: expected {{\"action\": \"start_clock\", \"clock\": \"resolution\", "
                        f"\"due\": \"2026-03-05T10:00:00Z\"}} was not emitted")
    # closest first: the resolution start (2 fields agree); the differing field is marked with >>
    assert lines[1].strip() == ("closest: action: 'start_clock'; clock: 'resolution'; >> due: expected "
                                "'2026-03-05T10:00:00Z', got '2026-03-05T09:00:00Z'")
    assert lines[-1] == "1 passed, 5 failed"


def test_absent_state_never_emitted_and_rejected_events_fail_at_their_lines():
    _, out, _ = obligo_test(WRONG)
    heads = [line for line in out.splitlines() if ": FAIL " in line]
    assert heads[1:] == [
        f"{WRONG}:{line_of(WRONG, '{action: breach, clock: response}')}: FAIL breach that must be absent: "
        '{"action": "breach", "clock": "response"} must not be emitted, but was',
        f"{WRONG}:{line_of(WRONG, 'state.clock.response: running')}: FAIL wrong state: state state.clock.response: "
        "expected 'running', got 'paused'",
        f"{WRONG}:{line_of(WRONG, '{action: escalate, level: 1}')}: FAIL never emitted: expected "
        '{"action": "escalate", "level": 1} was not emitted',
        f"{WRONG}:{line_of(WRONG, 'type: responded}')}: FAIL rejected event: event 1 (responded) was rejected: "
        "unknown ticket 'T-1': no 'opened' event before this 'responded'",
    ]
    assert "    no 'escalate' action was emitted; emitted: start_clock" in out.splitlines()
    # the breach that was emitted is shown under its failure, with its instant (13:00Z = due)
    shown = json.loads(out.splitlines()[out.splitlines().index(heads[1]) + 1])
    assert (shown["action"], shown["at"], shown["due"]) == ("breach", "2026-03-02T13:00:00Z", "2026-03-02T13:00:00Z")


def test_json_format():
    code, out, _ = obligo_test("--format", "json", WRONG)
    payload = json.loads(out)
    assert code == 1
    assert (payload["passed"], payload["failed"], payload["errors"]) == (1, 5, [])
    first = payload["failures"][0]
    assert (first["file"], first["line"], first["scenario"]) == (str(WRONG), line_of(WRONG, "2026-03-05T10:00:00Z"), "wrong due")
    assert first["details"][0].startswith("closest: ")
    code, out, _ = obligo_test("--format", "json", "--coverage", GOOD)
    payload = json.loads(out)
    assert code == 0 and sorted(payload["coverage"]["acme"]) == ACME_CLAUSES
    assert payload["coverage"]["acme"]["TST-TIMER"] == ["paused over a night and a weekend, logs owed, reminder"]


def test_coverage_lists_every_encoded_clause():
    code, out, _ = obligo_test("--coverage", GOOD)
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert listed == ACME_CLAUSES
    assert "NOT EXERCISED" not in out
    code, out, _ = obligo_test("--coverage", PARTIAL)
    assert code == 0  # --coverage alone only reports
    assert "  TST-TIMER                0  NOT EXERCISED" in out.splitlines()


def test_require_coverage_fails_when_an_encoded_clause_has_no_scenario():
    code, out, _ = obligo_test("--require-coverage", PARTIAL)
    assert code == 1
    uncovered = [line for line in out.splitlines() if line.startswith("uncovered:")]
    assert uncovered == [f"uncovered: acme: clause {c} is encoded but no scenario exercises it"
                         for c in ("TST-ESC", "TST-EXCL", "TST-OBL", "TST-PAUSE", "TST-RECLASS", "TST-TIMER")]
    assert out.endswith("1 passed, 0 failed\n")
    assert obligo_test("--require-coverage", GOOD)[0] == 0


def test_run_paths_results_and_encoded_clauses():
    results, diags, contracts = run_paths([str(GOOD)])
    assert [d for d in diags if d.severity == "error"] == []
    assert [r.name for r in results] == ["S2 response met, resolution running",
                                         "paused over a night and a weekend, logs owed, reminder",
                                         "three escalation requests climb the chain", "e-mail is normal",
                                         "training is excluded"]
    assert all(r.passed and r.contract == "acme" for r in results)
    assert results[0].line == line_of(GOOD, "- name: S2 response met")
    assert sorted(encoded_clauses(contracts["acme"])) == ACME_CLAUSES  # TST-LANG is not_encoded
    assert set(coverage(results, contracts)["acme"]) == set(ACME_CLAUSES)


def test_discover_finds_scenario_files_in_a_folder_and_beside_a_contract():
    found = discover([str(FIXTURES)])
    assert {p.name for p in found} >= {"acme.tests.yaml", "acme-partial.tests.yaml", "acme-wrong.tests.yaml"}
    assert discover([str(FIXTURES / "acme.yaml")]) == [GOOD]


def test_scenario_params_override_contract_parameters(tmp_path):
    write(tmp_path / "mini.yaml", MINI)
    path = write(tmp_path / "mini.tests.yaml", """\
contract: mini
scenarios:
  - name: customer-local hours, default Paris
    events:
      - {at: 2026-03-02T10:00:00+01:00, type: opened, attrs: {severity: high}}
    expect:
      # Mon 10:00 Paris + 2 business hours = 12:00 Paris = 11:00Z
      - {action: start_clock, clock: response, due: 2026-03-02T11:00:00Z}
  - name: Tokyo hours
    ticket: T-9
    events:
      - {at: 2026-03-02T10:00:00+01:00, type: opened, attrs: {severity: high, timezone: Asia/Tokyo}}
    expect:
      # 09:00Z = 18:00 Tokyo (closed): Tue 09:00 Tokyo (00:00Z) + 2 h = 02:00Z
      - {action: start_clock, ticket: T-9, due: 2026-03-03T11:00:00+09:00}
""")
    code, out, _ = obligo_test(path)
    assert (code, out) == (0, "2 passed, 0 failed\n")


def test_expectations_match_distinct_actions_whatever_their_order(tmp_path):
    write(tmp_path / "agenda.yaml", AGENDA.read_text(encoding="utf-8"))
    path = write(tmp_path / "agenda.tests.yaml", """\
contract: agenda
scenarios:
  - name: any notify, then the high one
    events:
      - {at: 2026-03-02T10:00:00Z, type: opened, attrs: {severity: S3}}
      - {at: 2026-03-02T10:01:00Z, type: rca_requested}
    expect:
      # rca_requested notifies high, low-first, low-second, negative (in that order)
      - {action: notify}
      - {action: notify, to: high}
""")
    code, out, _ = obligo_test(path)
    assert (code, out) == (0, "1 passed, 0 failed\n")


def test_broken_scenario_file_is_an_error(tmp_path):
    write(tmp_path / "mini.yaml", MINI)
    path = write(tmp_path / "mini.tests.yaml", "contract: mini\nscenarios:\n  - name: no events\n")
    code, _, err = obligo_test(path)
    assert code == 1 and f"{path}:" in err and "events" in err


def test_every_real_scenario_passes():  # the seed contracts carry their own clauses: no ../shared needed
    results, diags, _ = run_paths([str(CONTRACTS)])
    assert [d.render() for d in diags if d.severity == "error"] == []
    assert results
    failures = [f.render() for r in results for f in r.failures]
    assert failures == []

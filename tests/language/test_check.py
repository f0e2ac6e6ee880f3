"""`engine.validate` (semantic checks) and `obligo validate`, driven by named failure fixtures.

Every file in tests/fixtures/invalid/ is tests/fixtures/valid/minimal.yaml with one mistake; each
is listed in CASES with the exact diagnostics it must give (code, line, column, JSON path and a
telling part of the message) and carries a `# ERROR <code>` comment on each reported line, so a
fixture edited without its expectation (or the reverse) fails `test_markers_sit_on_reported_lines`.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import INVALID, MINIMAL, REPO, RULES, VALID

from engine.cli.main import main
from engine.language.loader import check_files
from engine.model.diagnostics import errors_only

# file -> [(code, line, col, json path, part of the message)]
CASES: dict[str, list[tuple[str, int | None, int | None, str, str]]] = {
    "bad-placeholder-refuse.yaml": [  # make fuzz found it: was an internal ConditionError (checked at the wrong index)
        ("bad-placeholder", 60, 15, "$.severity_changes.refuse[0].reason",
         "reason placeholder: unknown fact root 'event0' in 'event0.to'; expected event, ticket or state"),
    ],
    "misspelled-reference.yaml": [
        ("unknown-plan", 41, 26, "$.targets[0].match.ticket.plan", "unknown plan 'standrad'; did you mean 'standard'?"),
        ("unknown-calendar", 42, 15, "$.targets[0].calendar", "unknown calendar 'emae'; did you mean 'emea'?"),
    ],
    "escalation-cycle.yaml": [
        ("escalation-graph", 56, 9, "$.escalation[0].edges[2]",
         "escalation graph 'chain': cycle manager -> director -> manager; an escalation chain must only go up"),
    ],
    "escalation-two-entries.yaml": [
        ("escalation-graph", 51, 16, "$.escalation[0].nodes.manager",
         "node 'manager' is a second entry (no edge leads to it, yet it has edges out); a chain has exactly one "
         "entry, here 'agent'"),
    ],
    "escalation-unreachable.yaml": [
        ("escalation-graph", 53, 15, "$.escalation[0].nodes.orphan",
         "node 'orphan' cannot be reached from the entry 'agent': no edge leads to it"),
    ],
    "escalation-unknown-node.yaml": [
        ("escalation-graph", 55, 29, "$.escalation[0].edges[1].to", "edge to unknown node 'directr'; did you mean 'director'?"),
    ],
    "yaml-syntax.yaml": [
        ("yaml-syntax", 10, 1, "$", "flow sequence (opened at line 9, column 16), expected ',' or ']'"),
    ],
    "wrong-type.yaml": [
        ("schema", 4, 10, "$.version", "'version' is 1; expected text; write it in quotes: \"1\""),
        ("schema", 44, 22, "$.targets[0].severities.P1.duration",
         "'duration' is \"2 hrs\"; expected 'N minutes', 'N hours' or 'N business days'"),
    ],
    "unknown-clause.yaml": [
        ("unknown-clause", 35, 13, "$.severities[1].clause",
         "clause 'TEST-SEV-DFE' is not declared under the contract's `clauses:`; did you mean 'TEST-SEV-DEF'?"),
    ],
    "undeclared-clause-in-include.yaml": [
        ("unknown-clause", 59, 37, "$.include[0].with.clause",
         "clause 'TEST-RESPONSE' is not declared under the contract's `clauses:`; did you mean"),
    ],
    "unknown-field.yaml": [
        ("schema", 6, 1, "$.effective_too", "unknown field 'effective_too'; did you mean 'effective_to'?"),
    ],
    "unknown-nested-field.yaml": [
        ("schema", 42, 5, "$.targets[0].calender", "unknown field 'calender'; did you mean 'calendar'?"),
    ],
    "duplicate-key.yaml": [
        ("duplicate-key", 46, 7, "$.targets[0].severities.P2", "key 'P2' appears twice in this mapping"),
    ],
    "duplicate-rule-id.yaml": [
        ("duplicate-id", 68, 9, "$.rules[1].id", "rule id 'minimal.escalate-on-request' is already used"),
    ],
    "empty.yaml": [("empty-file", 1, 1, "$", "the file is empty; expected a YAML mapping")],
    "comments-only.yaml": [("empty-file", 1, 1, "$", "the file is empty; expected a YAML mapping")],
    "not-a-mapping.yaml": [("not-a-mapping", 2, 1, "$", "expected a YAML mapping at the top, got a list")],
    "unknown-event.yaml": [
        ("unknown-event", 64, 14, "$.rules[0].when.event",
         "unknown event type 'escalation_request'; did you mean 'escalation_requested'?"),
    ],
    "unknown-parameter.yaml": [
        ("unknown-parameter", 45, 11, "$.targets[0].severities.P2",
         "unknown parameter 'p2_respons'; did you mean 'p2_response'?"),
    ],
    "include-missing-param.yaml": [
        ("missing-parameter", 59, 11, "$.include[0].with",
         "include of 'clock' needs parameter 'stop_on' (event types that meet the clock)"),
    ],
    "include-unknown-param.yaml": [
        ("unknown-parameter", 60, 12, "$.include[0].with.calendar",
         "'clock' has no parameter 'calendar'; expected one of: clause, clock, start_on, stop_on"),
    ],
    "include-missing-file.yaml": [
        ("include", 57, 12, "$.include[0].rules", "cannot include 'rules/clocks.yaml': no such file"),
    ],
    "bad-timezone.yaml": [
        ("bad-calendar", 20, 15, "$.calendars.emea.timezone", "calendar 'emea': unknown time zone 'Europe/Londn'"),
    ],
    "bad-hours.yaml": [
        ("bad-calendar", 22, 16, "$.calendars.emea.hours.mon-fri", "calendar 'emea': bad opening interval '17:00-09:00'"),
    ],
    "bad-hours-format.yaml": [
        ("schema", 22, 17, "$.calendars.emea.hours.mon-fri[0]", "'mon-fri[0]' is \"9:00-17:00\"; expected an opening interval"),
    ],
    "clause-not-covered.yaml": [
        ("clause-not-covered", 73, 3, "$.clauses.TEST-LANG",
         "clause 'TEST-LANG' is neither encoded (cited by a rule, target, calendar...) nor listed in not_encoded"),
    ],
    "unknown-severity.yaml": [
        ("unknown-severity", 46, 7, "$.targets[0].severities.P3", "unknown severity 'P3'; expected one of: P1, P2"),
    ],
    "parameter-wrong-shape.yaml": [  # found by `make fuzz` (a mutated olcare): was an internal TypeError
        ("schema", 45, 15, "$.targets[0].calendar",
         "'calendar' is [\"web\", \"email\"]; expected text (after the parameters' values were put in)"),
    ],
    "effective-range.yaml": [
        ("effective-range", 6, 15, "$.effective_to", "effective_to 2025-12-31 is before effective_from 2026-01-01"),
    ],
    "unknown-party.yaml": [
        ("unknown-party", 49, 12, "$.obligations[0].party", "unknown party 'custmer'; did you mean 'customer'?"),
    ],
    # hostile or broken files (issue 12): bounded and located, never a traceback
    "yaml-alias-bomb.yaml": [
        ("yaml-aliases", 8, 27, "$", "aliases expand the document to more than 50,000 values (*l3 stands for 11,111)"),
    ],
    "too-deep.yaml": [("too-deep", 65, 74, "$", "nested more than 64 levels deep")],
    "control-character.yaml": [
        ("control-character", 3, 15, "$", "character U+0007 (BEL) is not allowed in a YAML file; delete it, or write it "
         "as \"\\x07\" inside double quotes"),
    ],
    "encoding.yaml": [
        ("encoding", 3, 34, "$", "not UTF-8 text: invalid continuation byte (byte 0xE9 at offset 88); save the file as UTF-8"),
    ],
    "include-outside.yaml": [
        ("include-outside", 57, 12, "$.include[0].rules",
         "cannot include '../valid/minimal.yaml': an include must name a file inside the contract's folder ("),
    ],
    "bad-regex.yaml": [
        ("bad-regex", 65, 37, "$.rules[0].when.match.$mt.ticket.channel",
         "invalid regular expression '(web|chat)\\1': invalid escape sequence: \\1; expected RE2 syntax (as OPA's "
         "regex.match): no backreferences (\\1), no lookaround ((?=, (?!, (?<=, (?<!), repetition counts {n} of at most "
         "1000"),
    ],
    "duration-too-long.yaml": [
        ("duration-too-long", 44, 22, "$.targets[0].severities.P1.duration",
         "'999999999 hours' is longer than 8784 hours; an SLA duration is at most 527040 minutes, 8784 hours or "
         "366 business days (one year)"),
    ],
    "include-cycle.yaml": [
        ("include-cycle", 57, 12, "$.include[0].rules",
         "include cycle: include-cycle.yaml -> include-cycle.yaml (a contract cannot include itself)"),
    ],
}


def diagnostics(*paths: Path):
    return check_files([str(p) for p in paths])


def summary(diags) -> list[tuple]:
    return [(d.code, d.line, d.col, d.json_path) for d in diags]


# --- the valid base ---------------------------------------------------------------------------

def test_minimal_contract_and_its_rules_validate_with_no_diagnostic_at_all():
    assert diagnostics(MINIMAL, RULES / "clock.yaml") == []


def test_a_directory_is_checked_file_by_file():
    assert diagnostics(VALID) == []
    found = diagnostics(INVALID)
    assert {Path(d.file).name for d in found if d.file.startswith(str(INVALID))} == set(CASES)


# --- named failure fixtures -------------------------------------------------------------------

def test_every_invalid_fixture_has_an_expectation():
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_failure_fixture_gives_exactly_its_diagnostics(name):
    path = INVALID / name
    found = diagnostics(path)
    assert all(d.severity == "error" for d in found)
    assert summary(found) == [(code, line, col, where) for code, line, col, where, _ in CASES[name]]
    for d, (_, line, col, where, text) in zip(found, CASES[name], strict=True):
        assert d.file == str(path)
        assert text in d.message
        suffix = "" if where == "$" else f" (at {where})"
        note = "; ".join([f"clause {d.clause}"] * bool(d.clause) + [f"hint: {d.hint}"] * bool(d.hint))
        assert d.render() == f"{path}:{line}:{col}: {d.code}: {d.message}{suffix}" + (f" ({note})" if note else "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_markers_sit_on_reported_lines(name):
    """A `# ERROR <code>` comment is on every reported line, and only there."""
    lines = (INVALID / name).read_bytes().decode("utf-8", "replace").splitlines()  # encoding.yaml is Latin-1
    markers = {(i + 1, m.group(1)) for i, line in enumerate(lines) if (m := re.search(r"# ERROR ([a-z-]+)", line))}
    expected = {(line, code) for code, line, _, _, _ in CASES[name] if code not in ("empty-file",)}
    assert markers == expected


def test_each_invalid_fixture_is_the_base_contract_with_a_small_change():
    base = MINIMAL.read_text(encoding="utf-8").splitlines()[1:]
    for name in CASES:
        if name in ("yaml-syntax.yaml", "empty.yaml", "comments-only.yaml", "not-a-mapping.yaml"):
            continue
        lines = (INVALID / name).read_bytes().decode("utf-8", "replace").splitlines()[1:]
        changed = len(set(lines) ^ set(base))
        assert 1 <= changed <= 8, f"{name} differs from minimal.yaml on {changed} lines"


def test_misspelled_reference_also_names_the_misspelled_plan():
    found = diagnostics(INVALID / "misspelled-reference.yaml")
    assert {d.code for d in found} == {"unknown-calendar", "unknown-plan"}


def test_a_missing_file_is_a_diagnostic_without_a_line():
    missing = INVALID / "does-not-exist.yaml"
    (d,) = diagnostics(missing)
    assert (d.code, d.line, d.col, d.path) == ("file-not-found", None, None, ())
    assert d.render() == f"{missing}: file-not-found: no such file"


def test_errors_in_an_included_rule_document_are_located_in_that_document(variant, tmp_path):
    (tmp_path / "valid" / "rules" / "clock.yaml").write_text(
        (RULES / "clock.yaml").read_text(encoding="utf-8").replace('event: "${stop_on}"', 'event: "${stop_onn}"'),
        encoding="utf-8")
    found = diagnostics(variant())
    assert summary(found) == [("unknown-parameter", 20, 14, "$.rules[1].when.event")]
    assert found[0].file == str(tmp_path / "valid" / "rules" / "clock.yaml")
    assert "unknown parameter 'stop_onn'; did you mean 'stop_on'?" in found[0].message


def test_a_yaml_error_in_an_included_document_names_its_line(variant, tmp_path):
    (tmp_path / "valid" / "rules" / "clock.yaml").write_text("id: clock\nrules: [\n", encoding="utf-8")
    (d,) = diagnostics(variant())
    assert (d.code, d.line, d.json_path) == ("include", 57, "$.include[0].rules")
    assert d.message.startswith("cannot include 'rules/clock.yaml': line 3, column 1: YAML syntax error")


# --- more semantic checks, on one-line variants of the base ------------------------------------

RULE_THEN = "      - escalate: {trigger: customer_request}"


@pytest.mark.parametrize(("edits", "expected", "text"), [
    pytest.param([("    match: {$in: {ticket.plan: [standard, premium]}}", "    match: {ticket.plan: 1}")],
                 [("unknown-plan", 41, 26, "$.targets[0].match.ticket.plan")],
                 "plan 1 is written as a number and never equals the text '1'; write it in quotes: \"1\"", id="unquoted-number"),
    pytest.param([("      match: {$in: {ticket.severity: [P1, P2]}}", "      match: {$in: {ticket.severity: [P1, P3]}}")],
                 [("unknown-severity", 65, 43, "$.rules[0].when.match.$in.ticket.severity[1]")],
                 "unknown severity 'P3'", id="severity-in-condition"),
    pytest.param([("      match: {$in: {ticket.severity: [P1, P2]}}", "      match: {$lt: {ticket.plan: 1, ticket.channel: 2}}")],
                 [("bad-condition", 65, 20, "$.rules[0].when.match.$lt")],
                 "'$lt' takes a mapping with exactly one field", id="comparison-of-two-fields"),
    pytest.param([("      match: {$in: {ticket.severity: [P1, P2]}}", "      match: {ticket.severity: null}")],
                 [("bad-condition", 65, 32, "$.rules[0].when.match.ticket.severity")],
                 "'ticket.severity: null' never matches (a missing field equals nothing); use {$nex: {ticket.severity: 1}}",
                 id="equality-with-null"),
    pytest.param([("      match: {$in: {ticket.severity: [P1, P2]}}", "      match: {state.clok.response: running}")],
                 [("bad-condition", 65, 36, "$.rules[0].when.match.state.clok.response")],
                 "unknown state field 'clok'", id="unknown-state-field"),
    pytest.param([(RULE_THEN, "      - escalate: {trigger: customer_request, graph: chian}")],
                 [("unknown-graph", 67, 54, "$.rules[0].then[0].escalate.graph")],
                 "unknown escalation graph 'chian'; did you mean 'chain'?", id="unknown-graph"),
    pytest.param([(RULE_THEN, "      - start_clock: {clock: respons}")],
                 [("unknown-clock", 67, 30, "$.rules[0].then[0].start_clock.clock")],
                 "unknown clock 'respons'; did you mean 'response'?", id="unknown-clock"),
    pytest.param([(RULE_THEN, "      - start_clock: {clock: response, target: 1 hour, calendar: emae}")],
                 [("unknown-calendar", 67, 66, "$.rules[0].then[0].start_clock.calendar")],
                 "did you mean 'emea'?", id="unknown-calendar-in-action"),
    pytest.param([(RULE_THEN, "      - obligation: {id: engage}")],
                 [("unknown-obligation", 67, 26, "$.rules[0].then[0].obligation.id")],
                 "unknown obligation 'engage'", id="unknown-obligation"),
    pytest.param([(RULE_THEN, "      - reclassify: {to: P5}")],
                 [("unknown-severity", 67, 26, "$.rules[0].then[0].reclassify.to")],
                 "unknown severity 'P5'", id="reclassify-to-unknown-severity"),
    pytest.param([(RULE_THEN, "      - exclude: {exclusion: misuse}")],
                 [("unknown-exclusion", 67, 30, "$.rules[0].then[0].exclude.exclusion")],
                 "unknown exclusion 'misuse'", id="unknown-exclusion"),
    pytest.param([("escalation:", ["exclusions:", "  misuse: {clause: TEST-RT}", "  hacking: {clause: TEST-RT}", "escalation:"])],
                 [("unknown-category", 48, 3, "$.exclusions.hacking")],
                 "unknown exclusion category 'hacking'", id="unknown-exclusion-category"),
    pytest.param([("  emea: emea", "  emea: emae")],
                 [("unknown-calendar", 24, 9, "$.regions.emea")],
                 "unknown calendar 'emae'; did you mean 'emea'?", id="region-to-unknown-calendar"),
    pytest.param([("      P1: {duration: 1 hour, calendar: 24x7}", "      P1: {duration: 1 hour, calendar: region}")],
                 [], "", id="region-is-a-calendar"),
    pytest.param([("  - clause: TEST-LANG", "  - clause: TEST-RT")],
                 [("encoded-and-not-encoded", 69, 13, "$.not_encoded[0].clause"),
                  ("clause-not-covered", 76, 3, "$.clauses.TEST-LANG")],
                 "clause 'TEST-RT' is listed in not_encoded but also encoded at", id="encoded-and-not-encoded"),
    pytest.param([("source: 900_0123abcd.txt", "source: Vendor support terms, 2026 edition, section 4 (PDF)")],
                 [], "", id="source-is-free-text"),
    pytest.param([("  - clause: TEST-LANG", "  - clause: TEST-LNG")],
                 [("unknown-clause", 69, 13, "$.not_encoded[0].clause"), ("clause-not-covered", 76, 3, "$.clauses.TEST-LANG")],
                 "clause 'TEST-LNG' is not declared under the contract's `clauses:`; did you mean 'TEST-LANG'?",
                 id="not-encoded-clause-undeclared"),
    pytest.param([("    clause: TEST-HOURS", "    clause: TEST-HOUR")],
                 [("unknown-clause", 19, 13, "$.calendars.emea.clause"), ("clause-not-covered", 73, 3, "$.clauses.TEST-HOURS")],
                 "clause 'TEST-HOUR' is not declared under the contract's `clauses:`; did you mean 'TEST-HOURS'?",
                 id="calendar-clause-undeclared"),
    pytest.param([("  TEST-LANG: support in English only", "  TEST-LANG: {text: support in English only, ref: 4.2}")],
                 [("schema", 76, 51, "$.clauses.TEST-LANG.ref")], "'ref' is 4.2; expected where the clause is in the source",
                 id="clause-ref-is-text"),
    pytest.param([("  TEST-LANG: support in English only", "  TEST-LANG: {ref: '4.2'}")],
                 [("schema", 76, 14, "$.clauses.TEST-LANG")], "", id="clause-object-needs-text"),
    pytest.param([("  TEST-LANG: support in English only", "  TEST-LANG: ''")],
                 [("schema", 76, 14, "$.clauses.TEST-LANG")], "", id="clause-text-not-empty"),
    pytest.param([("  TEST-LANG: support in English only", "  test-lang: support in English only")],
                 [("unknown-clause", 69, 13, "$.not_encoded[0].clause"), ("schema", 76, 3, "$.clauses.test-lang")],
                 "clause 'TEST-LANG' is not declared", id="clause-id-pattern"),
    pytest.param([("  - id: P2", "  - id: P1")],
                 [("duplicate-id", 33, 9, "$.severities[1].id"),
                  ("unknown-severity", 45, 7, "$.targets[0].severities.P2"),
                  ("unknown-severity", 65, 43, "$.rules[0].when.match.$in.ticket.severity[1]")],
                 "severity 'P1' is defined twice", id="duplicate-severity"),
    pytest.param([("escalation:", ["assumptions:", "  - {clause: TEST-HOURS, seed: x, choice: y, parameter: p2_respons}",
                                   "escalation:"])],
                 [("unknown-parameter", 47, 57, "$.assumptions[0].parameter")],
                 "assumption names unknown parameter 'p2_respons'; did you mean 'p2_response'?", id="assumption-parameter"),
    pytest.param([("  - id: escalate-on-request", "  - id: response.start")],
                 [("duplicate-id", 10, 9, "$.rules[0].id")],
                 "rule id 'minimal.response.start' is already used", id="rule-id-collides-with-included-one"),
    pytest.param([("escalation:", ["obligations:", "  - {id: engage, clause: TEST-RT, party: customer, what: x, due: 2 hrs}",
                                   "escalation:"])],
                 [("schema", 47, 66, "$.obligations[0].due")],
                 "'due' is \"2 hrs\"; expected 'N minutes', 'N hours' or 'N business days'", id="schema-bad-due"),
])
def test_semantic_check(variant, edits, expected, text):
    found = diagnostics(variant(*edits))
    assert summary(found) == expected
    if text:
        assert text in found[0].message


def test_encoded_and_not_encoded_names_where_the_clause_is_encoded(variant):
    found = diagnostics(variant(("  - clause: TEST-LANG", "  - clause: TEST-RT")))
    assert found[0].message == f"clause 'TEST-RT' is listed in not_encoded but also encoded at {found[1].file}:26"


def test_an_include_rule_colliding_with_a_contract_rule_is_located_in_the_rule_document(variant, tmp_path):
    (d,) = diagnostics(variant(("  - id: escalate-on-request", "  - id: response.start")))
    assert d.file == str(tmp_path / "valid" / "rules" / "clock.yaml")


def test_unknown_parameter_is_reported_once_not_again_as_a_bad_duration(variant):
    found = diagnostics(variant(('      P2: "${p2_response}"', '      P2: "${p2}"')))
    assert [d.code for d in found] == ["unknown-parameter"]


def test_a_clause_in_an_assumption_is_checked_even_when_it_looks_like_a_parameter(variant):
    found = diagnostics(variant(("escalation:", ["assumptions:", '  - {clause: "${x}", seed: x, choice: y}', "escalation:"])))
    assert [d.code for d in found] == ["unknown-clause"]


def test_clauses_are_required(variant):
    found = diagnostics(variant(("clauses:                       # the clauses this contract encodes: id -> text, or {text, ref}",
                                 None), *[(line, None) for line in MINIMAL.read_text(encoding="utf-8").splitlines()
                                          if line.startswith("  TEST-")]))
    assert [(d.code, d.line, d.json_path) for d in found] == [("schema", 2, "$")]
    assert "missing required field 'clauses'" in found[0].message


def test_a_contract_validates_alone_in_an_empty_folder(tmp_path):
    """No shared/ above it, no INVENTORY.md, no rules/ beside it: its own clauses and a standard include."""
    text = MINIMAL.read_text(encoding="utf-8").replace("  - rules: rules/clock.yaml\n", "  - rules: sla-clock\n")
    path = tmp_path / "alone" / "mine.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["mine.yaml"]
    assert diagnostics(path) == []


def test_unknown_clause_suggests_only_the_contracts_own_clauses(variant):
    (d,) = diagnostics(variant(("    clause: TEST-RT", "    clause: ADOBE-RT-EXPERT")))
    assert (d.code, d.line, d.col, d.json_path) == ("unknown-clause", 40, 13, "$.targets[0].clause")
    assert d.message == ("clause 'ADOBE-RT-EXPERT' is not declared under the contract's `clauses:`; expected one of: "
                         "TEST-ESC, TEST-HOURS, TEST-LANG, TEST-RT, TEST-SEV-DEF")


# --- obligo validate --------------------------------------------------------------------------

def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_prints_each_broken_fixture_as_file_line_col_code_message(name):
    path = INVALID / name
    code, out, err = run("validate", str(path))
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == f"{len(CASES[name])} error(s) in 1 of 1 file(s)"
    for line, (c, ln, col, where, _) in zip(lines[:-1], CASES[name], strict=True):
        assert line.startswith(f"{path}:{ln}:{col}: {c}: ")
        assert where == "$" or re.sub(r" \((clause [^;]*; )?hint: .*\)$", "", line).endswith(f" (at {where})")
    assert "Traceback" not in err


def test_cli_valid_files_exit_0():
    code, out, err = run("validate", str(MINIMAL), str(RULES / "clock.yaml"))
    assert (code, out, err) == (0, "ok: 2 file(s) valid\n", "")


def test_cli_json_format():
    path = INVALID / "misspelled-reference.yaml"
    code, out, err = run("validate", str(path), "--format", "json")
    assert (code, err) == (1, "")
    assert json.loads(out) == [
        {"code": "unknown-plan", "message": "unknown plan 'standrad'; did you mean 'standard'?", "file": str(path),
         "line": 41, "col": 26, "path": "$.targets[0].match.ticket.plan", "severity": "error", "clause": None, "hint": None},
        {"code": "unknown-calendar", "message": "unknown calendar 'emae'; did you mean 'emea'?", "file": str(path),
         "line": 42, "col": 15, "path": "$.targets[0].calendar", "severity": "error", "clause": None, "hint": None},
    ]


def test_cli_json_format_of_a_valid_file_is_an_empty_list():
    code, out, err = run("validate", str(MINIMAL), "--format", "json")
    assert (code, json.loads(out), err) == (0, [], "")


def test_cli_missing_file_is_a_diagnostic_not_a_traceback():
    missing = INVALID / "nope.yaml"
    code, out, err = run("validate", str(missing))
    assert code == 1
    assert err.splitlines() == [f"{missing}: file-not-found: no such file", "1 error(s) in 1 of 1 file(s)"]


def test_cli_broken_and_valid_files_together_exit_1_and_report_only_the_broken_one():
    code, _, err = run("validate", str(MINIMAL), str(INVALID / "unknown-event.yaml"))
    assert code == 1
    assert err.splitlines()[-1] == "1 error(s) in 1 of 2 file(s)"


@pytest.mark.parametrize("argv", [
    ["validate"],
    ["validate", str(MINIMAL), "--format", "xml"],
    ["validate", str(MINIMAL), "--no-such-option"],
    ["valdate", str(MINIMAL)],
    [],
])
def test_cli_usage_errors_exit_2(argv, capsys):
    code, out, _ = run(*argv)
    assert code == 2
    assert "usage:" in capsys.readouterr().err  # argparse writes its usage to the real stderr


def test_cli_validates_the_real_contracts_with_nothing_else():
    contracts = sorted((REPO / "contracts").glob("*.yaml"))
    assert contracts
    code, out, err = run("validate", *map(str, contracts))
    assert (code, err) == (0, ""), err
    assert out == f"ok: {len(contracts)} file(s) valid\n"


def test_a_rule_document_alone_gets_its_literal_event_types_and_conditions_checked(tmp_path):
    doc = tmp_path / "x.yaml"
    doc.write_text("id: x\nparams: {clock: clock name}\nrules:\n"
                   "  - id: a\n    clause: TEST-RT\n    when: {event: respondd}\n    then:\n"
                   "      - stop_clock: {clock: \"${clock}\"}\n", encoding="utf-8")
    code, _, err = run("validate", str(doc))
    assert code == 1
    assert err.splitlines()[0] == (f"{doc}:6:19: unknown-event: unknown event type 'respondd'; did you mean "
                                   "'responded'? (at $.rules[0].when.event)")


@pytest.mark.parametrize("files", [[], ["notes.txt"], ["a.tests.json"]])
def test_validate_of_a_folder_without_yaml_files_is_a_usage_error(tmp_path, files):
    for name in files:
        (tmp_path / name).write_text("x", encoding="utf-8")
    code, out, err = run("validate", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == (f"obligo validate: no contract files found in {tmp_path} (expected *.yaml or *.yml contract, rule or "
                   "scenario files)\n")


def test_a_directory_is_validated_with_its_yml_files_too(tmp_path):
    (tmp_path / "a.yml").write_text("", encoding="utf-8")
    code, _, err = run("validate", str(tmp_path))
    assert code == 1
    assert err.splitlines() == [f"{tmp_path / 'a.yml'}:1:1: empty-file: the file is empty; expected a YAML mapping",
                                "1 error(s) in 1 of 1 file(s)"]


# --- durations over the one-year bound, wherever they come from ---------------------------------------

def test_a_parameter_override_cannot_pass_a_duration_over_the_bound():
    from engine.language.loader import load_contracts

    contracts, diags = load_contracts([MINIMAL], {"minimal": {"p2_response": "999999999 hours"}})
    assert contracts == {}
    assert [(d.code, d.line, d.col, d.json_path) for d in errors_only(diags)] == [
        ("duration-too-long", 45, 11, "$.targets[0].severities.P2")]


def test_replay_param_over_the_bound_is_a_located_error_not_a_walk(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    code, _, err = run("replay", "--contracts", str(MINIMAL), "--param", "minimal.p2_response=999999999 business days",
                       str(events))
    assert code == 1
    assert f"{MINIMAL}:45:11: duration-too-long: '999999999 business days' is longer than 366 business days" in err


@pytest.mark.parametrize("where", [
    ("      - escalate: {trigger: customer_request}", "      - start_timer: {timer: t, after: 600000 minutes}"),
    ("      - escalate: {trigger: customer_request}", "      - start_clock: {clock: response, target: 9000 hours}"),
])
def test_action_durations_are_bounded_too(variant, where):
    found = diagnostics(variant(where))
    assert [d.code for d in found] == ["duration-too-long"]


def test_a_rule_document_alone_gets_its_literal_durations_bounded(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("id: r\nrules:\n  - id: a\n    clause: TEST-RT\n    when: {event: opened}\n"
                    "    then:\n      - start_timer: {timer: t, after: 400 business days}\n", encoding="utf-8")
    assert [(d.code, d.line) for d in diagnostics(path)] == [("duration-too-long", 7)]


@pytest.mark.parametrize("value", ["1e999", "[x]", "[0.8, 2]", "true", "{a: 1}"])
def test_warn_at_must_hold_ratios(variant, value):
    found = diagnostics(variant(("    value: [0.8]", f"    value: {value}")))
    assert [(d.code, d.line, d.json_path) for d in found] == [("bad-parameter", 12, "$.parameters.warn_at.value")]


def test_a_reason_placeholder_reading_an_unknown_fact_is_located(variant):
    found = diagnostics(variant(("      - escalate: {trigger: customer_request}",
                                 "      - notify: {to: manager, reason: 'from {even0t.to} on'}")))
    assert [(d.code, d.line, d.json_path) for d in found] == [("bad-placeholder", 67, "$.rules[0].then[0].notify.reason")]
    assert found[0].message == ("reason placeholder: unknown fact root 'even0t' in 'even0t.to'; expected event, ticket "
                                "or state")


@pytest.mark.parametrize("value", ["12", "null", "[12]"])
def test_an_include_parameter_that_is_not_event_types_is_located_not_a_crash(variant, value):
    # Found by `make fuzz` (tests/language/test_hostile_contracts.py): `stop_on: 12` or `null` substituted into
    # `event: "${stop_on}"` crashed the semantic checks (TypeError: 'int' object is not iterable) and
    # the compiler. It is an unknown-event error, located at the `with:` value it came from.
    path = variant(("    with: {clock: response, clause: TEST-RT, start_on: [opened], stop_on: [responded]}",
                    f"    with: {{clock: response, clause: TEST-RT, start_on: [opened], stop_on: {value}}}"))
    diags = errors_only(diagnostics(path))
    assert [d.code for d in diags] == ["unknown-event"]
    assert diags[0].file == str(path) and diags[0].path[:4] == ("include", 0, "with", "stop_on")
    assert diags[0].line == 59 and diags[0].col is not None


def test_every_unknown_clock_of_a_rule_document_is_located_at_its_own_action(tmp_path):
    # check.rule_document_diagnostics reused the rule's path for the first unknown clock, so the
    # second one was reported at the first one's line (found by mypy, 2026-12-07)
    doc = tmp_path / "two-clocks.yaml"
    doc.write_text("id: two-clocks\ndescription: two actions naming clocks that do not exist\nrules:\n"
                   "  - id: both\n    clause: X-1\n    when:\n      event: opened\n    then:\n"
                   "      - start_clock: {clock: responce}\n      - stop_clock: {clock: resolutoin}\n", encoding="utf-8")
    assert [(d.code, d.line, d.col) for d in check_files([doc])] == [("unknown-clock", 9, 30), ("unknown-clock", 10, 29)]


def test_a_directory_is_checked_with_its_subfolders_but_not_hidden_ones(tmp_path):
    # `obligo validate examples/` finds examples/<name>/<contract>.yaml, as `obligo test` finds
    # scenario files; a .venv or .git below is not walked
    (tmp_path / "a").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a" / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / ".hidden" / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    found = [(Path(d.file).relative_to(tmp_path).as_posix(), d.code) for d in check_files([tmp_path])]
    assert found == [("a/bad.yaml", "yaml-syntax")]


def test_a_parameter_whose_list_becomes_a_rules_clause_is_an_error_there(tmp_path):
    """The raw text passed the schema (`clause: "${trig}"` is text); the list the parameter puts
    there is reported where it lands, not carried into every action as a list."""
    import shutil

    shutil.copytree(MINIMAL.parent, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "minimal.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("parameters:\n", "parameters:\n  trig:\n    value: [a, b]\n    description: x\n", 1)
    text = text.replace("  - id: escalate-on-request\n    clause: TEST-ESC\n",
                        '  - id: escalate-on-request\n    clause: "${trig}"\n', 1)
    path.write_text(text, encoding="utf-8")
    (d,) = [d for d in diagnostics(path) if d.severity == "error"]
    assert (d.code, d.line, d.path) == ("schema", 65, ("rules", 0, "clause"))
    assert d.message == "'clause' is [\"a\", \"b\"]; expected a clause id (after the parameters' values were put in)"


def test_an_include_of_a_5000_letter_standard_name_is_unknown_not_an_os_error(tmp_path):
    """`make fuzz` found it: a name (no slash) is looked up among the packaged rule documents, never
    as a file (the file system refused the name: OSError, file name too long)."""
    import shutil

    shutil.copytree(MINIMAL.parent, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "minimal.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - rules: rules/clock.yaml", "  - rules: " + "x" * 5000),
                    encoding="utf-8")
    (d,) = diagnostics(path)
    assert (d.code, d.line, d.col) == ("unknown-rules", 57, 12)
    assert d.message.startswith("no standard rule document 'xxx")


def test_a_calendar_zone_of_5000_letters_is_a_bad_calendar_not_an_os_error(tmp_path):
    """`make fuzz` found it: zoneinfo looks the name up as a file, which the file system refuses."""
    import shutil

    shutil.copytree(MINIMAL.parent, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "minimal.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("timezone: Europe/London", "timezone: " + "x" * 5000, 1),
                    encoding="utf-8")
    (d,) = diagnostics(path)
    assert (d.code, d.path) == ("bad-calendar", ("calendars", "emea", "timezone"))
    assert d.message.startswith("calendar 'emea': unknown time zone 'xxx")

"""Static checks (engine/language/lint*.py): one fixture per finding code in tests/fixtures/lint/, each
the clean base.yaml with one mistake, its reported lines marked `# WARN <code>` / `# NOTE <code>`."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import FIXTURES, INVALID, REPO

from engine.cli.main import main
from engine.language.lint_logic import Atom, Solver, Vocabulary, dnf
from engine.language.loader import check_files, load_contracts

LINT = FIXTURES / "lint"

# fixture -> [(code, line, col, json path, severity)]
CASES = {
    "target-never-fires.yaml": [
        ("target-never-fires", 29, 5, "$.targets[0]", "warning"),
        ("target-never-fires", 42, 7, "$.targets[1].severities.P2", "warning"),
    ],
    "target-shadowed.yaml": [("target-shadowed", 35, 5, "$.targets[1]", "warning")],
    "target-gap.yaml": [("target-gap", 29, 5, "$.targets[0]", "warning")],
    "target-maybe-gap.yaml": [("target-maybe-gap", 30, 5, "$.targets[0]", "warning")],
    "target-space-too-large.yaml": [("target-space-too-large", 33, 5, "$.targets[0]", "note")],
    "rule-never-fires.yaml": [("rule-never-fires", 54, 14, "$.rules[1].when.match", "warning")],
    "rule-conflict.yaml": [("rule-conflict", 52, 5, "$.rules[1].when", "warning")],
    "undeclared-values.yaml": [
        ("undeclared-category", 37, 3, "$.exclusions.hardware", "warning"),
        ("undeclared-severity", 56, 25, "$.rules[1].when.match.event.to", "warning"),
        ("undeclared-channel", 63, 31, "$.rules[2].when.match.ticket.channel", "warning"),
        ("undeclared-party", 70, 28, "$.rules[3].when.match.event.party", "warning"),
    ],
    "unknown-recipient.yaml": [("unknown-recipient", 55, 22, "$.rules[1].then[1].notify.to", "warning")],
    "region-no-calendar.yaml": [("region-no-calendar", 25, 41, "$.attributes.region.values[1]", "warning")],
    "escalation-unreachable.yaml": [("escalation-unreachable", 43, 7, "$.escalation[0].nodes.director", "warning")],
    "escalation-no-contact.yaml": [("escalation-no-contact", 41, 7, "$.escalation[0].nodes.manager", "warning")],
    "lint-ignore.yaml": [("lint-ignore-unused", 47, 7, "$.lint.ignore[1]", "warning")],
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in LINT.glob("*.yaml")) == sorted([*CASES, "base.yaml"])


def test_the_base_is_clean():
    assert check_files([LINT / "base.yaml"]) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_gives_exactly_its_findings(name):
    found = check_files([LINT / name])
    assert [(d.code, d.line, d.col, d.json_path, d.severity) for d in found] == CASES[name]
    for d in found:
        assert d.file == str(LINT / name)
        assert d.hint, d  # every finding says how to fix it
        assert d.clause or d.code == "lint-ignore-unused", d  # ...and which clause it is about
        assert d.render().endswith(f"hint: {d.hint})")
        assert d.to_dict()["hint"] == d.hint and d.to_dict()["clause"] == d.clause


@pytest.mark.parametrize("name", sorted(CASES))
def test_markers_sit_on_reported_lines(name):
    lines = (LINT / name).read_text(encoding="utf-8").splitlines()
    marked = {(i + 1, m.group(1)) for i, line in enumerate(lines) if (m := re.search(r"# (?:WARN|NOTE) (\S+)", line))}
    assert marked == {(line, code) for code, line, *_ in CASES[name]}


def test_each_fixture_is_the_base_with_a_small_change():
    base = set((LINT / "base.yaml").read_text(encoding="utf-8").splitlines())
    for name in CASES:
        added = [line for line in (LINT / name).read_text(encoding="utf-8").splitlines() if line not in base]
        assert 1 <= len(added) <= 24, (name, added)


def test_the_clause_named_is_the_one_of_the_target_rule_or_graph():
    (gap,) = check_files([LINT / "target-gap.yaml"])
    assert gap.clause == "T-RT" and "plan=premium" in gap.message and "2 combination(s)" in gap.message
    (contact,) = check_files([LINT / "escalation-no-contact.yaml"])
    assert contact.clause == "T-ESC"


def test_an_ignored_finding_is_silent_and_an_unused_entry_is_reported():
    found = check_files([LINT / "lint-ignore.yaml"])
    assert [d.code for d in found] == ["lint-ignore-unused"]  # escalation-no-contact at chain.manager is accepted
    assert "target-gap at 'response' matches no finding" in found[0].message


def test_an_ignore_entry_needs_its_reason(tmp_path):
    text = (LINT / "lint-ignore.yaml").read_text(encoding="utf-8")
    path = tmp_path / "no-why.yaml"
    path.write_text(text.replace(", why: the agreement names the role only}", "}"), encoding="utf-8")
    (d,) = check_files([path])
    assert (d.code, d.severity, d.line) == ("schema", "error", 46)
    assert "why" in d.message


def test_warnings_never_stop_a_load():
    contracts, diags = load_contracts([LINT / "target-gap.yaml"])
    assert list(contracts) == ["lint-base"] and [d.code for d in diags] == ["target-gap"]


def test_strict_fails_on_warnings_not_on_notes():
    path = str(LINT / "target-shadowed.yaml")
    assert run("validate", path)[0] == 0
    code, out, err = run("validate", "--strict", path)
    assert (code, out) == (1, "") and err.endswith("1 warning(s) in 1 of 1 file(s) (--strict)\n")
    assert run("validate", "--strict", str(LINT / "target-space-too-large.yaml"))[0] == 0
    assert run("validate", "--strict", str(LINT / "base.yaml")) == (0, "ok: 1 file(s) valid\n", "")


def test_strict_is_in_the_help(capsys):
    main(["validate", "--help"], io.StringIO(), io.StringIO())
    assert "--strict exit 1 on warnings too, not only on errors" in " ".join(capsys.readouterr().out.split())


def test_json_output_carries_clause_and_hint():
    code, out, _ = run("validate", "--format", "json", str(LINT / "escalation-no-contact.yaml"))
    (d,) = json.loads(out)
    assert code == 0 and d["severity"] == "warning" and d["clause"] == "T-ESC" and d["hint"].startswith("add `contact:`")


@pytest.mark.parametrize(("name", "code", "clause", "hint"), [
    ("clause-not-covered.yaml", "clause-not-covered", "TEST-LANG", "cite it"),
    ("escalation-cycle.yaml", "escalation-graph", "TEST-ESC", "remove the edge"),
    ("escalation-unreachable.yaml", "escalation-graph", "TEST-ESC", "add an edge to"),
    ("bad-timezone.yaml", "bad-calendar", "TEST-HOURS", "IANA time zone"),
    ("bad-hours.yaml", "bad-calendar", "TEST-HOURS", "opening hours"),
    ("unknown-party.yaml", "unknown-party", "TEST-RT", "a key of `parties:`"),
])
def test_the_earlier_errors_carry_clause_and_hint(name, code, clause, hint):
    found = [d for d in check_files([INVALID / name]) if d.code == code]
    assert found and all(d.severity == "error" and d.clause == clause and hint in (d.hint or "") for d in found)


def test_a_calendar_never_open_is_an_error_with_a_hint(tmp_path):
    text = (LINT / "base.yaml").read_text(encoding="utf-8")
    path = tmp_path / "closed.yaml"
    path.write_text(text.replace('      mon-fri: ["09:00-17:00"]', "      mon-fri: []"), encoding="utf-8")
    (d,) = check_files([path])
    assert (d.code, d.severity, d.clause, d.json_path) == ("bad-calendar", "error", "T-RT", "$.calendars.office.hours")
    assert "no opening hours" in d.message and "never due" in d.hint


def test_an_unknown_holiday_country_is_an_error_with_a_hint(tmp_path):
    text = (LINT / "base.yaml").read_text(encoding="utf-8")
    path = tmp_path / "holidays.yaml"
    path.write_text(text.replace('      mon-fri: ["09:00-17:00"]', '      mon-fri: ["09:00-17:00"]\n    holidays: {country: XX}'),
                    encoding="utf-8")
    (d,) = check_files([path])
    assert (d.code, d.severity, d.json_path) == ("bad-calendar", "error", "$.calendars.office.holidays")
    assert "holidays library" in d.hint


def test_seed_contracts_and_examples_have_no_unexpected_finding():
    """Every finding on them was fixed or accepted in the file (`lint: ignore`, with the seed's words)."""
    code, out, err = run("validate", "--strict", str(REPO / "contracts"), str(REPO / "examples"))
    assert (code, err) == (0, "")
    assert out.startswith("ok: ")


# --- the condition algebra ------------------------------------------------------------------------

SOLVER = Solver(Vocabulary.of({"severities": [{"id": "P1"}, {"id": "P2"}],
                               "attributes": {"plan": {"type": "string", "values": ["a", "b"]},
                                              "vip": {"type": "boolean"}}}).domains)


@pytest.mark.parametrize(("cond", "possible"), [
    ({"ticket.plan": "a"}, True),
    ({"$and": [{"ticket.plan": "a"}, {"ticket.plan": "b"}]}, False),
    ({"ticket.plan": "a", "$nin": {"ticket.plan": ["a"]}}, False),
    ({"$or": [{"ticket.plan": "a"}, {"ticket.plan": "c"}]}, True),
    ({"$in": {"ticket.plan": []}}, False),
    ({"ticket.vip": True, "$nex": {"ticket.vip": 1}}, False),
    ({"$nex": {"ticket.plan": 1}}, True),  # absent is a value
    ({"ticket.product": "x", "$in": {"ticket.product": ["y", "z"]}}, False),  # free-form: equalities still decide
    ({"ticket.product": "x", "$neq": {"ticket.product": "y"}}, True),
    ({"$gt": {"ticket.n": 5}, "$lt": {"ticket.n": 3}}, False),
    ({"$gte": {"ticket.n": 3}, "$lte": {"ticket.n": 3}}, True),
    ({"$gt": {"ticket.n": 3}, "$lt": {"ticket.n": 3}}, False),
    ({"$gt": {"ticket.n": 3}, "$lt": {"ticket.n": "x"}}, False),
    ({"ticket.n": 1, "$mt": {"ticket.n": ".*"}}, False),  # a pattern never matches a number
    ({"$imt": {"ticket.product": "a.*"}, "$mt": {"ticket.product": "b.*"}}, True),  # patterns: assumed compatible
    ({"ticket.severity": "P3"}, False),
    ({"ticket.vip": 1}, False),  # 1 is not true
])
def test_possible(cond, possible):
    assert SOLVER.possible(dnf(cond)) is possible


def test_certain_is_three_valued():
    cond = {"ticket.plan": "a", "$or": [{"ticket.vip": True}, {"$imt": {"ticket.product": "x"}}]}
    assert SOLVER.certain(cond, {"ticket.plan": "b", "ticket.vip": True}) is False
    assert SOLVER.certain(cond, {"ticket.plan": "a", "ticket.vip": True}) is True
    assert SOLVER.certain(cond, {"ticket.plan": "a", "ticket.vip": False}) is None  # depends on the product


def test_a_condition_too_large_to_expand_is_assumed_possible():
    wide = {"$and": [{"$or": [{f"ticket.f{i}": j} for j in range(4)]} for i in range(6)]}  # 4**6 conjunctions
    assert dnf(wide) is None and SOLVER.possible(dnf(wide))


def test_holds_uses_the_compiled_semantics():
    assert SOLVER.holds(Atom("ticket.x", "=", 1), True) is False  # no True == 1
    assert SOLVER.holds(Atom("ticket.x", "$neq", "a"), None) is False  # a missing fact never compares
    assert SOLVER.holds(Atom("ticket.x", "$nin", ["a"]), None) is False


def test_every_code_is_documented_in_format_md():
    doc = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    table = doc[doc.index("### Static checks (warnings)"):doc.index("### Includes")]
    for code in {c for findings in CASES.values() for c, *_ in findings}:
        assert f"| `{code}` |" in table, code


def test_the_format_md_example_is_what_validate_prints():
    doc = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    block = doc[doc.index("$ obligo validate --strict contract.yaml\n"):]
    shown = block[block.index("\n") + 1:block.index("```")]
    path = LINT / "target-shadowed.yaml"
    code, out, err = run("validate", "--strict", str(path))
    assert (code, out) == (1, "") and err.replace(str(path), "contract.yaml") == shown


def test_too_many_targets_times_combinations_is_a_note_not_a_slow_check(tmp_path):
    text = (LINT / "base.yaml").read_text(encoding="utf-8")
    values = "[" + ", ".join(f"v{i}" for i in range(8)) + "]"
    text = text.replace("  vip: {type: boolean}\n", "  vip: {type: boolean}\n" + "".join(
        f"  {n}: {{type: string, values: {values}}}\n" for n in "ab"))
    many = "".join(f"  - id: t{i}\n    clock: response\n    clause: T-RT\n    calendar: office\n"
                   f"    match: {{ticket.a: v{i % 8}, ticket.b: v{i // 8 % 8}}}\n    all: 1 hour\n" for i in range(1000))
    path = tmp_path / "many.yaml"
    path.write_text(text.replace("targets:\n", "targets:\n" + many), encoding="utf-8")
    (d,) = check_files([path])
    assert (d.code, d.severity) == ("target-space-too-large", "note")
    assert "243 combinations" in d.message and "times 1001 targets is over 200,000 evaluations" in d.message


def test_a_target_on_the_region_calendar_without_regions_never_starts_a_clock(tmp_path):
    text = (LINT / "base.yaml").read_text(encoding="utf-8")
    path = tmp_path / "no-regions.yaml"
    path.write_text(text.replace("    calendar: office\n    severities:", "    severities:"), encoding="utf-8")
    (d,) = check_files([path])
    assert (d.code, d.line, d.col, d.json_path, d.clause) == ("region-no-calendar", 29, 5, "$.targets[0]", "T-RT")
    assert "no `regions:`" in d.message


def test_a_rule_switched_off_by_an_empty_list_says_so(tmp_path):
    text = (LINT / "base.yaml").read_text(encoding="utf-8")
    path = tmp_path / "off.yaml"
    path.write_text(text.replace("    when: {event: responded}", "    when: {event: responded, match: {$in: {ticket.plan: []}}}"),
                    encoding="utf-8")
    (d,) = check_files([path])
    assert d.code == "rule-never-fires" and "`$in` on ticket.plan is an empty list" in d.message

"""`engine.expand`: `${param}` substitution (typed when whole, text inside strings and keys),
included rule documents (ids prefixed with `as`), and parameter diagnostics in the right file."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import MINIMAL, RULES

from engine.language import expand as expand_module
from engine.language.expand import BUILTIN_RULES, Origin, expand, substitute
from engine.language.load import load_file, load_text
from engine.language.resources import standard_rule_names

PARAMS = {"n": 2, "ratios": [0.8, 0.9], "name": "emea", "flag": True, "nothing": None, "table": {"P1": "1 hour"}}


def sub(value, params=PARAMS):
    doc, _ = load_text("x: 1\n", "c.yaml")
    out: list = []
    return substitute(value, params, Origin(doc, ()), ("here",), out), out


# --- substitute ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("${n}", 2),
    ("${ratios}", [0.8, 0.9]),
    ("${flag}", True),
    ("${nothing}", None),
    ("${table}", {"P1": "1 hour"}),
    ("${name}", "emea"),
    (["${ratios}", "${n}"], [[0.8, 0.9], 2]),
    ({"a": {"b": ["${flag}"]}}, {"a": {"b": [True]}}),
])
def test_whole_string_parameter_keeps_its_type(value, expected):
    assert sub(value) == (expected, [])


@pytest.mark.parametrize(("value", "expected"), [
    ("${n} hours", "2 hours"),
    ("calendar ${name}, ${n}x", "calendar emea, 2x"),
    ("warn at ${ratios}", "warn at [0.8, 0.9]"),
    ("${flag}!", "True!"),
    (" ${name}", " emea"),
    ("${name}${name}", "emeaemea"),
    ("$name {name} $${name}", "$name {name} $emea"),
    ("no parameter here", "no parameter here"),
    ("${not a param}", "${not a param}"),
])
def test_inline_substitution_gives_text(value, expected):
    assert sub(value) == (expected, [])


def test_keys_take_the_parameter_text_even_when_whole():
    value = {"state.clock.${name}": 1, "${n}": "${n}", "${flag}": {"$in": {"ticket.${name}": "${ratios}"}}}
    assert sub(value) == ({"state.clock.emea": 1, "2": 2, "True": {"$in": {"ticket.emea": [0.8, 0.9]}}}, [])


def test_a_list_parameter_as_a_key_is_text_not_a_crash():
    assert sub({"${ratios}": 1}) == ({"[0.8, 0.9]": 1}, [])


def test_non_text_values_are_left_alone():
    assert sub([1, 2.5, True, None, {"k": 3}]) == ([1, 2.5, True, None, {"k": 3}], [])


def test_unknown_parameters_are_reported_where_they_are_written():
    doc, _ = load_text("rules:\n  - when: {event: '${evnt}'}\n    then: ['x ${nme} y']\n    match: {'ticket.${nmae}': 1}\n",
                       "c.yaml")
    out: list = []
    rule = doc.data["rules"][0]
    result = substitute(rule, {"name": "emea", "event": "opened"}, Origin(doc, ("rules", 0)), (), out)
    assert result == {"when": {"event": "${evnt}"}, "then": ["x ${nme} y"], "match": {"ticket.${nmae}": 1}}
    assert [(d.code, d.line, d.col, d.json_path, d.message) for d in out] == [
        ("unknown-parameter", 2, 19, "$.rules[0].when.event", "unknown parameter 'evnt'; did you mean 'event'?"),
        ("unknown-parameter", 3, 12, "$.rules[0].then[0]", "unknown parameter 'nme'; did you mean 'name'?"),
        ("unknown-parameter", 4, 13, "$.rules[0].match.ticket.${nmae}", "unknown parameter 'nmae'; did you mean 'name'?"),
    ]


def test_quiet_names_are_not_reported_again():
    doc, _ = load_text("x: 1\n", "c.yaml")
    out: list = []
    substitute(["${a}", "${b}"], {}, Origin(doc, ()), (), out, frozenset({"a"}))
    assert [d.message for d in out] == ["unknown parameter 'b'"]


# --- expand: a contract ---------------------------------------------------------------------------

def minimal(tmp_path: Path, extra: str = "", rules_doc: str | None = None, replace: tuple[str, str] | None = None):
    """minimal.yaml (optionally edited) in tmp_path/valid, with its include (or `rules_doc`) in tmp_path/valid/rules."""
    (tmp_path / "valid" / "rules").mkdir(parents=True, exist_ok=True)
    (tmp_path / "valid" / "rules" / "clock.yaml").write_text(
        rules_doc if rules_doc is not None else (RULES / "clock.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    text = MINIMAL.read_text(encoding="utf-8") + extra
    if replace:
        assert text.count(replace[0]) == 1, replace[0]
        text = text.replace(*replace)
    path = tmp_path / "valid" / "c.yaml"
    path.write_text(text, encoding="utf-8")
    doc, problems = load_file(path)
    assert problems == []
    return doc


def test_expand_the_base_contract(tmp_path):
    doc = minimal(tmp_path)
    exp, diags = expand(doc)
    assert diags == []
    assert exp.params == {"warn_at": [0.8], "p2_response": "2 hours", "exclusion_categories": [], "contract_id": "minimal"}
    assert exp.data["targets"][0]["severities"]["P2"] == "2 hours"
    assert [rid for rid, _, _ in exp.rules] == ["minimal.escalate-on-request", "minimal.response.start", "minimal.response.stop"]


def test_include_rules_are_prefixed_with_as_and_substituted_with_their_with_values(tmp_path):
    exp, _ = expand(minimal(tmp_path))
    rules = {rid: (rule, origin) for rid, rule, origin in exp.rules}
    start, origin = rules["minimal.response.start"]
    assert start["clause"] == "TEST-RT"
    assert start["when"] == {"event": ["opened"], "match": {"$nex": {"state.clock.response": 1}}}
    assert start["then"] == [{"start_clock": {"clock": "response"}}]
    assert origin.doc.file == str(tmp_path / "valid" / "rules" / "clock.yaml")
    assert origin.path == ("rules", 0)
    stop, _ = rules["minimal.response.stop"]
    assert stop["when"]["event"] == ["responded"]
    assert stop["when"]["match"] == {"$in": {"state.clock.response": ["running", "paused"]}}


def test_include_without_as_uses_the_document_id(tmp_path):
    exp, diags = expand(minimal(tmp_path, replace=("    as: response\n", "")))
    assert diags == []
    assert [rid for rid, _, _ in exp.rules][1:] == ["minimal.clock.start", "minimal.clock.stop"]


def test_with_values_may_be_contract_parameters(tmp_path):
    doc = minimal(tmp_path, replace=("start_on: [opened]", 'start_on: "${starts}"'))
    doc.data["parameters"]["starts"] = {"value": ["opened", "acknowledged"], "description": "x"}
    exp, diags = expand(doc)
    assert diags == []
    assert exp.rules[1][1]["when"]["event"] == ["opened", "acknowledged"]


def test_an_include_sees_its_with_values_and_built_ins_not_contract_parameters(tmp_path):
    rules_doc = textwrap.dedent("""\
        id: clock
        params: {clock: c, clause: c, start_on: s, stop_on: s}
        rules:
          - id: start
            clause: "${clause}"
            description: "${contract_id} excludes ${exclusion_categories}; target ${p2_response}"
            when: {event: "${start_on}", match: {$in: {ticket.category: "${exclusion_categories}"}}}
            then: [{start_clock: {clock: "${clock}"}}]
        """)
    doc = minimal(tmp_path, rules_doc=rules_doc, extra="exclusions: {misuse: {clause: TEST-RT}}\n")
    exp, diags = expand(doc)
    (rid, rule, _), = [r for r in exp.rules if r[0] == "minimal.response.start"]
    assert rule["when"]["match"] == {"$in": {"ticket.category": ["misuse"]}}
    assert rule["description"] == "minimal excludes ['misuse']; target ${p2_response}"
    assert [(d.code, Path(d.file).name, d.line, d.json_path) for d in diags] == [
        ("unknown-parameter", "clock.yaml", 6, "$.rules[0].description")]


def test_contract_sections_are_substituted_but_parameters_assumptions_and_not_encoded_are_not(tmp_path):
    doc = minimal(tmp_path, extra="assumptions:\n  - {clause: TEST-RT, seed: '${p2_response}', choice: x}\n",
                  replace=("    reason: language of support; no event carries it", "    reason: see ${p2_response}"))
    doc.data["parameters"]["p2_response"]["description"] = "${warn_at}"
    exp, diags = expand(doc)
    assert diags == []
    assert exp.data["parameters"]["p2_response"]["description"] == "${warn_at}"
    assert exp.data["assumptions"][0]["seed"] == "${p2_response}"
    assert exp.data["not_encoded"][0]["reason"] == "see ${p2_response}"
    assert exp.data["targets"][0]["severities"]["P2"] == "2 hours"


def test_overrides_replace_parameter_values_and_unknown_overrides_are_reported(tmp_path):
    doc = minimal(tmp_path)
    exp, diags = expand(doc, {"p2_response": "3 hours"})
    assert (diags, exp.data["targets"][0]["severities"]["P2"]) == ([], "3 hours")
    _, diags = expand(doc, {"p2_respons": "3 hours"})
    assert [(d.code, d.line, d.json_path, d.message) for d in diags] == [
        ("unknown-parameter", 11, "$.parameters", "override of unknown parameter 'p2_respons'; did you mean 'p2_response'?")]


# --- expand: parameter problems, located in the right file --------------------------------------

@pytest.mark.parametrize("override", [None, {"p2_response": "${nope}"}])
def test_a_parameter_value_that_refers_to_a_parameter_is_located_not_a_crash(tmp_path, override):
    # Found by `make fuzz` (a mutated opentext-corefax.yaml): substitution is one pass, so a value
    # "${nope}" reached the obligation's due unreported and the compiler raised ValueError.
    doc = minimal(tmp_path, replace=("    value: 2 hours", '    value: "${nope}"')) if override is None else minimal(tmp_path)
    _, diags = expand(doc, override)
    where = "$.parameters.p2_response.value" if override is None else "$.parameters.p2_response"
    assert [(d.code, d.json_path) for d in diags if "holds ${nope}" in d.message] == [("unknown-parameter", where)]
    assert all(d.line is not None for d in diags)


def test_unknown_parameter_in_the_contract_is_located_in_the_contract(tmp_path):
    doc = minimal(tmp_path, replace=('      P2: "${p2_response}"', '      P2: "${p2_respons}"'))
    exp, diags = expand(doc)
    assert [(d.code, d.file, d.line, d.col, d.json_path) for d in diags] == [
        ("unknown-parameter", doc.file, 45, 11, "$.targets[0].severities.P2")]
    assert exp.data["targets"][0]["severities"]["P2"] == "${p2_respons}"  # left as written


def test_unknown_parameter_in_a_contract_rule_is_located_in_the_rule(tmp_path):
    doc = minimal(tmp_path, replace=("      - escalate: {trigger: customer_request}",
                                     "      - notify: {to: manager, reason: 'over ${p2_responce}'}"))
    _, diags = expand(doc)
    assert [(d.code, d.line, d.col, d.json_path, d.message) for d in diags] == [
        ("unknown-parameter", 67, 39, "$.rules[0].then[0].notify.reason",
         "unknown parameter 'p2_responce'; did you mean 'p2_response'?")]


def test_unknown_parameter_in_an_included_document_is_located_in_that_document(tmp_path):
    rules_doc = (RULES / "clock.yaml").read_text(encoding="utf-8").replace(
        '      - start_clock: {clock: "${clock}"}', '      - start_clock: {clock: "${clok}"}')
    doc = minimal(tmp_path, rules_doc=rules_doc)
    _, diags = expand(doc)
    assert [(d.code, d.file, d.line, d.col, d.json_path, d.message) for d in diags] == [
        ("unknown-parameter", str(tmp_path / "valid" / "rules" / "clock.yaml"), 16, 30, "$.rules[0].then[0].start_clock.clock",
         "unknown parameter 'clok'; did you mean 'clock'?")]


def test_with_value_naming_an_unknown_contract_parameter_is_located_at_the_include(tmp_path):
    _, diags = expand(minimal(tmp_path, replace=("clause: TEST-RT, start_on", 'clause: "${clase}", start_on')))
    assert [(d.code, Path(d.file).name, d.line, d.json_path) for d in diags] == [
        ("unknown-parameter", "c.yaml", 59, "$.include[0].with.clause")]


def test_include_with_a_missing_param_is_reported_once_at_the_include(tmp_path):
    doc = minimal(tmp_path, replace=(", stop_on: [responded]}", "}"))
    exp, diags = expand(doc)
    assert [(d.code, d.file, d.line, d.col, d.json_path, d.message) for d in diags] == [
        ("missing-parameter", doc.file, 59, 11, "$.include[0].with",
         "include of 'clock' needs parameter 'stop_on' (event types that meet the clock)")]
    assert exp.rules[2][1]["when"]["event"] == "${stop_on}"


def test_include_with_an_undeclared_param_is_located_at_its_key(tmp_path):
    doc = minimal(tmp_path, replace=("stop_on: [responded]}", "stop_on: [responded], stop_onn: [closed]}"))
    _, diags = expand(doc)
    assert [(d.code, d.line, d.col, d.json_path, d.message) for d in diags] == [
        ("unknown-parameter", 59, 88, "$.include[0].with.stop_onn",
         "'clock' has no parameter 'stop_onn'; did you mean 'stop_on'?")]


def test_include_of_a_missing_file(tmp_path):
    doc = minimal(tmp_path, replace=("  - rules: rules/clock.yaml", "  - rules: rules/nope.yaml"))
    exp, diags = expand(doc)
    assert [(d.code, d.line, d.col, d.message) for d in diags] == [
        ("include", 57, 12, "cannot include 'rules/nope.yaml': no such file")]
    assert [rid for rid, _, _ in exp.rules] == ["minimal.escalate-on-request"]


def test_include_of_a_broken_yaml_file_names_the_line_inside_it(tmp_path):
    doc = minimal(tmp_path, rules_doc="id: clock\nrules:\n  - id: a\n   b: c\n")
    _, diags = expand(doc)
    (d,) = diags
    assert (d.code, d.file, d.line) == ("include", doc.file, 57)
    assert d.message.startswith("cannot include 'rules/clock.yaml': line 4, column 4: YAML syntax error")


def test_include_of_a_document_failing_its_schema_reports_in_that_document(tmp_path):
    doc = minimal(tmp_path,
                  rules_doc="id: clock\nrules:\n  - id: a\n    clause: TEST-RT\n    when: {event: opened}\n    then: []\n")
    exp, diags = expand(doc)
    assert [(d.code, d.file, d.line, d.json_path) for d in diags] == [
        ("schema", str(tmp_path / "valid" / "rules" / "clock.yaml"), 6, "$.rules[0].then")]
    assert len(exp.rules) == 1


def test_duplicate_keys_in_an_included_document_are_reported_there(tmp_path):
    rules_doc = (RULES / "clock.yaml").read_text(encoding="utf-8").replace(
        "  clock: clock name\n", "  clock: clock name\n  clock: again\n")
    _, diags = expand(minimal(tmp_path, rules_doc=rules_doc))
    assert [(d.code, Path(d.file).name, d.line) for d in diags] == [("duplicate-key", "clock.yaml", 6)]


# --- includes: a standard rule document by name, or a file inside the contract's folder tree ----------

def include(tmp_path: Path, written: str, **kwargs):
    """expand minimal.yaml (in tmp_path/valid) with its include naming `written`; files opened recorded."""
    doc = minimal(tmp_path, replace=("  - rules: rules/clock.yaml", f"  - rules: {written}"))
    return expand(doc, **kwargs)


@pytest.fixture
def outside(tmp_path: Path, monkeypatch) -> list[str]:
    """A valid rule document outside the contract tree (tmp_path/elsewhere/clock.yaml); returns the list
    of every file `expand` loads, to show the outside one is never read."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "clock.yaml").write_text(
        (RULES / "clock.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    opened: list[str] = []
    real = expand_module.load_file

    def spy(path, name=None):
        opened.append(str(path))
        return real(path, name)

    monkeypatch.setattr(expand_module, "load_file", spy)
    return opened


@pytest.mark.parametrize("written", [
    "../elsewhere/clock.yaml",
    "../rules/../elsewhere/clock.yaml",
    "./../../{tmp}/elsewhere/clock.yaml",
    "{tmp}/elsewhere/clock.yaml",  # absolute
])
def test_an_include_outside_the_tree_is_refused_without_reading_it(tmp_path, outside, written):
    exp, diags = include(tmp_path, written.format(tmp=tmp_path).replace("/./../../", "/../../"))
    assert [(d.code, d.line, d.col, d.json_path) for d in diags] == [("include-outside", 57, 12, "$.include[0].rules")]
    assert diags[0].message.startswith(f"cannot include '{written.format(tmp=tmp_path)}'".replace("/./../../", "/../../"))
    assert "an include must name a file inside the contract's folder" in diags[0].message
    assert outside == []
    assert [rid for rid, _, _ in exp.rules] == ["minimal.escalate-on-request"]


def test_a_symlink_inside_the_folder_to_a_file_outside_is_refused(tmp_path, outside):
    (tmp_path / "valid").mkdir()
    (tmp_path / "valid" / "clock.yaml").symlink_to(tmp_path / "elsewhere" / "clock.yaml")
    _, diags = include(tmp_path, "clock.yaml")
    assert [d.code for d in diags] == ["include-outside"]
    assert outside == []


def test_a_symlinked_library_folder_is_judged_by_where_it_points(tmp_path, outside):
    (tmp_path / "valid").mkdir()
    (tmp_path / "valid" / "lib").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    _, diags = include(tmp_path, "lib/clock.yaml")
    assert [d.code for d in diags] == ["include-outside"]
    assert outside == []


def test_includes_in_the_contract_folder_and_below_are_allowed(tmp_path):
    (tmp_path / "valid" / "sub").mkdir(parents=True)
    (tmp_path / "valid" / "sub" / "clock.yaml").write_text(
        (RULES / "clock.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    exp, diags = include(tmp_path, "sub/clock.yaml")
    assert diags == []
    assert exp.rules[1][2].doc.file == str(tmp_path / "valid" / "sub" / "clock.yaml")


def test_the_old_rules_library_beside_the_contract_folder_is_outside_too(tmp_path, outside):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "clock.yaml").write_text((RULES / "clock.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _, diags = include(tmp_path, "../rules/clock.yaml")
    assert [(d.code, d.line, d.col) for d in diags] == [("include-outside", 57, 12)]
    assert diags[0].message == (f"cannot include '../rules/clock.yaml': an include must name a file inside the contract's "
                                f"folder ({tmp_path / 'valid'}) or below it, or a standard rule document by name "
                                "(e.g. 'sla-clock')")


def test_a_standard_rule_document_is_included_by_name_from_an_empty_folder(tmp_path):
    """Nothing beside the contract: `rules: sla-clock` reads the package's own document."""
    text = MINIMAL.read_text(encoding="utf-8").replace("  - rules: rules/clock.yaml\n", "  - rules: sla-clock\n")
    path = tmp_path / "alone" / "c.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    doc, _ = load_file(path)
    exp, diags = expand(doc)
    assert diags == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["c.yaml"]
    included = [(rid, origin.doc.file) for rid, _, origin in exp.rules[1:]]
    assert [rid for rid, _ in included] == ["minimal.response.start", "minimal.response.stop",
                                           "minimal.response.reschedule", "minimal.response.close"]
    assert {file for _, file in included} == {str(BUILTIN_RULES / "sla-clock.yaml")}


@pytest.mark.parametrize(("written", "message"), [
    ("sla-clok", "no standard rule document 'sla-clok'; did you mean 'sla-clock'?"),
    ("clock", "no standard rule document 'clock'; did you mean 'sla-clock'?"),
    ("nothing-like-it", "no standard rule document 'nothing-like-it'; expected one of: "
     + ", ".join(standard_rule_names())),
])
def test_an_unknown_standard_name_is_located_with_a_did_you_mean(tmp_path, written, message):
    exp, diags = include(tmp_path, written)
    assert [(d.code, d.line, d.col, d.json_path) for d in diags] == [("unknown-rules", 57, 12, "$.include[0].rules")]
    assert diags[0].message == message + " (a file of your own is included by its path, e.g. 'rules/mine.yaml')"
    assert [rid for rid, _, _ in exp.rules] == ["minimal.escalate-on-request"]


def test_a_name_with_a_dot_or_a_slash_is_a_path_not_a_standard_name(tmp_path):
    _, diags = include(tmp_path, "sla-clock.yaml")  # a file beside the contract, which is not there
    assert [(d.code, d.message) for d in diags] == [("include", "cannot include 'sla-clock.yaml': no such file")]


def test_a_path_leaving_the_folder_tree_is_located(tmp_path, outside):
    _, diags = include(tmp_path, "../x.yaml")
    assert [(d.code, d.line, d.col, d.json_path) for d in diags] == [("include-outside", 57, 12, "$.include[0].rules")]
    assert outside == []


def test_a_contract_including_itself_is_a_cycle(tmp_path):
    _, diags = include(tmp_path, "c.yaml")
    assert [(d.code, d.line, d.message) for d in diags] == [
        ("include-cycle", 57, "include cycle: c.yaml -> c.yaml (a contract cannot include itself)")]


B_RULES = "rules: [{id: x, clause: TEST-RT, when: {event: opened}, then: [{notify: {to: x}}]}]\n"


def test_a_cycle_through_a_second_document_names_the_chain(tmp_path):
    (tmp_path / "valid").mkdir()
    (tmp_path / "valid" / "b.yaml").write_text(
        "id: b\ninclude: [{rules: c.yaml}]\n" + B_RULES, encoding="utf-8")
    _, diags = include(tmp_path, "b.yaml")
    assert [(d.code, d.line, d.message) for d in diags] == [("include-cycle", 57, "include cycle: c.yaml -> b.yaml -> c.yaml")]


def test_an_included_document_with_an_include_that_is_no_cycle_fails_its_schema(tmp_path):
    (tmp_path / "valid").mkdir()
    (tmp_path / "valid" / "b.yaml").write_text(
        "id: b\ninclude: [{rules: rules/clock.yaml}]\n" + B_RULES, encoding="utf-8")
    _, diags = include(tmp_path, "b.yaml")
    assert [(d.code, Path(d.file).name, d.line) for d in diags] == [("schema", "b.yaml", 2)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_an_include_of_a_fifo_is_refused_not_waited_on(tmp_path):
    (tmp_path / "valid").mkdir()
    os.mkfifo(tmp_path / "valid" / "pipe.yaml")
    _, diags = include(tmp_path, "pipe.yaml")
    assert [(d.code, d.message) for d in diags] == [("include", "cannot include 'pipe.yaml': not a regular file")]


def test_an_include_name_with_a_nul_is_a_diagnostic(tmp_path):
    _, diags = include(tmp_path, '"clock\\0.yaml"')
    assert [(d.code, d.message) for d in diags] == [("include", "cannot include 'clock\\x00.yaml': not a usable file name")]


# --- override values are bounded like loaded ones -----------------------------------------------------

def _shared(levels: int) -> list:
    value: list = ["lol"] * 10
    for _ in range(levels):
        value = [value] * 10  # what yaml.safe_load makes of a billion-laughs value: shared lists
    return value


def _nested(depth: int) -> list:
    value: list = [1]
    for _ in range(depth):
        value = [value]
    return value


def _self_containing() -> list:
    value: list = []
    value.append(value)  # yaml.safe_load("&a [*a]")
    return value


@pytest.mark.parametrize(("value", "code"), [
    (_shared(8), "too-large"),
    (_self_containing(), "too-deep"),
    (_nested(70), "too-deep"),
])
def test_an_override_value_over_the_limits_is_refused_and_the_contract_value_kept(tmp_path, value, code):
    exp, diags = expand(minimal(tmp_path), {"p2_response": value})
    assert [(d.code, d.line, d.json_path) for d in diags] == [(code, 15, "$.parameters.p2_response")]
    assert diags[0].message.startswith("override of parameter 'p2_response': ")
    assert exp.params["p2_response"] == "2 hours"

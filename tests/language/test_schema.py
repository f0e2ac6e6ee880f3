"""`engine.schema` and schemas/*.schema.json: the schemas themselves, the repository's documents
against them, and schema errors in words a contract author reads, at the right line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MINIMAL, REPO, RULES
from jsonschema import Draft202012Validator

from engine.language.load import load_file, load_text
from engine.language.resources import SCHEMAS as SCHEMA_DIR
from engine.language.schema import _registry, instance_errors, schema_diagnostics

KINDS = ("common", "contract", "rules", "event", "action", "scenario", "mapping")
SCHEMAS = {path.name: json.loads(path.read_text(encoding="utf-8"))
           for path in sorted(SCHEMA_DIR.iterdir(), key=lambda p: p.name) if path.name.endswith(".schema.json")}


def test_the_schema_files_are_the_expected_ones():
    assert sorted(SCHEMAS) == sorted(f"{k}.schema.json" for k in KINDS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_a_valid_draft_2020_12_schema_with_its_own_id(name):
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://obligo.dev/schemas/{name}"


def _refs(node, out):
    if isinstance(node, dict):
        if "$ref" in node:
            out.append(node["$ref"])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)
    return out


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_ref_resolves(name):
    schema = SCHEMAS[name]
    resolver = _registry().resolver(base_uri=schema["$id"])
    for ref in _refs(schema, []):
        assert resolver.lookup(ref).contents, ref


def documents():
    for path in sorted((REPO / "contracts").glob("*.yaml")):
        yield pytest.param(path, "scenario" if path.name.endswith(".tests.yaml") else "contract", id=path.name)
    for path in sorted((REPO / "engine" / "rules").glob("*.yaml")):
        yield pytest.param(path, "rules", id=f"rules/{path.name}")
    yield pytest.param(MINIMAL, "contract", id="fixtures/minimal.yaml")
    yield pytest.param(RULES / "clock.yaml", "rules", id="fixtures/rules/clock.yaml")


@pytest.mark.parametrize(("path", "kind"), list(documents()))
def test_repository_documents_pass_their_schema(path: Path, kind: str):
    doc, problems = load_file(path)
    assert problems == []
    assert [d.render() for d in schema_diagnostics(doc, kind)] == []


# --- messages --------------------------------------------------------------------------------

def contract_with(old: str, new: str):
    text = MINIMAL.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    doc, problems = load_text(text.replace(old, new), "m.yaml")
    assert problems == []
    return [(d.line, d.col, d.json_path, d.message) for d in schema_diagnostics(doc, "contract")]


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param('version: "1.0"\n', "version: 2026.1\n",
                 [(4, 10, "$.version", "'version' is 2026.1; expected text; write it in quotes: \"2026.1\"")],
                 id="number-for-text"),
    pytest.param("title: Minimal test contract\n", "",
                 [(2, 1, "$", "missing required field 'title' in 'the top level'")], id="missing-top-level"),
    pytest.param("effective_from: 2026-01-01\n", "effective_from: 2026-01-01\neffective_too: 2027-01-01\n",
                 [(6, 1, "$.effective_too", "unknown field 'effective_too'; did you mean 'effective_to'?")], id="unknown-field"),
    pytest.param("effective_from: 2026-01-01\n", "effective_from: 2026-13-01\n",
                 [(5, 17, "$.effective_from", "'effective_from' is \"2026-13-01\"; expected a date YYYY-MM-DD")], id="bad-date"),
    pytest.param("source: 900_0123abcd.txt\n", "source: seed.txt\n", [], id="source-is-free-text"),
    pytest.param("source: 900_0123abcd.txt\n", "source: ''\n",
                 [(6, 9, "$.source", "'source': '' should be non-empty")], id="source-not-empty"),
    pytest.param("    timezone: Europe/London\n", "    timezon: Europe/London\n",
                 [(20, 5, "$.calendars.emea.timezon", "unknown field 'timezon'; did you mean 'timezone'?")],
                 id="misspelled-key-inside-oneOf"),
    pytest.param('      mon-fri: ["09:00-17:00"]\n', '      monday: ["09:00-17:00"]\n',
                 [(22, 7, "$.calendars.emea.hours.monday", "'hours' has an invalid key 'monday'; expected a weekday "
                   "(mon, tue, wed, thu, fri, sat, sun) or a range such as mon-fri")], id="weekday-key"),
    pytest.param('      mon-fri: ["09:00-17:00"]\n', '      mon-fri: "09:00-17:00"\n',
                 [(22, 16, "$.calendars.emea.hours.mon-fri", "'mon-fri' is \"09:00-17:00\"; expected a list")],
                 id="hours-not-a-list"),
    pytest.param("    clause: TEST-HOURS\n", "    clause: test-hours\n",
                 [(19, 13, "$.calendars.emea.clause", "'clause' is \"test-hours\"; expected a clause id "
                   "declared under the contract's `clauses:`, e.g. ADOBE-RT-EXPERT")], id="clause-pattern"),
    pytest.param("    clock: response\n", "    clock: respons\n",
                 [(39, 12, "$.targets[0].clock", "'clock' is \"respons\"; did you mean 'response'?")], id="enum"),
    pytest.param("  - id: response\n", "  - id: my response\n",
                 [(38, 9, "$.targets[0].id", "'id' is \"my response\"; expected an identifier: letters, digits, '.', '_' "
                   "or '-', starting with a letter or digit (no spaces)")], id="identifier"),
    pytest.param('      P2: "${p2_response}"\n', "      P2: 5\n",
                 [(45, 11, "$.targets[0].severities.P2", "'P2' is 5; expected 'N minutes', 'N hours' or 'N business days' "
                   "or 'none' or a mapping")], id="duration-of-the-wrong-kind"),
    pytest.param('      P2: "${p2_response}"\n', "      P2: 30 mins\n",
                 [(45, 11, "$.targets[0].severities.P2", "'P2' is \"30 mins\"; expected 'N minutes', 'N hours' or "
                   "'N business days'")], id="bad-duration-text"),
    pytest.param('      P1: {duration: 1 hour, calendar: 24x7}\n', '      P1: {duration: 1 hour, calender: 24x7}\n',
                 [(44, 30, "$.targets[0].severities.P1.calender", "unknown field 'calender'; did you mean 'calendar'?")],
                 id="misspelled-key-in-a-target-row"),
    pytest.param("  - id: response\n", "  - id: response\n    all: 1 hour\n",
                 [(38, 5, "$.targets[0]",
                   "'targets[0]' has both 'severities' and 'all'; give only one of 'severities' or 'all'")],
                 id="severities-and-all"),
    pytest.param("    severities:\n      P1: {duration: 1 hour, calendar: 24x7}\n      P2: \"${p2_response}\"\n", "",
                 [(38, 5, "$.targets[0]", "'targets[0]' needs one of 'severities' or 'all'")], id="neither-severities-nor-all"),
    pytest.param("  - id: P2\n", "  - idd: P2\n",
                 [(33, 5, "$.severities[1]", "missing required field 'id' in 'severities[1]'"),
                  (33, 5, "$.severities[1].idd", "unknown field 'idd'; did you mean 'id'?")], id="misspelled-required-key"),
    pytest.param("      - escalate: {trigger: customer_request}\n",
                 "      - escalate: {trigger: customer_request}\n        notify: {to: x}\n",
                 [(67, 9, "$.rules[0].then[0]", "'then[0]' must hold exactly one key (one action per list item), got 2")],
                 id="two-actions-in-one-item"),
    pytest.param("      - escalate: {trigger: customer_request}\n", "      - escalat: {trigger: customer_request}\n",
                 [(67, 9, "$.rules[0].then[0].escalat", "unknown field 'escalat'; did you mean 'escalate'?")],
                 id="misspelled-action"),
    pytest.param("      - escalate: {trigger: customer_request}\n", "      - escalate: {trigger: request}\n",
                 [(67, 29, "$.rules[0].then[0].escalate.trigger", "'trigger' is \"request\"; did you mean 'customer_request'?")],
                 id="enum-in-an-action"),
    pytest.param("    then:\n      - escalate: {trigger: customer_request}\n", "    then: []\n",
                 [(66, 11, "$.rules[0].then", "'then' is empty; expected at least 1 item(s)")], id="empty-then"),
    pytest.param("      match: {$in: {ticket.severity: [P1, P2]}}\n", "      match: {$ex: {ticket.x: 2}}\n",
                 [(65, 31, "$.rules[0].when.match.$ex.ticket.x", "'ticket.x' is 2; expected one of: 1, true")], id="ex-value"),
    pytest.param("      match: {$in: {ticket.severity: [P1, P2]}}\n", "      match: {$in: {ticket.severity: P1}}\n",
                 [(65, 38, "$.rules[0].when.match.$in.ticket.severity", "'ticket.severity' is \"P1\"; expected a list of "
                   "values, or a \"${parameter}\" that holds one")], id="in-needs-a-list"),
    pytest.param("      match: {$in: {ticket.severity: [P1, P2]}}\n", "      match: {$foo: {ticket.x: 2}}\n",
                 [(65, 15, "$.rules[0].when.match.$foo", "unknown operator '$foo'; expected one of: $and, $or, $lt, $lte, "
                   "$gt, $gte, $neq, $ex, $nex, $mt, $imt, $in, $nin")], id="unknown-operator"),
    pytest.param("      match: {$in: {ticket.severity: [P1, P2]}}\n", "      match: {$lteq: {ticket.x: 2}}\n",
                 [(65, 15, "$.rules[0].when.match.$lteq", "unknown operator '$lteq'; did you mean '$lte'?")],
                 id="misspelled-operator"),
    pytest.param("      match: {$in: {ticket.severity: [P1, P2]}}\n", "      match: {$eq: {ticket.severity: P1}}\n",
                 [(65, 15, "$.rules[0].when.match.$eq", "unknown operator '$eq'; equality is written {field: value}, "
                   "e.g. {ticket.severity: P1}")], id="eq-operator"),
    pytest.param("  vendor: Vendor\n", "", [(8, 3, "$.parties", "missing required field 'vendor' in 'parties'")],
                 id="missing-party"),
])
def test_schema_messages(old, new, expected):
    assert contract_with(old, new) == expected


def test_schema_diagnostics_are_in_file_order_and_rendered_with_code_schema():
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("    clock: response\n", "    clock: respons\n").replace('version: "1.0"\n', "version: 1\n")
    doc, _ = load_text(text, "m.yaml")
    found = schema_diagnostics(doc, "contract")
    assert [(d.code, d.line) for d in found] == [("schema", 4), ("schema", 39)]
    assert found[0].render() == "m.yaml:4:10: schema: 'version' is 1; expected text; write it in quotes: \"1\" (at $.version)"


def test_rules_document_schema():
    doc, _ = load_text("id: x\nparams: {a: 1}\nrules: []\nextra: 1\n", "r.yaml")
    assert [(d.line, d.col, d.json_path, d.message) for d in schema_diagnostics(doc, "rules")] == [
        (2, 13, "$.params.a", "'a' is 1; expected text; write it in quotes: \"1\""),
        (3, 8, "$.rules", "'rules' is empty; expected at least 1 item(s)"),
        (4, 1, "$.extra", "unknown field 'extra'; expected one of: description, id, params, rules"),
    ]


# --- instance_errors (events, actions) --------------------------------------------------------

def test_instance_errors_for_an_event_are_short_sentences():
    errors = instance_errors({"id": "e", "ticket": "T", "at": "x", "type": "opend", "attrs": {"channel": "fax"}}, "event")
    assert errors == [
        "'at' is \"x\"; expected an RFC 3339 instant with an offset, e.g. 2026-03-02T16:50:00+01:00 or 2026-03-02T15:50:00Z",
        "attrs.channel: 'channel' is \"fax\"; expected one of: chat, email, null, phone, web",
        "'type' is \"opend\"; did you mean 'opened'?",
    ]
    assert instance_errors([], "event") == ["'the top level' is []; expected a mapping"]
    assert instance_errors({"id": "e", "ticket": "T", "at": "2026-03-02T16:50:00Z", "type": "opened"}, "event") == [
        "missing required field 'contract' in 'the top level'"]


def test_the_interface_action_example_passes_the_action_schema():
    action = {"ticket": "T-1001", "at": "2026-03-02T16:50:00Z", "action": "start_clock", "clock": "response",
              "due": "2026-03-03T09:20:00Z", "contract": "adobe", "rule": "adobe.response-target",
              "clause": "ADOBE-RT-ULTIMATE", "reason": "Ultimate P2: 30 business minutes, EMEA hours"}
    # docs/INTERFACE.md "Fields every action also carries" (added 2026-12) is not in that older example:
    # the schema requires them, so the example passes once they are added, and says what is missing
    assert instance_errors(action, "action") == [
        f"missing required field '{name}' in 'the top level'" for name in ("id", "version", "target", "calendar")]
    action.update({"id": "a1", "version": "2026.1", "severity": "P2", "target": "30 minutes", "calendar": "emea"})
    assert instance_errors(action, "action") == []
    del action["due"]
    assert instance_errors(action, "action") == ["missing required field 'due' in 'the top level'"]
    assert instance_errors({**action, "action": "stop_clock", "met": "yes", "elapsed": 60, "paused": 0},
                           "action") == ["'met' is \"yes\"; expected true or false (null for an excluded request, "
                                        "with excluded: true)"]

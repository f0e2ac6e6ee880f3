"""engine.compile: the backend-neutral compiled form of a contract (fixture contracts)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from runtime_fixtures.helpers import ACME, AGENDA, MINI, REPO, ev, load, pick, write

from engine import ContractError, Engine, EventError, load_contracts
from engine.calendars.business import BusinessCalendar
from engine.language.model import Attribute, Clause
from engine.model.durations import parse_duration
from engine.runtime.engine import TicketState, _Facts


def acme(overrides: dict | None = None):
    return load(ACME, overrides={"acme": overrides} if overrides else None).contracts["acme"]


def facts(**attrs) -> _Facts:
    return _Facts({}, TicketState("T1", "acme", attrs, 0))


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing `text` (so the test follows edits of the file)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_identity_fields():
    c = acme()
    assert (c.id, c.version, c.title, c.source) == ("acme", "1.0", "ACME fixture contract", "900_acce55.txt")
    assert c.severities == ("S1", "S2")
    assert c.regions == {"france": "paris"}
    assert c.exclusions == {"training": "TST-EXCL"}
    assert Path(c.file) == ACME


def test_rule_ids_are_prefixed_with_contract_and_include_alias():
    ids = [r.id for r in acme().rules]
    # reclassification entries first, then the contract's own rules, then the includes in order
    assert ids[:2] == ["acme.email-is-normal", "acme.ask-logs"]
    for rid in ("acme.response.start", "acme.response.stop", "acme.resolution.start", "acme.update.restart",
                "acme.info.pause", "acme.info.resume", "acme.escalation.escalate", "acme.exclusions.exclude"):
        assert rid in ids
    assert len(ids) == len(set(ids))


def test_rules_by_event_sorted_by_salience_then_definition_order():
    c = acme()
    # reclassification compiles at salience 100, exclusions.yaml's rule has 50, the clock starts 0
    assert [r.id for r in c.rules_by_event["opened"]] == [
        "acme.email-is-normal", "acme.exclusions.exclude", "acme.response.start", "acme.resolution.start"]
    assert [r.salience for r in c.rules_by_event["opened"]] == [100, 50, 0, 0]
    agenda = load(AGENDA).contracts["agenda"]
    assert [r.id for r in agenda.rules_by_event["rca_requested"]] == [
        "agenda.high", "agenda.low-first", "agenda.low-second", "agenda.negative"]


def test_included_rule_parameters_keep_their_type():
    c = acme()
    start = next(r for r in c.rules if r.id == "acme.response.start")
    assert start.events == ("opened",)  # "${start_on}" whole-string -> the list [opened]
    assert start.clause == "TST-RT"
    # "state.clock.${clock}" inside a longer string -> its text
    assert [path for path, _ in start.reads] == ["state.clock.response", "state.vars.excluded"]
    ask = next(r for r in c.rules if r.id == "acme.ask-logs")
    timer = next(a for a in ask.actions if a.kind == "start_timer")
    assert timer.args["after"] == parse_duration("2 hours")  # "${silence}" from the contract parameter
    excl = next(r for r in c.rules if r.id == "acme.exclusions.exclude")
    assert excl.condition["$in"] == {"ticket.category": ["training"]}  # built-in ${exclusion_categories}


def test_rules_remember_file_and_line():
    c = acme()
    by_id = {r.id: r for r in c.rules}
    assert Path(by_id["acme.ask-logs"].file) == ACME
    assert by_id["acme.ask-logs"].line == line_of(ACME, "- id: ask-logs")
    assert by_id["acme.email-is-normal"].line == line_of(ACME, "- id: email-is-normal")
    sla = REPO / "engine" / "rules" / "sla-clock.yaml"
    assert Path(by_id["acme.resolution.stop"].file) == sla
    assert by_id["acme.resolution.stop"].line == line_of(sla, "- id: stop")


def test_warn_at_parameter_is_sorted_and_a_scalar_becomes_a_list():
    assert acme().warn_at == ()
    assert acme({"warn_at": [0.9, 0.5]}).warn_at == (0.5, 0.9)
    assert acme({"warn_at": 0.75}).warn_at == (0.75,)


def test_target_lookup_per_severity():
    c = acme()
    target, row = c.target("response", "S1", facts(severity="S1"))
    assert (target.id, target.clause, row.duration, row.calendar) == ("response", "TST-RT", parse_duration("1 hour"), "24x7")
    _, row = c.target("response", "S2", facts(severity="S2"))
    assert (row.duration, row.calendar) == (parse_duration("4 hours"), "region")
    _, row = c.target("update", "S2", facts(severity="S2"))
    assert row.duration is None  # `none`: no clock for S2
    assert c.target("response", "S9", facts(severity="S9")) is None
    assert c.target("acknowledgement", "S1", facts(severity="S1")) is None


def test_calendar_references_and_memoisation():
    c = acme()
    cal, label = c.calendar("region", {"region": "france"})
    assert label.startswith("paris") and cal.timezone == "Europe/Paris"
    shared, again = c.calendar("paris", {}), c.calendar("region", {"region": "france"})
    assert shared[0] is again[0] and shared == again  # one calendar object, memoised
    assert c.calendar("24x7", {})[0].is_always_open
    assert c.calendar("region", {"region": "mars"}) is None
    assert c.calendar("nosuch", {}) is None


def test_next_severity():
    c = acme()
    assert c.next_severity("S1") == "S2"
    assert c.next_severity("S2") is None
    assert c.next_severity("S7") is None


def test_escalation_graph_compiled_with_its_entry():
    (graph,) = acme().graphs
    assert (graph.id, graph.clause, graph.entry) == ("chain", "TST-ESC", "agent")
    assert graph.step("agent", "customer_request", facts()) == "manager"
    assert graph.step("manager", "breach", facts()) == "director"
    assert graph.step("agent", "rule", facts()) is None
    assert graph.step("director", "customer_request", facts()) is None


def test_an_escalation_graphs_networkx_form_is_made_when_asked_and_equals_the_specs() -> None:
    """The runtime moves along `edges`; `graph` (views) is built on demand, as build_graph builds it."""
    from networkx.utils import graphs_equal

    from engine.language.escalation import build_graph

    (graph,) = acme().graphs
    spec = {"id": graph.id, "nodes": graph.nodes,
            "edges": [{"from": e.source, "to": e.to, "trigger": list(e.triggers)} for e in graph.edge_list]}
    built = graph.graph
    assert graphs_equal(built, build_graph(spec)) and built.graph == {"id": "chain"}
    assert list(built.nodes) == list(graph.nodes) and built.in_degree(graph.entry) == 0
    assert [(u, v, d["trigger"]) for u, v, d in built.edges(data=True)] == \
        [(e.source, e.to, e.triggers) for e in graph.edge_list]


def test_reason_template_renders_facts():
    c = acme()
    rule = next(r for r in c.rules if r.id == "acme.silence-reminder")
    (notify,) = rule.actions
    assert notify.reason.render(facts()) == "still waiting for the logs of T1"


def test_customer_local_calendar_from_ticket_attribute(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI)
    engine = Engine.load([path])
    c = engine.contracts["mini"]
    paris = c.calendar("local", {})
    assert paris[0].timezone == "Europe/Paris"  # the default
    tokyo = c.calendar("local", {"timezone": "Asia/Tokyo"})
    assert tokyo[0].timezone == "Asia/Tokyo" and c.calendar("local", {"timezone": "Asia/Tokyo"})[0] is tokyo[0]
    # Mon 2026-03-02 10:00 Paris = 09:00Z = 18:00 Tokyo (closed): 2 h from Tue 09:00 Tokyo
    # (00:00Z) -> 02:00Z. Default Paris: 10:00 + 2 h = 12:00 Paris = 11:00Z.
    out = []
    for i, zone in enumerate(("Asia/Tokyo", None)):
        attrs = {"severity": "high", **({"timezone": zone} if zone else {})}
        out += engine.process(ev(f"e{i}", f"T{i}", "2026-03-02T10:00:00+01:00", "opened", contract="mini", **attrs))
    assert pick(out, "ticket", "due") == [{"ticket": "T0", "due": "2026-03-03T02:00:00Z"},
                                          {"ticket": "T1", "due": "2026-03-02T11:00:00Z"}]


@pytest.mark.parametrize(("attrs", "code"), [
    ({"customer_zone": "Mars/Olympus"}, "unknown-timezone"),
    ({"customer_zone": "../../etc/passwd"}, "unknown-timezone"),
    ({"customer_country": "XX"}, "unknown-country"),
    ({"severity": "urgent"}, "unknown-severity"),
])
def test_an_attribute_a_calendar_cannot_use_is_a_reject_not_a_silent_default(tmp_path, attrs, code):
    # A silently substituted calendar is a silently wrong SLA: the zone and holiday country read
    # from ticket attributes (named by the contract, here not `timezone`) must be usable, or the
    # event is rejected with a code, moves no time and leaves no ticket.
    text = MINI.replace("timezone: {attr: timezone, default: Europe/Paris}",
                        "timezone: {attr: customer_zone, default: Europe/Paris}\n"
                        "    holidays: {country: {attr: customer_country, default: FR}}")
    engine = Engine.load([write(tmp_path / "mini.yaml", text)])
    event = ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", contract="mini", **{"severity": "high", **attrs})
    with pytest.raises(EventError) as info:
        engine.process(event)
    assert info.value.code == code
    assert engine.tickets == {} and engine.now is None
    ok = ev("e2", "T2", "2026-03-02T10:00:00+01:00", "opened", contract="mini", severity="high",
            customer_zone="Asia/Tokyo", customer_country="JP")
    assert pick(engine.process(ok), "due") == [{"due": "2026-03-03T02:00:00Z"}]


def test_parameter_override_of_unknown_name_is_a_diagnostic():
    contracts, diags = load_contracts([ACME], {"acme": {"silense": "1 hour"}})
    assert "acme" not in contracts
    assert any(d.code == "unknown-parameter" and "silence" in d.message for d in diags)
    with pytest.raises(ContractError):
        load(ACME, overrides={"acme": {"silense": "1 hour"}})


def test_parameter_override_changes_the_compiled_timer():
    engine = load(ACME, overrides={"acme": {"silence": "30 minutes"}})
    engine.process(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", plan="gold", region="france", severity="S2"))
    engine.process(ev("i", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))
    assert engine.state("T1")["timers"] == {"silence": "2026-03-02T10:30:00Z"}  # 10:00Z + 30 min 24x7


def test_the_compiled_contract_is_typed_data_without_the_yaml_dict():
    c = acme()
    assert not hasattr(c, "data") and not hasattr(c, "calendar_specs")
    with pytest.raises(FrozenInstanceError):
        c.id = "other"
    paris = c.calendars["paris"]
    # built at compile time, not parsed from a spec at run time
    assert isinstance(paris.calendar, BusinessCalendar) and paris.calendar.timezone == "Europe/Paris"
    assert (paris.clause, paris.zone_attr, paris.hours) == ("TST-HOURS", None, (("mon-fri", ("09:00-17:00",)),))
    assert c.calendar("paris", {}) == (paris.calendar, paris.label) and paris.label.startswith("paris (Europe/Paris")
    assert c.clauses["TST-LANG"] == Clause("TST-LANG", "support in English only")
    assert [s.id for s in c.severity_terms] == ["S1", "S2"] and c.plans["gold"].clause == "TST-PLAN"
    assert [(t.id, t.clock) for t in c.target_list] == [("response", "response"), ("update", "update"),
                                                         ("resolution", "resolution")]
    assert c.targets["update"] == (c.target_list[1],)
    assert c.effective_from == "2026-01-01" and c.parties == {"vendor": "ACME", "customer": "Customer"}
    assert [p.name for p in c.parameters] == ["warn_at", "silence"]


def test_clauses_with_a_ref_and_declared_attributes_are_typed(tmp_path):
    text = MINI.replace("  MINI-SEV: one severity\n", "  MINI-SEV: {text: one severity, ref: '2.1'}\n") + (
        "attributes:\n"
        "  timezone: {type: string, description: the customer's IANA zone}\n"
        "  tier: {type: integer, values: [1, 2]}\n")
    c = Engine.load([write(tmp_path / "mini.yaml", text)]).contracts["mini"]
    assert c.clauses["MINI-SEV"] == Clause("MINI-SEV", "one severity", "2.1")
    assert c.clauses["MINI-RT"] == Clause("MINI-RT", "response within 2 business hours", None)
    assert c.attributes == {"timezone": Attribute("timezone", "string", None, "the customer's IANA zone"),
                            "tier": Attribute("tier", "integer", (1, 2), "")}
    local = c.calendars["local"]
    assert (local.zone_attr, local.timezone, local.calendar.timezone) == ("timezone", "Europe/Paris", "Europe/Paris")


def test_the_compiled_model_does_not_import_the_yaml_front_end():
    # engine/__init__.py imports everything: load engine.language.model under a bare package
    code = ("import sys, types; pkg = types.ModuleType('engine'); pkg.__path__ = ['engine']; sys.modules['engine'] = pkg; "
            "import engine.language.model; "
            "print(sorted(m for m in sys.modules if m in ('yaml', 'jsonschema') or m.startswith('engine.language.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['engine.language.conditions', 'engine.language.escalation', 'engine.language.model']"


def test_a_set_of_keys_named_like_durations_is_data_not_a_duration(tmp_path):
    # `set: {due: soon}` crashed the compiler with an internal error (it parsed `due`, `target` and
    # `after` of every action as durations); only start_clock.target and start_timer.after are
    # durations. The values stay as written, so the engine's snapshot serialises them too.
    text = (REPO / "tests" / "runtime_fixtures" / "servicedesk.yaml").read_text(encoding="utf-8")
    text += ("rules:\n  - id: remember\n    clause: SD-PRIO\n    when: {event: opened}\n"
             "    then:\n      - set: {due: soon, target: \"2 hours\", after: 3}\n")
    path = tmp_path / "servicedesk.yaml"
    path.write_text(text, encoding="utf-8")
    contracts, diags = load_contracts([path])
    assert [d for d in diags if d.severity == "error"] == []
    engine = Engine(contracts)
    engine.process(ev("e1", "T1", "2026-03-02T09:00:00+01:00", "opened", "servicedesk", severity="P3", plan="standard",
                      region="france"))
    assert engine.tickets["T1"].vars == {"due": "soon", "target": "2 hours", "after": 3}
    assert json.loads(json.dumps(engine.snapshot()))["tickets"]

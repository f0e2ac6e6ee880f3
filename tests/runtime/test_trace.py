"""engine.trace: the decision log, one record per fired rule (fixture contract acme, Paris CET = UTC+1)."""

from __future__ import annotations

import io
import json

from runtime_fixtures.helpers import ACME, AGENDA, ev

from engine import Engine, JsonlTracer, ListTracer

S2 = dict(plan="gold", region="france", severity="S2", channel="web")


def traced(tracer, *paths) -> Engine:
    return Engine.load([str(p) for p in (paths or (ACME,))], tracer=tracer)


def test_list_tracer_records_each_fired_rule_with_the_facts_it_read():
    tracer = ListTracer()
    engine = traced(tracer)
    engine.process(ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **S2))
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))
    assert [(r["event"], r["trigger"], r["rule"], r["clause"]) for r in tracer.records] == [
        ("e1", "opened", "acme.response.start", "TST-RT"),
        ("e1", "opened", "acme.resolution.start", "TST-RES"),
        ("e2", "info_requested", "acme.ask-logs", "TST-OBL"),
        ("e2", "info_requested", "acme.info.pause", "TST-PAUSE"),
    ]
    first = tracer.records[0]
    assert first["at"] == 1772442000  # 2026-03-02T09:00:00Z: 1772409600 (00:00Z) + 9 * 3600
    assert (first["ticket"], first["contract"], first["version"]) == ("T1", "acme", "1.0")
    # the values the condition read, before the rule's own actions
    assert first["facts"] == {"state.clock.response": None, "state.vars.excluded": None}


def test_deadline_firings_are_traced_without_an_event_id():
    tracer = ListTracer()
    engine = traced(tracer)
    engine.process(ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **S2))
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))
    tracer.records.clear()
    engine.advance("2026-03-02T12:00:00Z")  # logs obligation and silence timer, both 12:00Z
    assert [(r["event"], r["trigger"], r["rule"], r["facts"]) for r in tracer.records] == [
        (None, "timer", "acme.silence-reminder", {"event.timer": "silence"})]


def test_internal_events_keep_the_id_of_the_event_that_caused_them():
    tracer = ListTracer()
    engine = traced(tracer)
    engine.process(ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **S2))
    tracer.records.clear()
    engine.process(ev("e2", "T1", "2026-03-02T10:30:00+01:00", "reclassification_requested", severity="S1"))
    assert [(r["event"], r["trigger"], r["rule"]) for r in tracer.records] == [
        ("e2", "reclassification_requested", "acme.reclass-on-request"),
        ("e2", "severity_changed", "acme.response.reschedule"),
        ("e2", "severity_changed", "acme.resolution.reschedule"),
    ]
    assert tracer.records[1]["facts"] == {"state.clock.response": "running"}


def test_jsonl_tracer_writes_one_json_line_per_record():
    stream = io.StringIO()
    engine = traced(JsonlTracer(stream), AGENDA)
    engine.process(ev("o", "T1", "2026-03-02T10:00:00Z", "opened", contract="agenda", severity="S3", plan="basic"))
    engine.process(ev("r", "T1", "2026-03-02T10:01:00Z", "rca_requested"))
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["rule"] for r in records] == ["agenda.start", "agenda.high", "agenda.low-first", "agenda.low-second",
                                            "agenda.negative"]
    assert set(records[0]) == {"at", "ticket", "event", "trigger", "rule", "clause", "contract", "version", "facts"}
    assert (records[1]["at"], records[1]["event"], records[1]["version"], records[1]["clause"]) == (
        "2026-03-02T10:01:00Z", "r", "2.5", "AG-ORDER")


def test_tracing_does_not_change_the_actions():
    events = [ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **S2),
              ev("e2", "T1", "2026-03-02T11:00:00+01:00", "escalation_requested"),
              ev("e3", "T1", "2026-03-02T15:00:00+01:00", "responded")]
    plain, with_trace = traced(None), traced(JsonlTracer(io.StringIO()))
    assert [a.to_json() for e in events for a in plain.process(e)] == [
        a.to_json() for e in events for a in with_trace.process(e)]

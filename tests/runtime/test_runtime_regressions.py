"""Issue 12, section 1: the wrong results found on the UCI ServiceNow log and by hand, each a
named test with its arithmetic. Fixture: tests/runtime_fixtures/servicedesk.yaml (P1 24x7, the
others on Paris hours Mon-Fri 09:00-17:00; March 2026 is CET, UTC+1, until the 29th)."""

from __future__ import annotations

import json
import random

import pytest
from runtime_fixtures.helpers import CONTRACTS, FIXTURES, REPO, SHARED_INVENTORY, ev, pick, run

from engine import Engine, EventError
from engine.model.events import parse_event

SERVICEDESK = FIXTURES / "servicedesk.yaml"
CLOCK_KEYS = ("action", "clock", "at", "due", "met", "elapsed", "paused", "severity", "target", "calendar")


@pytest.fixture
def desk() -> Engine:
    return Engine.load([str(SERVICEDESK)])


def sd(eid: str, at: str, kind: str, **attrs):
    return ev(eid, "INC1", at, kind, "servicedesk" if kind == "opened" else None, **attrs)


def of_clock(actions: list, clock: str) -> list[dict]:
    return [a for a in pick(actions, *CLOCK_KEYS) if a.get("clock") == clock]


def test_a_target_used_up_while_paused_breaches_at_the_change_and_is_never_met(desk):
    # P3 resolution (3 business days) from Mon 09:00 Paris; paused at 15:00 after 6 business hours
    # (09:00-15:00); raised to P1 (4 hours, 24x7) at 16:00 while paused: 6 h > 4 h, so the new
    # target ran out at Mon 09:00 + 4 h = 13:00 Paris (12:00Z, said in the reason) and the clock is
    # rescheduled and breached due at the change, 16:00 Paris = 15:00Z, with 6 h counted and 1 h
    # paused (15:00-16:00, open on the Paris calendar in force until the change).
    # Resumed Tue 10:00 Paris (09:00Z): 19 h paused in all (Mon 15:00 - Tue 10:00, 24x7).
    # Resolved Tue 11:00 Paris (10:00Z): 6 h + 1 h counted = 25,200 s > 14,400 s: missed.
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:30:00+01:00", "responded"),
        sd("e3", "2026-03-02T15:00:00+01:00", "info_requested"),
        sd("e4", "2026-03-02T16:00:00+01:00", "updated", severity="P1", by="customer"),
        sd("e5", "2026-03-03T10:00:00+01:00", "info_provided"),
        sd("e6", "2026-03-03T11:00:00+01:00", "resolved"),
    ])
    p3 = {"severity": "P3", "target": "3 business days", "calendar": "paris"}
    p1 = {"severity": "P1", "target": "4 hours", "calendar": "24x7"}
    assert of_clock(actions, "resolution") == [
        {"action": "start_clock", "clock": "resolution", "at": "2026-03-02T08:00:00Z", "due": "2026-03-05T08:00:00Z",
         **p3},
        {"action": "pause_clock", "clock": "resolution", "at": "2026-03-02T14:00:00Z", **p3},
        {"action": "reschedule_clock", "clock": "resolution", "at": "2026-03-02T15:00:00Z",
         "due": "2026-03-02T15:00:00Z", **p1},
        {"action": "breach", "clock": "resolution", "at": "2026-03-02T15:00:00Z", "due": "2026-03-02T15:00:00Z",
         "elapsed": 21600, "paused": 3600, **p1},
        {"action": "resume_clock", "clock": "resolution", "at": "2026-03-03T09:00:00Z", "due": "2026-03-03T09:00:00Z",
         **p1},
        {"action": "stop_clock", "clock": "resolution", "at": "2026-03-03T10:00:00Z", "met": False,
         "elapsed": 25200, "paused": 68400, **p1},
    ]


def test_a_fifteen_minute_target_used_up_while_paused_is_missed(desk):
    # P3 response (1 business hour) from Mon 09:00 Paris; paused at 09:20 after 20 min; raised to P1
    # (15 minutes, 24x7) at 09:30 while paused: 20 min > 15 min (it ran out at 09:15), reschedule
    # and breach due 09:30 (08:30Z) with 1,200 s counted and 600 s paused (09:20-09:30 on Paris hours,
    # open). Resumed 09:40 (10 more min paused, 24x7), responded 09:45:
    # 20 + 5 = 25 min counted (1,500 s), 20 min paused (1,200 s): missed, never "20 min of 15 used, met".
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:20:00+01:00", "info_requested"),
        sd("e3", "2026-03-02T09:30:00+01:00", "updated", severity="P1", by="customer"),
        sd("e4", "2026-03-02T09:40:00+01:00", "info_provided"),
        sd("e5", "2026-03-02T09:45:00+01:00", "responded"),
    ])
    response = of_clock(actions, "response")
    assert [(a["action"], a["at"]) for a in response] == [
        ("start_clock", "2026-03-02T08:00:00Z"), ("pause_clock", "2026-03-02T08:20:00Z"),
        ("reschedule_clock", "2026-03-02T08:30:00Z"), ("breach", "2026-03-02T08:30:00Z"),
        ("resume_clock", "2026-03-02T08:40:00Z"), ("stop_clock", "2026-03-02T08:45:00Z")]
    assert response[2]["due"] == "2026-03-02T08:30:00Z"
    assert (response[3]["due"], response[3]["elapsed"], response[3]["paused"]) == ("2026-03-02T08:30:00Z", 1200, 600)
    assert (response[5]["met"], response[5]["elapsed"], response[5]["paused"]) == (False, 1500, 1200)


def test_a_paused_clock_within_its_new_target_is_not_breached(desk):
    # The same pause, raised to P2 (30 business minutes) instead: 20 min <= 30 min, no breach; resumed
    # 09:40 with 10 min left -> due 09:50 Paris (08:50Z); responded 09:45: met, 25 min counted.
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:20:00+01:00", "info_requested"),
        sd("e3", "2026-03-02T09:30:00+01:00", "updated", severity="P2", by="customer"),
        sd("e4", "2026-03-02T09:40:00+01:00", "info_provided"),
        sd("e5", "2026-03-02T09:45:00+01:00", "responded"),
    ])
    response = of_clock(actions, "response")
    assert [a["action"] for a in response] == ["start_clock", "pause_clock", "reschedule_clock", "resume_clock",
                                               "stop_clock"]
    assert response[3]["due"] == "2026-03-02T08:50:00Z"
    assert (response[4]["met"], response[4]["elapsed"], response[4]["paused"]) == (True, 1500, 1200)


def test_the_first_severity_is_an_initial_assignment_never_from_none(desk):
    # Opened with impact 1 x urgency 1 and no priority: the classification sets P1. There was no
    # severity before, so the action has no `from` and says `initial: true` (docs/INTERFACE.md: from/to are
    # always severity values). The P1 response clock starts at once (15 minutes, 24x7).
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", impact=1, urgency=1),
    ])
    changes = [a.to_dict() for a in actions if a.action == "reclassify"]
    assert [{k: c.get(k) for k in ("to", "initial", "clause")} for c in changes] == [
        {"to": "P1", "initial": True, "clause": "SD-PRIO"}]
    assert "from" not in changes[0]
    assert [(a["action"], a["due"]) for a in of_clock(actions, "response")] == [("start_clock", "2026-03-02T08:15:00Z")]


def test_a_first_severity_set_by_update_is_initial_too(desk):
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france"),
        sd("e2", "2026-03-02T09:05:00+01:00", "updated", severity="P2", by="vendor"),
    ])
    assert [a.to_dict() for a in actions if a.action.startswith("reclassify")] == [{
        "id": actions[0].id, "ticket": "INC1", "at": "2026-03-02T08:05:00Z", "action": "reclassify", "to": "P2",
        "initial": True, "contract": "servicedesk", "version": "3", "rule": "servicedesk.severity-changes",
        "clause": "SD-CHANGE", "reason": "severity set to P2 by vendor (first assignment)", "event": "e2"}]
    # P2 response: 30 business minutes from 09:05 Paris -> 09:35 (08:35Z)
    assert [(a["action"], a["due"]) for a in of_clock(actions, "response")] == [("start_clock", "2026-03-02T08:35:00Z")]


def test_a_forbidden_severity_change_is_refused_once_and_changes_nothing(desk):
    # SD-CHANGE: after the response, support may change the priority only with the caller's approval.
    # The update by the vendor without consent is refused: one reclassify_refused, no reschedule,
    # the resolution clock keeps its P3 due (Thu 03-05 09:00 Paris = 08:00Z).
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:30:00+01:00", "responded"),
        sd("e3", "2026-03-02T10:00:00+01:00", "updated", severity="P4", by="vendor", note="x"),
    ])
    own = [a.to_dict() for a in actions if a.event == "e3"]
    assert [(a["action"], a.get("from"), a.get("to"), a["clause"]) for a in own] == [
        ("reclassify_refused", "P3", "P4", "SD-CHANGE")]
    assert own[0]["reason"] == "priority P3 -> P4 by support without the caller's approval (SD-CHANGE)"
    assert desk.read("INC1", "ticket.severity") == "P3"
    assert desk.read("INC1", "ticket.note") == "x"  # the rest of the update applies
    assert desk.state("INC1")["clocks"]["resolution"]["due"] == "2026-03-05T08:00:00Z"


def test_a_change_with_consent_is_applied_and_recorded_once(desk):
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:30:00+01:00", "responded"),
        sd("e3", "2026-03-02T10:00:00+01:00", "updated", severity="P2", by="vendor", consent=True),
    ])
    own = [a.to_dict() for a in actions if a.event == "e3"]
    assert [(a["action"], a.get("from"), a.get("to")) for a in own] == [
        ("reclassify", "P3", "P2"), ("reschedule_clock", None, None)]


@pytest.mark.skipif(not SHARED_INVENTORY.exists(), reason="needs ../shared/seeds/INVENTORY.md")
def test_olcare_vendor_change_without_consent_after_assessment_is_refused_citing_ol_reclass():
    # OL-RECLASS: "Il est possible de modifier les niveaux de gravité après l'évaluation initiale,
    # avec le consentement du client." After the first response, support lowers P2 -> P3 with
    # consent: false: exactly one action, the refusal, citing OL-RECLASS; severity and clocks unchanged
    # (P2 resolution 3 business days from Mon 10:00 Paris = Thu 03-05 10:00 = 09:00Z).
    engine = Engine.load([str(CONTRACTS / "olcare.yaml")])
    actions = run(engine, [
        ev("o1", "T1", "2026-03-02T10:00:00+01:00", "opened", "olcare", plan="standard", region="france",
           severity="P2", channel="web"),
        ev("o2", "T1", "2026-03-02T10:05:00+01:00", "acknowledged"),
        ev("o3", "T1", "2026-03-02T11:00:00+01:00", "responded"),
        ev("o4", "T1", "2026-03-02T15:00:00+01:00", "updated", severity="P3", by="vendor", consent=False),
    ])
    own = [a.to_dict() for a in actions if a.event == "o4"]
    assert [(a["action"], a.get("from"), a.get("to"), a["clause"]) for a in own] == [
        ("reclassify_refused", "P2", "P3", "OL-RECLASS")]
    assert engine.read("T1", "ticket.severity") == "P2"
    assert engine.state("T1")["clocks"]["resolution"]["due"] == "2026-03-05T09:00:00Z"


@pytest.mark.skipif(not SHARED_INVENTORY.exists(), reason="needs ../shared/seeds/INVENTORY.md")
def test_progr1_information_supplied_in_several_steps_adds_up_and_starts_the_clock():
    # P1-PRECOND: the resolution time starts once the distributor has supplied all four items.
    # Acknowledged Mon 2 Mar 10:00 Paris with two items; the other two arrive in two info_provided
    # events (Mon 11:00, Mon 14:00). docs/INTERFACE.md: attrs.info merges into the ticket's info, so at
    # 14:00 Paris (13:00Z) all four are there and the clock starts. Priority 3: 5 business days from
    # Mon 14:00 = Mon 9 Mar 14:00 Paris = 13:00Z.
    engine = Engine.load([str(CONTRACTS / "progr1.yaml")])
    actions = run(engine, [
        ev("p1", "T1", "2026-03-02T09:30:00+01:00", "opened", "progr1", plan="distributor", region="france",
           severity="3", info={"report": "r", "steps": "s"}),
        ev("p2", "T1", "2026-03-02T10:00:00+01:00", "acknowledged"),
        ev("p3", "T1", "2026-03-02T11:00:00+01:00", "info_provided", info={"errors": "e"}),
        ev("p4", "T1", "2026-03-02T14:00:00+01:00", "info_provided", info={"documents": "d"}),
    ])
    assert engine.read("T1", "ticket.info") == {"report": "r", "steps": "s", "errors": "e", "documents": "d"}
    starts = [a for a in of_clock(actions, "resolution") if a["action"] == "start_clock"]
    assert [(a["at"], a["due"]) for a in starts] == [("2026-03-02T13:00:00Z", "2026-03-09T13:00:00Z")]


@pytest.mark.parametrize(("attrs", "code"), [
    ({"severity": "P9"}, "unknown-severity"),
    ({"severity": 1}, "unknown-severity"),
    ({"severity": None}, "unknown-severity"),
])
def test_an_update_to_a_severity_the_contract_does_not_define_is_a_reject(desk, attrs, code):
    desk.process(sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"))
    with pytest.raises(EventError) as info:
        desk.process(sd("e2", "2026-03-02T09:30:00+01:00", "updated", **attrs))
    assert info.value.code == code
    assert desk.read("INC1", "ticket.severity") == "P3"
    assert desk.now == pytest.approx(desk.tickets["INC1"].opened_at)  # a reject moves no time


def test_an_open_with_an_undefined_severity_is_a_reject_and_a_number_gets_a_hint(desk):
    with pytest.raises(EventError) as info:
        desk.process(sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity=3))
    assert info.value.code == "unknown-severity"
    assert "P1, P2, P3, P4" in str(info.value)
    assert "INC1" not in desk.tickets


def test_action_ids_are_unique_and_do_not_depend_on_batching():
    # docs/INTERFACE.md: ids are deterministic whether the stream is fed at once or with time advanced in
    # between (live use). Advancing to any instant strictly before the next event fires the same
    # deadlines, in the same order, with the same ids.
    if not SHARED_INVENTORY.exists():
        pytest.skip("needs ../shared/seeds/INVENTORY.md")
    lines = (REPO / "bench" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    events = []
    for line in lines:
        try:
            events.append(parse_event(json.loads(line)))
        except (ValueError, EventError):
            continue
    events.sort(key=lambda e: e.at)

    def feed(rng: random.Random | None) -> list[str]:
        engine = Engine.load([str(CONTRACTS)])
        out = []
        for event in events:
            if rng is not None and engine.now is not None and event.at - engine.now > 1 and rng.random() < 0.5:
                out += engine.advance(rng.randrange(engine.now, event.at))
            try:
                out += engine.process(event)
            except EventError:
                pass
        out += engine.advance(events[-1].at + 30 * 86400)
        return [a.to_json() for a in out]

    once = feed(None)
    ids = [json.loads(line)["id"] for line in once]
    assert len(ids) == len(set(ids)) > 100
    assert feed(random.Random(7)) == once
    assert feed(random.Random(8)) == once


def test_a_target_its_calendar_cannot_reach_quarantines_the_ticket_quickly(tmp_path):
    # 8,784 hours (the one-year bound) on a calendar open one minute a week take ~10,000 years: the
    # calendar stops at its last year (2299) instead of building tables to year 9998 (9 s, 200 MB,
    # then exit 70). The event is a reject with a code, its ticket is quarantined, the stream goes on.
    text = SERVICEDESK.read_text(encoding="utf-8").replace('mon-fri: ["09:00-17:00"]', 'sat: ["09:00-09:01"]')
    text = text.replace("P3: 3 business days", "P3: 8784 hours")
    (tmp_path / "servicedesk.yaml").write_text(text, encoding="utf-8")
    engine = Engine.load([str(tmp_path / "servicedesk.yaml")])
    with pytest.raises(EventError) as info:
        engine.process(sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france",
                          severity="P3"))
    assert info.value.code == "calendar-range"
    assert "cannot reach" in str(info.value)
    with pytest.raises(EventError) as info:
        engine.process(sd("e2", "2026-03-02T10:00:00+01:00", "responded"))
    assert info.value.code == "quarantined"
    other = ev("e3", "INC2", "2026-03-02T10:00:00+01:00", "opened", "servicedesk", plan="standard",
               region="france", severity="P1")
    assert [a.action for a in engine.process(other)] == ["start_clock", "start_clock"]


def test_an_event_the_contract_refuses_is_recorded_once_and_changes_nothing(desk):
    # SD-CLOSE: a close without the caller's consent is refused: one `refused` action citing the
    # clause, the ticket stays open and its clocks run on (response due 10:00 Paris = 09:00Z breaches).
    actions = run(desk, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:30:00+01:00", "closed"),
        sd("e3", "2026-03-02T10:30:00+01:00", "closed", consent=True),
    ])
    got = [(a["action"], a.get("clock"), a["at"]) for a in pick(actions, "action", "clock", "at")]
    assert got == [
        ("start_clock", "response", "2026-03-02T08:00:00Z"), ("start_clock", "resolution", "2026-03-02T08:00:00Z"),
        ("refused", None, "2026-03-02T08:30:00Z"),
        ("breach", "response", "2026-03-02T09:00:00Z"),
        ("stop_clock", "response", "2026-03-02T09:30:00Z"), ("stop_clock", "resolution", "2026-03-02T09:30:00Z")]
    refused = actions[2].to_dict()
    assert (refused["event_type"], refused["clause"], refused["event"]) == ("closed", "SD-CLOSE", "e2")
    assert desk.tickets["INC1"].closed is True  # the consented close applied


def test_a_list_of_clocks_pauses_only_those(tmp_path):
    # rules/pause-clocks-on-info.yaml with clocks [resolution]: the response clock runs on while
    # the vendor waits (it is met or breached on its own), the resolution clock pauses.
    text = SERVICEDESK.read_text(encoding="utf-8").replace(
        "pause-on-info\n    as: waiting\n    with: {clause: SD-WAIT}",
        "pause-clocks-on-info\n    as: waiting\n    with: {clause: SD-WAIT, clocks: [resolution]}")
    assert "pause-clocks-on-info" in text
    (tmp_path / "servicedesk.yaml").write_text(text, encoding="utf-8")
    engine = Engine.load([str(tmp_path / "servicedesk.yaml")])
    actions = run(engine, [
        sd("e1", "2026-03-02T09:00:00+01:00", "opened", plan="standard", region="france", severity="P3"),
        sd("e2", "2026-03-02T09:20:00+01:00", "info_requested"),
    ])
    assert [(a.action, a.clock) for a in actions if a.event == "e2"] == [("pause_clock", "resolution")]

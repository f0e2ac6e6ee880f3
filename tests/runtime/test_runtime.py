"""engine.runtime: the forward-chaining, event-time engine on small fixture contracts.

Fixtures: tests/runtime_fixtures/acme.yaml (Paris business hours Mon-Fri 09:00-17:00 + 24x7, S1/S2,
response/update/resolution targets, a timer, an obligation, a 3-node escalation graph,
reclassification; includes the shared rules/ documents) and agenda.yaml (salience, refraction,
loops). Every expected instant is computed by hand in the comment beside it.

Time arithmetic used below (2026-03-02 is a Monday; Paris is CET = UTC+1 until 2026-03-29):
  Paris 09:00-17:00 = 08:00Z-16:00Z; a business day is 8 open hours.
  acme targets: response S1 1 hour on 24x7, S2 4 hours Paris; update S1 2 hours Paris, S2 none;
  resolution S1 8 hours Paris, S2 3 business days Paris. Obligation `logs`: 2 hours 24x7.
  Timer `silence`: 2 hours 24x7. Escalation chain agent -> manager -> director.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import signal
import time
from unittest import mock

import pytest
from runtime_fixtures.helpers import AGENDA, dicts, ev, load, pick, run, ts

from engine import Engine, EventError
from engine.language.conditions import ConditionError
from engine.language.schema import instance_errors
from engine.runtime.engine import DuplicateEvent, LateEvent, RuleLoopError

OPEN_S2 = dict(plan="gold", region="france", severity="S2", channel="web")
OPEN_S1 = dict(plan="gold", region="france", severity="S1", channel="web")
MON_10 = "2026-03-02T10:00:00+01:00"  # Monday 10:00 Paris = 09:00Z


def opened_s2(engine: Engine, ticket: str = "T1", at: str = MON_10, eid: str | None = None) -> list:
    return engine.process(ev(eid or f"{ticket}-open", ticket, at, "opened", **OPEN_S2))


def opened_s1(engine: Engine, ticket: str = "T1", at: str = MON_10, eid: str | None = None) -> list:
    return engine.process(ev(eid or f"{ticket}-open", ticket, at, "opened", **OPEN_S1))


KEYS = ("ticket", "at", "action", "clock", "due", "met", "to", "level", "from", "mode", "party", "elapsed_ratio")


# --- start / stop -----------------------------------------------------------------------------

def test_start_then_stop_met():
    engine = load()
    out = opened_s2(engine)
    # TST-RT S2 4 hours Paris: Mon 10:00 + 4 h = Mon 14:00 Paris = 13:00Z
    # TST-RES S2 3 business days: Mon 10:00 -> Tue(1) Wed(2) Thu(3) 10:00 Paris = 2026-03-05T09:00Z
    assert pick(out, "action", "clock", "due", "at", "clause", "rule") == [
        {"action": "start_clock", "clock": "response", "due": "2026-03-02T13:00:00Z", "at": "2026-03-02T09:00:00Z",
         "clause": "TST-RT", "rule": "acme.response.start"},
        {"action": "start_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z", "at": "2026-03-02T09:00:00Z",
         "clause": "TST-RES", "rule": "acme.resolution.start"},
    ]
    # responded Mon 12:00 Paris = 11:00Z <= 13:00Z: met. The update cadence (S2: none) starts nothing.
    out = engine.process(ev("e2", "T1", "2026-03-02T12:00:00+01:00", "responded"))
    assert pick(out, "action", "clock", "met", "at", "rule") == [
        {"action": "stop_clock", "clock": "response", "met": True, "at": "2026-03-02T11:00:00Z",
         "rule": "acme.response.stop"},
    ]
    assert engine.state("T1")["clocks"]["response"]["status"] == "stopped"


def test_stop_not_met_breach_fires_first_at_its_own_instant():
    engine = load()
    opened_s2(engine)
    # responded Mon 15:00 Paris = 14:00Z > due 13:00Z. docs/INTERFACE.md "Time": the deadline between the
    # two events fires at its own instant (13:00Z, at == due) before the responded is applied.
    out = engine.process(ev("e2", "T1", "2026-03-02T15:00:00+01:00", "responded"))
    assert pick(out, "action", "clock", "at", "due", "met") == [
        {"action": "breach", "clock": "response", "at": "2026-03-02T13:00:00Z", "due": "2026-03-02T13:00:00Z"},
        {"action": "stop_clock", "clock": "response", "at": "2026-03-02T14:00:00Z", "met": False},
    ]


def test_goal_event_exactly_at_due_meets_the_clock_and_no_breach():
    engine = load()
    opened_s2(engine)
    # responded Mon 14:00 Paris = 13:00Z == due: docs/INTERFACE.md "met when its goal event's instant is <= due"
    out = engine.process(ev("e2", "T1", "2026-03-02T14:00:00+01:00", "responded"))
    assert pick(out, "action", "clock", "met") == [{"action": "stop_clock", "clock": "response", "met": True}]
    later = engine.advance("2026-03-02T20:00:00Z")
    assert [a for a in later if a.clock == "response"] == []


def test_breach_at_equals_due_and_fires_once():
    engine = load()
    opened_s2(engine)
    assert engine.advance("2026-03-02T12:59:59Z") == []  # one second before due 13:00Z
    out = engine.advance("2026-03-02T13:00:00Z")  # advance is inclusive
    assert pick(out, "action", "clock", "at", "due", "rule", "clause") == [
        {"action": "breach", "clock": "response", "at": "2026-03-02T13:00:00Z", "due": "2026-03-02T13:00:00Z",
         "rule": "acme.response.start", "clause": "TST-RT"},
    ]
    assert engine.advance("2026-03-02T13:00:00Z") == []
    assert engine.advance("2026-03-02T15:59:00Z") == []
    assert engine.state("T1")["clocks"]["response"]["breached"] is True


def test_clock_started_outside_hours_starts_at_next_opening():
    engine = load()
    # Saturday 2026-03-07 10:00 Paris: S2 response 4 business hours counts from Mon 03-09 09:00
    # -> Mon 13:00 Paris = 12:00Z. Resolution 3 business days from the moved start Mon 09:00 ->
    # Thu 03-12 09:00 Paris = 08:00Z (docs/INTERFACE.md: "for day targets too").
    out = opened_s2(engine, at="2026-03-07T10:00:00+01:00")
    assert pick(out, "clock", "due") == [
        {"clock": "response", "due": "2026-03-09T12:00:00Z"},
        {"clock": "resolution", "due": "2026-03-12T08:00:00Z"},
    ]


# --- global time ------------------------------------------------------------------------------

def test_deadlines_of_other_tickets_fire_before_a_later_event_in_ticket_order():
    engine = load()
    # T-B then T-A, both S1 at Mon 10:00 Paris (09:00Z): response 1 hour 24x7 -> 10:00Z each.
    opened_s1(engine, "T-B")
    opened_s1(engine, "T-A")
    # T-C opened Mon 12:00 Paris = 11:00Z: both breaches (10:00Z) fire first, T-A before T-B (tie
    # on the instant: ticket id), then T-C's own actions. T-C S2: response Mon 12:00 + 4 h =
    # 16:00 Paris = 15:00Z; resolution Thu 03-05 12:00 Paris = 11:00Z.
    out = engine.process(ev("c1", "T-C", "2026-03-02T12:00:00+01:00", "opened", **OPEN_S2))
    assert pick(out, "ticket", "action", "clock", "at", "due") == [
        {"ticket": "T-A", "action": "breach", "clock": "response", "at": "2026-03-02T10:00:00Z",
         "due": "2026-03-02T10:00:00Z"},
        {"ticket": "T-B", "action": "breach", "clock": "response", "at": "2026-03-02T10:00:00Z",
         "due": "2026-03-02T10:00:00Z"},
        {"ticket": "T-C", "action": "start_clock", "clock": "response", "at": "2026-03-02T11:00:00Z",
         "due": "2026-03-02T15:00:00Z"},
        {"ticket": "T-C", "action": "start_clock", "clock": "resolution", "at": "2026-03-02T11:00:00Z",
         "due": "2026-03-05T11:00:00Z"},
    ]


def test_deadlines_of_one_ticket_at_the_same_instant_fire_in_clock_name_order():
    engine = load()
    # S1 opened Mon 16:00 Paris (15:00Z): response 1 h 24x7 -> 16:00Z; resolution 8 business hours:
    # Mon 16:00-17:00 (1 h) + Tue 09:00-16:00 (7 h) -> Tue 16:00 Paris = 2026-03-03T15:00Z.
    opened_s1(engine, at="2026-03-02T16:00:00+01:00")
    # responded Tue 14:00 Paris (13:00Z): the response breach (Mon 16:00Z) fires first; the update
    # cadence starts: S1 2 business hours, Tue 14:00 -> 16:00 Paris = 2026-03-03T15:00Z.
    out = engine.process(ev("e2", "T1", "2026-03-03T14:00:00+01:00", "responded"))
    assert pick(out, "action", "clock", "at", "due", "met") == [
        {"action": "breach", "clock": "response", "at": "2026-03-02T16:00:00Z", "due": "2026-03-02T16:00:00Z"},
        {"action": "stop_clock", "clock": "response", "at": "2026-03-03T13:00:00Z", "met": False},
        {"action": "start_clock", "clock": "update", "at": "2026-03-03T13:00:00Z", "due": "2026-03-03T15:00:00Z"},
    ]
    # Both due at 15:00Z: "resolution" < "update". The resolution breach chains into an escalation
    # (rule acme.resolution-breach-escalates: agent -> manager, level 1) before the update breach.
    out = engine.advance("2026-03-03T15:00:00Z")
    assert pick(out, "action", "clock", "at", "to", "level", "rule") == [
        {"action": "breach", "clock": "resolution", "at": "2026-03-03T15:00:00Z", "rule": "acme.resolution.start"},
        {"action": "escalate", "at": "2026-03-03T15:00:00Z", "to": "manager", "level": 1,
         "rule": "acme.resolution-breach-escalates"},
        {"action": "breach", "clock": "update", "at": "2026-03-03T15:00:00Z", "rule": "acme.update.restart"},
    ]


def test_a_breach_due_at_t_waits_for_every_event_at_t():
    engine = load()
    opened_s1(engine, "T-A")  # response due 10:00Z
    # T-B opened at exactly 10:00Z (11:00 Paris): T-A's breach waits, since a goal event of T-A at
    # 10:00Z may still come (met: its instant is <= due)...
    out = engine.process(ev("b1", "T-B", "2026-03-02T11:00:00+01:00", "opened", **OPEN_S2))
    assert {a.ticket for a in out} == {"T-B"}
    # ... and fires before the first event after 10:00Z, at its due instant.
    out = engine.process(ev("b2", "T-B", "2026-03-02T11:01:00+01:00", "updated", note="x"))
    assert pick(out[:1], "ticket", "action", "at") == [{"ticket": "T-A", "action": "breach",
                                                         "at": "2026-03-02T10:00:00Z"}]


def test_a_breach_due_at_t_fires_when_time_is_advanced_to_t():
    engine = load()
    opened_s1(engine, "T-A")  # response due 10:00Z
    engine.process(ev("b1", "T-B", "2026-03-02T11:00:00+01:00", "opened", **OPEN_S2))
    out = engine.advance("2026-03-02T10:00:00Z")
    assert pick(out, "ticket", "action", "clock") == [{"ticket": "T-A", "action": "breach", "clock": "response"}]


def test_many_breaches_held_at_one_instant_are_looked_at_once_per_instant():
    """Hundreds of breaches due at one instant and as many events at that instant: the held
    breaches are not taken out of the queue again for every event (Engine._held_at)."""
    engine = load()
    for n in range(300):
        opened_s1(engine, f"T-{n}")  # every response due 10:00Z
    popped = 0
    real = heapq.heappop

    def counting(queue: list) -> object:
        nonlocal popped
        popped += 1
        return real(queue)

    with mock.patch.object(heapq, "heappop", counting):
        for n in range(300):
            engine.process(ev(f"u{n}", f"T-{n}", "2026-03-02T11:00:00+01:00", "updated", note="x"))
    assert popped <= 300 + 300  # the held breaches once, and the events' own deadlines
    out = engine.advance("2026-03-02T10:00:00Z")
    assert sum(a.action == "breach" and a.clock == "response" for a in out) == 300


# --- pause / resume ---------------------------------------------------------------------------

def test_pause_resume_over_a_night_and_a_weekend_moves_due_by_paused_business_time():
    engine = load()
    # Opened Fri 2026-03-06 15:00 Paris (14:00Z), S2.
    #   response 4 h: Fri 15:00-17:00 (2 h) + Mon 09:00-11:00 (2 h) -> Mon 03-09 11:00 Paris = 10:00Z
    #   resolution 3 business days: Mon(1) Tue(2) Wed(3) 03-11 15:00 Paris = 14:00Z
    out = opened_s2(engine, at="2026-03-06T15:00:00+01:00")
    assert pick(out, "clock", "due") == [{"clock": "response", "due": "2026-03-09T10:00:00Z"},
                                        {"clock": "resolution", "due": "2026-03-11T14:00:00Z"}]
    # info_requested Fri 16:00 Paris (15:00Z): TST-OBL logs due 2 h 24x7 = 17:00Z; every clock
    # pauses (clock: all, in name order) with 1 business hour used.
    out = engine.process(ev("e2", "T1", "2026-03-06T16:00:00+01:00", "info_requested"))
    assert pick(out, "action", "clock", "party", "due", "at") == [
        {"action": "obligation", "party": "customer", "due": "2026-03-06T17:00:00Z", "at": "2026-03-06T15:00:00Z"},
        {"action": "pause_clock", "clock": "resolution", "at": "2026-03-06T15:00:00Z"},
        {"action": "pause_clock", "clock": "response", "at": "2026-03-06T15:00:00Z"},
    ]
    # info_provided Mon 03-09 10:00 Paris (09:00Z). First the deadlines of Fri 17:00Z fire (same
    # ticket, same instant: "logs" < "timer:silence"): obligation_breached, then the reminder.
    # Paused business time: Fri 16:00-17:00 (1 h) + weekend (0) + Mon 09:00-10:00 (1 h) = 2 h.
    #   response: Mon 11:00 + 2 h = Mon 13:00 Paris = 12:00Z (= resume 10:00 + remaining 3 h)
    #   resolution: Wed 15:00 + 2 h = Wed 17:00, a closing time -> next opening Thu 03-12 09:00
    #   Paris = 08:00Z (remaining 23 h from Mon 10:00: Mon 7 + Tue 8 + Wed 8 = 23, ends Wed 17:00)
    out = engine.process(ev("e3", "T1", "2026-03-09T10:00:00+01:00", "info_provided"))
    assert pick(out, "action", "clock", "party", "to", "due", "at") == [
        {"action": "obligation_breached", "party": "customer", "at": "2026-03-06T17:00:00Z"},
        {"action": "notify", "to": "customer", "at": "2026-03-06T17:00:00Z"},
        {"action": "resume_clock", "clock": "resolution", "due": "2026-03-12T08:00:00Z", "at": "2026-03-09T09:00:00Z"},
        {"action": "resume_clock", "clock": "response", "due": "2026-03-09T12:00:00Z", "at": "2026-03-09T09:00:00Z"},
    ]
    assert out[1].reason == "still waiting for the logs of T1"
    state = engine.state("T1")
    assert state["clocks"]["response"]["paused_seconds"] == 2 * 3600
    assert state["clocks"]["response"]["used_seconds"] == 3600
    # responded Mon 12:30 Paris = 11:30Z <= 12:00Z: met (the old due 10:00Z no longer applies)
    out = engine.process(ev("e4", "T1", "2026-03-09T12:30:00+01:00", "responded"))
    assert pick(out, "action", "clock", "met") == [{"action": "stop_clock", "clock": "response", "met": True}]


def test_a_paused_clock_never_breaches_and_stops_met_when_budget_left():
    engine = load()
    opened_s2(engine)  # response due 13:00Z
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))  # 1 h used
    # Paused: nothing fires for the response clock, even days later.
    assert [a for a in engine.advance("2026-03-04T12:00:00Z") if a.clock is not None] == []
    out = engine.process(ev("e3", "T1", "2026-03-04T13:00:00+01:00", "responded"))
    assert pick(out, "action", "clock", "met") == [{"action": "stop_clock", "clock": "response", "met": True}]


# --- severity changes -------------------------------------------------------------------------

def test_severity_upgrade_keeps_elapsed_and_applies_new_target_and_calendar():
    engine = load()
    opened_s2(engine)
    # updated S1 at Mon 10:30 Paris (09:30Z); 30 business minutes elapsed on both clocks.
    #   response S1 1 h 24x7: 30 min left -> 10:00Z
    #   resolution S1 8 business hours: 7 h 30 left from Mon 10:30: Mon 6 h 30 + Tue 1 h ->
    #   Tue 10:00 Paris = 2026-03-03T09:00Z
    out = engine.process(ev("e2", "T1", "2026-03-02T10:30:00+01:00", "updated", severity="S1", by="vendor"))
    assert pick(out, "action", "clock", "due", "rule") == [
        {"action": "reclassify", "rule": "acme.severity-changes"},  # the change, recorded once
        {"action": "reschedule_clock", "clock": "response", "due": "2026-03-02T10:00:00Z",
         "rule": "acme.response.reschedule"},
        {"action": "reschedule_clock", "clock": "resolution", "due": "2026-03-03T09:00:00Z",
         "rule": "acme.resolution.reschedule"},
    ]
    assert engine.state("T1")["attrs"]["severity"] == "S1"
    assert "by" not in engine.state("T1")["attrs"]  # `by` describes the event, not the ticket
    assert pick(engine.advance("2026-03-02T10:00:00Z"), "action", "clock", "at") == [
        {"action": "breach", "clock": "response", "at": "2026-03-02T10:00:00Z"}]


def test_severity_downgrade_keeps_elapsed():
    engine = load()
    opened_s1(engine)  # response 10:00Z, resolution Tue 09:00Z
    # updated S2 at Mon 10:20 Paris (09:20Z): 20 min elapsed (24x7 and Paris alike)
    #   response S2 4 business hours: 3 h 40 left from Mon 10:20 -> Mon 14:00 Paris = 13:00Z
    #   resolution S2 3 business days from the start Mon 10:00: budget Mon 7 + Tue 8 + Wed 8 +
    #   Thu 1 = 24 h; 23 h 40 left from Mon 10:20 -> Thu 10:00 Paris = 2026-03-05T09:00Z
    out = engine.process(ev("e2", "T1", "2026-03-02T10:20:00+01:00", "updated", severity="S2"))
    assert pick(out, "action", "clock", "due") == [
        {"action": "reclassify"},
        {"action": "reschedule_clock", "clock": "response", "due": "2026-03-02T13:00:00Z"},
        {"action": "reschedule_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z"},
    ]
    assert engine.advance("2026-03-02T10:00:00Z") == []  # the old S1 due is gone
    assert pick(engine.advance("2026-03-02T13:00:00Z"), "action", "clock", "at") == [
        {"action": "breach", "clock": "response", "at": "2026-03-02T13:00:00Z"}]


def test_severity_change_past_the_new_target_breaches_at_the_change_instant():
    engine = load()
    opened_s2(engine)
    # updated S1 at Mon 11:30 Paris (10:30Z): 1 h 30 elapsed > S1's 1 hour -> breach now, at 10:30Z.
    # resolution S1 8 h: 6 h 30 left from 11:30: Mon 5 h 30 + Tue 1 h -> Tue 10:00 Paris = 09:00Z
    out = engine.process(ev("e2", "T1", "2026-03-02T11:30:00+01:00", "updated", severity="S1"))
    assert pick(out, "action", "clock", "at") == [
        {"action": "reclassify", "at": "2026-03-02T10:30:00Z"},
        {"action": "reschedule_clock", "clock": "response", "at": "2026-03-02T10:30:00Z"},
        {"action": "breach", "clock": "response", "at": "2026-03-02T10:30:00Z"},
        {"action": "reschedule_clock", "clock": "resolution", "at": "2026-03-02T10:30:00Z"},
    ]
    assert out[3].to_dict()["due"] == "2026-03-03T09:00:00Z"
    # breached once only
    assert [a for a in engine.advance("2026-03-02T23:00:00Z") if a.action == "breach"] == []
    out = engine.process(ev("e3", "T1", "2026-03-03T08:00:00+01:00", "responded"))
    # S1 now: the responded also starts the update cadence (2 business hours from Tue 08:00 Paris,
    # closed -> counts from 09:00 -> Tue 11:00 Paris = 10:00Z)
    assert pick(out, "action", "clock", "met", "due") == [{"action": "stop_clock", "clock": "response", "met": False},
                                                         {"action": "start_clock", "clock": "update",
                                                          "due": "2026-03-03T10:00:00Z"}]


def test_breach_at_a_severity_change_has_at_equal_to_due():
    engine = load()
    opened_s2(engine)
    out = engine.process(ev("e2", "T1", "2026-03-02T11:30:00+01:00", "updated", severity="S1"))
    breach = next(a.to_dict() for a in out if a.action == "breach")
    assert breach["at"] == breach["due"]


def test_breach_at_a_severity_change_after_a_pause_reports_a_plausible_due():
    engine = load()
    opened_s2(engine, at="2026-03-02T16:00:00+01:00")                                      # Mon 16:00 Paris
    engine.process(ev("i", "T1", "2026-03-02T16:30:00+01:00", "info_requested"))           # 30 min used
    out = engine.process(ev("p", "T1", "2026-03-03T10:00:00+01:00", "info_provided"))
    # paused Mon 16:30-17:00 + Tue 09:00-10:00 = 1 h 30: response Tue 12:00 + 1 h 30 = 13:30 Paris = 12:30Z;
    # resolution Thu 16:00 + 1 h 30 = Fri 03-06 09:30 Paris = 08:30Z
    assert pick(out[-2:], "clock", "due") == [{"clock": "resolution", "due": "2026-03-06T08:30:00Z"},
                                             {"clock": "response", "due": "2026-03-03T12:30:00Z"}]
    # S1 at Tue 10:45 Paris (09:45Z): 30 + 45 = 75 min used > 1 hour: breach at 09:45Z. The S1 hour ran
    # out 30 min after the resume, Tue 10:30 Paris = 09:30Z; `due` must be that or (INTERFACE) `at`.
    out = engine.process(ev("u", "T1", "2026-03-03T10:45:00+01:00", "updated", severity="S1"))
    breach = next(a.to_dict() for a in out if a.action == "breach")
    assert breach["at"] == "2026-03-03T09:45:00Z"
    assert breach["due"] in ("2026-03-03T09:30:00Z", "2026-03-03T09:45:00Z")


def test_a_rule_matched_by_state_a_nested_breach_changed_fires_in_the_same_cycle():
    engine = load()
    opened_s2(engine)
    engine.process(ev("r", "T1", "2026-03-02T11:00:00+01:00", "responded"))  # response met; S2 has no update clock
    # updated S1 at Tue 12:00 Paris (11:00Z): resolution used Mon 10:00-17:00 + Tue 09:00-12:00 = 10 h
    # > 8 h: breach at the change instant; the breach escalates (agent -> manager, level 1) inside
    # the reschedule; then acme.escalated-at-change (salience 10, reads state.escalation.level, not
    # matching when the cycle began) matches: the agenda must re-match and fire it.
    out = engine.process(ev("u", "T1", "2026-03-03T12:00:00+01:00", "updated", severity="S1"))
    assert pick(out, "action", "clock", "to", "level", "rule", "at") == [
        {"action": "reclassify", "to": "S1", "rule": "acme.severity-changes", "at": "2026-03-03T11:00:00Z"},
        {"action": "reschedule_clock", "clock": "resolution", "rule": "acme.resolution.reschedule",
         "at": "2026-03-03T11:00:00Z"},
        {"action": "breach", "clock": "resolution", "rule": "acme.resolution.start", "at": "2026-03-03T11:00:00Z"},
        {"action": "escalate", "to": "manager", "level": 1, "rule": "acme.resolution-breach-escalates",
         "at": "2026-03-03T11:00:00Z"},
        {"action": "notify", "to": "manager", "rule": "acme.escalated-at-change", "at": "2026-03-03T11:00:00Z"},
    ]


# --- warnings ---------------------------------------------------------------------------------

def test_warn_at_configured_ratio_with_elapsed_ratio():
    engine = load(overrides={"acme": {"warn_at": [0.5]}})
    opened_s2(engine)
    # response 4 h: 50 % = 2 business hours -> Mon 12:00 Paris = 11:00Z, then breach at 13:00Z
    out = engine.advance("2026-03-02T13:00:00Z")
    assert pick(out, "action", "clock", "at", "due", "elapsed_ratio") == [
        {"action": "warn", "clock": "response", "at": "2026-03-02T11:00:00Z", "due": "2026-03-02T13:00:00Z",
         "elapsed_ratio": 0.5},
        {"action": "breach", "clock": "response", "at": "2026-03-02T13:00:00Z", "due": "2026-03-02T13:00:00Z"},
    ]
    # resolution budget 24 business hours: 50 % = 12 h -> Mon 10:00-17:00 (7 h) + Tue 09:00-14:00
    # (5 h) -> Tue 14:00 Paris = 2026-03-03T13:00Z
    out = engine.advance("2026-03-03T13:00:00Z")
    assert pick(out, "action", "clock", "at", "due", "elapsed_ratio") == [
        {"action": "warn", "clock": "resolution", "at": "2026-03-03T13:00:00Z", "due": "2026-03-05T09:00:00Z",
         "elapsed_ratio": 0.5},
    ]


def test_no_warn_when_goal_met_before_the_threshold():
    engine = load(overrides={"acme": {"warn_at": [0.5]}})
    opened_s1(engine)  # response 24x7 1 h: warn would be at 09:30Z
    engine.process(ev("e2", "T1", "2026-03-02T10:29:00+01:00", "responded"))
    assert [a for a in engine.advance("2026-03-02T10:00:00Z") if a.clock == "response"] == []


# --- timers and obligations -------------------------------------------------------------------

def test_timer_and_obligation_fire_when_not_fulfilled():
    engine = load()
    opened_s2(engine)
    # info_requested Mon 11:00 Paris (10:00Z): logs due 2 h 24x7 = 12:00Z, silence timer 12:00Z
    out = engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))
    assert pick(out[:1], "action", "party", "due", "rule", "clause") == [
        {"action": "obligation", "party": "customer", "due": "2026-03-02T12:00:00Z", "rule": "acme.ask-logs",
         "clause": "TST-OBL"}]
    state = engine.state("T1")
    assert state["timers"] == {"silence": "2026-03-02T12:00:00Z"}
    assert state["obligations"] == {"logs": "2026-03-02T12:00:00Z"}
    assert engine.advance("2026-03-02T11:59:59Z") == []
    out = engine.advance("2026-03-02T12:00:00Z")
    assert pick(out, "action", "party", "to", "at", "clause", "rule") == [
        {"action": "obligation_breached", "party": "customer", "at": "2026-03-02T12:00:00Z", "clause": "TST-OBL",
         "rule": "acme.ask-logs"},
        {"action": "notify", "to": "customer", "at": "2026-03-02T12:00:00Z", "clause": "TST-TIMER",
         "rule": "acme.silence-reminder"},
    ]
    state = engine.state("T1")
    assert state["timers"] == {} and state["obligations"] == {}


def test_fulfilled_obligation_and_cancelled_timer_do_not_fire():
    engine = load()
    opened_s2(engine)
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))
    # info_provided Mon 11:30 Paris (10:30Z): fulfil + cancel, and the clocks resume after 30 min.
    #   response: 1 h used, 3 h left from 11:30 -> 14:30 Paris = 13:30Z
    #   resolution: Thu 10:00 + 30 min paused = Thu 03-05 10:30 Paris = 09:30Z
    out = engine.process(ev("e3", "T1", "2026-03-02T11:30:00+01:00", "info_provided"))
    assert pick(out, "action", "clock", "due") == [
        {"action": "resume_clock", "clock": "resolution", "due": "2026-03-05T09:30:00Z"},
        {"action": "resume_clock", "clock": "response", "due": "2026-03-02T13:30:00Z"},
    ]
    assert engine.state("T1")["timers"] == {} and engine.state("T1")["obligations"] == {}
    out = engine.advance("2026-03-02T23:00:00Z")
    assert pick(out, "action", "clock", "at") == [{"action": "breach", "clock": "response", "at": "2026-03-02T13:30:00Z"}]


def test_fulfilled_event_meets_the_named_obligation_and_leaves_the_timer():
    """Extension event `fulfilled` (attrs.obligation): the obligation is met, nothing else changes."""
    engine = load()
    opened_s2(engine)
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))  # logs + silence due 12:00Z
    assert engine.process(ev("e3", "T1", "2026-03-02T11:10:00+01:00", "fulfilled", obligation="logs")) == []
    assert engine.state("T1")["obligations"] == {}
    out = engine.advance("2026-03-02T12:00:00Z")
    assert [a["action"] for a in dicts(out)] == ["notify"]  # the silence timer still fires; no obligation_breached


def test_fulfilled_event_without_an_obligation_id_is_rejected():
    engine = load()
    opened_s2(engine)
    with pytest.raises(EventError, match="'fulfilled' needs attrs.obligation"):
        engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "fulfilled"))


def test_timer_and_obligation_started_again_fire_at_their_new_due():
    engine = load()
    opened_s2(engine)
    engine.process(ev("i1", "T1", "2026-03-02T11:00:00+01:00", "info_requested"))   # logs + silence due 12:00Z
    engine.process(ev("p1", "T1", "2026-03-02T11:30:00+01:00", "info_provided"))    # fulfilled, cancelled
    engine.process(ev("i2", "T1", "2026-03-02T12:00:00+01:00", "info_requested"))   # again: due 13:00Z
    assert engine.state("T1")["timers"] == {"silence": "2026-03-02T13:00:00Z"}
    # nothing is due at 12:00Z any more; both fire at 13:00Z (11:00Z + 2 h 24x7)
    assert [a.action for a in engine.advance("2026-03-02T12:00:00Z") if a.action != "breach"] == []
    assert pick([a for a in engine.advance("2026-03-02T13:00:00Z") if a.action != "breach"], "action", "at") == [
        {"action": "obligation_breached", "at": "2026-03-02T13:00:00Z"},
        {"action": "notify", "at": "2026-03-02T13:00:00Z"},
    ]


def test_closed_stops_every_running_clock():
    engine = load()
    opened_s1(engine)
    engine.process(ev("r", "T1", "2026-03-02T10:10:00+01:00", "responded"))  # update clock starts
    # closed Mon 10:30 Paris (09:30Z): resolution (due Tue 09:00Z) and update (2 business hours from
    # 10:10 -> 12:10 Paris = 11:10Z) are stopped, both met
    out = engine.process(ev("c", "T1", "2026-03-02T10:30:00+01:00", "closed", consent=True))
    assert sorted((a.action, a.clock, a.met) for a in out) == [("stop_clock", "resolution", True),
                                                                ("stop_clock", "update", True)]
    assert engine.state("T1")["closed"] is True
    assert engine.advance("2026-03-10T00:00:00Z") == []


def test_business_hours_across_the_paris_dst_change():
    engine = load()
    # Fri 2026-03-27 16:00 CET (15:00Z); Paris switches to CEST (UTC+2) on Sun 03-29.
    #   response 4 business hours: Fri 16:00-17:00 (1 h) + Mon 03-30 09:00-12:00 CEST (3 h) -> 10:00Z
    #   resolution 3 business days: Mon(1) Tue(2) Wed(3) 04-01 16:00 CEST = 14:00Z
    out = opened_s2(engine, at="2026-03-27T16:00:00+01:00")
    assert pick(out, "clock", "due") == [{"clock": "response", "due": "2026-03-30T10:00:00Z"},
                                        {"clock": "resolution", "due": "2026-04-01T14:00:00Z"}]


# --- escalation -------------------------------------------------------------------------------

def test_escalation_moves_along_edges_then_chain_exhausted():
    engine = load()
    opened_s2(engine)
    out = run(engine, [ev(f"x{i}", "T1", f"2026-03-02T10:{10 * i}:00+01:00", "escalation_requested") for i in (1, 2, 3)])
    assert pick(out, "action", "level", "to", "clause", "rule") == [
        {"action": "escalate", "level": 1, "to": "manager", "clause": "TST-ESC", "rule": "acme.escalation.escalate"},
        {"action": "escalate", "level": 2, "to": "director", "clause": "TST-ESC", "rule": "acme.escalation.escalate"},
        {"action": "notify", "to": "director", "clause": "TST-ESC", "rule": "acme.escalation.escalate"},
    ]
    assert "exhausted" in out[2].reason
    assert engine.state("T1")["escalation"] == {"graph": "chain", "node": "director", "level": 2}


# --- reclassification, downgrade, forward chaining --------------------------------------------

def test_reclassify_raises_severity_changed_and_reschedules_in_the_same_cycle():
    engine = load()
    opened_s1(engine)
    # reclassification_requested S2 at Mon 10:20 Paris (09:20Z): reclassify, then (forward chaining
    # on the internal severity_changed) both clocks rescheduled; dues as in the downgrade test.
    out = engine.process(ev("e2", "T1", "2026-03-02T10:20:00+01:00", "reclassification_requested", severity="S2"))
    assert pick(out, "action", "from", "to", "clock", "due", "rule", "at") == [
        {"action": "reclassify", "from": "S1", "to": "S2", "rule": "acme.reclass-on-request", "at": "2026-03-02T09:20:00Z"},
        {"action": "reschedule_clock", "clock": "response", "due": "2026-03-02T13:00:00Z",
         "rule": "acme.response.reschedule", "at": "2026-03-02T09:20:00Z"},
        {"action": "reschedule_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z",
         "rule": "acme.resolution.reschedule", "at": "2026-03-02T09:20:00Z"},
    ]


def test_reclassification_section_fires_before_the_clocks_start():
    engine = load()
    # email S1 -> S2 (salience 100 beats the clock start rules): S2 targets apply from the start.
    out = engine.process(ev("o", "T1", MON_10, "opened", **{**OPEN_S1, "channel": "email"}))
    assert pick(out[:3], "action", "from", "to", "clock", "due", "rule") == [
        {"action": "reclassify", "from": "S1", "to": "S2", "rule": "acme.email-is-normal"},
        {"action": "start_clock", "clock": "response", "due": "2026-03-02T13:00:00Z", "rule": "acme.response.start"},
        {"action": "start_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z", "rule": "acme.resolution.start"},
    ]
    state = engine.state("T1")
    assert state["attrs"]["severity"] == "S2" and state["opened_severity"] == "S1"
    # a severity_changed reschedule may follow, but it must not move the dues
    assert {a.to_dict().get("due") for a in out[3:]} <= {"2026-03-02T13:00:00Z", "2026-03-05T09:00:00Z"}


def test_downgrade_proposed_keeps_severity_automatic_changes_it():
    engine = load()
    opened_s1(engine)
    out = engine.process(ev("e2", "T1", "2026-03-02T10:10:00+01:00", "rca_requested"))
    assert pick(out, "action", "from", "to", "mode") == [{"action": "downgrade", "from": "S1", "to": "S2", "mode": "proposed"}]
    assert engine.state("T1")["attrs"]["severity"] == "S1"
    # automatic at Mon 10:20 Paris: severity S2, clocks rescheduled as in the downgrade test
    out = engine.process(ev("e3", "T1", "2026-03-02T10:20:00+01:00", "incident_declared"))
    assert pick(out, "action", "from", "to", "mode", "clock", "due") == [
        {"action": "downgrade", "from": "S1", "to": "S2", "mode": "automatic"},
        {"action": "reschedule_clock", "clock": "response", "due": "2026-03-02T13:00:00Z"},
        {"action": "reschedule_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z"},
    ]
    assert engine.state("T1")["attrs"]["severity"] == "S2"


def test_excluded_category_emits_exclude_and_starts_no_clock():
    engine = load()
    out = engine.process(ev("o", "T1", MON_10, "opened", **OPEN_S2, category="training"))
    assert pick(out, "action", "exclusion", "clause", "rule") == [
        {"action": "exclude", "exclusion": "training", "clause": "TST-EXCL", "rule": "acme.exclusions.exclude"}]
    assert engine.state("T1")["clocks"] == {}


# --- agenda: salience, refraction, loops ------------------------------------------------------

def agenda_engine() -> Engine:
    engine = load(AGENDA)
    engine.process(ev("o", "T1", "2026-03-02T10:00:00Z", "opened", contract="agenda", severity="S3", plan="basic",
                      region="any"))
    return engine


def test_salience_then_definition_order():
    engine = agenda_engine()
    out = engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "rca_requested"))
    # high (salience 10), then the two salience-0 rules in definition order, then salience -5
    assert [a.to for a in out] == ["high", "low-first", "low-second", "negative"]


def test_refraction_fires_a_rule_once_per_activation():
    engine = agenda_engine()
    # `sticky`'s condition (ticket.plan == basic) stays true after it fired: it fires once.
    out = engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "incident_declared"))
    assert [(a.rule, a.to) for a in out] == [("agenda.sticky", "sticky")]
    # a new event is a new activation
    out = engine.process(ev("e3", "T1", "2026-03-02T10:02:00Z", "incident_declared"))
    assert [(a.rule, a.to) for a in out] == [("agenda.sticky", "sticky")]


def test_rule_reactivated_by_its_own_state_change_climbs_the_graph_then_stops():
    engine = agenda_engine()
    # `climb` reads state.escalation.level: 0 -> b (level 1) -> c (level 2); at the top the level
    # no longer changes, so refraction ends the cycle after the "chain exhausted" notify.
    out = engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "escalation_requested"))
    assert pick(out, "action", "level", "to") == [
        {"action": "escalate", "level": 1, "to": "b"},
        {"action": "escalate", "level": 2, "to": "c"},
        {"action": "notify", "to": "c"},
    ]


def test_a_loop_refraction_cannot_catch_raises_rule_loop_error():
    engine = agenda_engine()
    # S1 -> flip-down reclassifies S2 -> flip-up reclassifies S1 -> ... each severity_changed is a
    # new fact, so refraction never stops it.
    with pytest.raises(RuleLoopError) as info:
        engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "reclassification_requested", severity="S1"))
    assert isinstance(info.value, EventError)


def test_rule_loop_error_names_the_rules_of_the_loop():
    engine = agenda_engine()
    with pytest.raises(RuleLoopError) as info:
        engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "reclassification_requested", severity="S1"))
    message = str(info.value)
    assert "agenda.flip-down" in message and "agenda.flip-up" in message


def test_rule_loop_quarantines_the_ticket_and_drops_the_event_actions():
    """A looping contract gives no trustworthy state: the event's actions are not emitted and the
    ticket's later events are rejected with the reason, while other tickets go on."""
    engine = agenda_engine()
    with pytest.raises(RuleLoopError):
        engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "reclassification_requested", severity="S1"))
    with pytest.raises(EventError, match="quarantined: a rule loop on event 'e2'"):
        engine.process(ev("e3", "T1", "2026-03-02T10:02:00Z", "acknowledged"))
    assert "T1" in engine.quarantined


class _Hang(Exception):
    pass


def test_self_restarting_zero_timer_stops_with_rule_loop_error():
    engine = agenda_engine()
    engine.process(ev("e2", "T1", "2026-03-02T10:01:00Z", "acknowledged"))  # starts the 0-minute timer `tick`

    def alarm(*_):
        raise _Hang("process() did not return within 2 s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(2)
    try:
        with pytest.raises(RuleLoopError):
            engine.process(ev("e3", "T1", "2026-03-02T10:02:00Z", "rca_requested"))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- event errors -----------------------------------------------------------------------------

@pytest.mark.parametrize(("error", "again", "message"), [
    (DuplicateEvent, ev("e2", "T1", "2026-03-02T11:05:00+01:00", "escalation_requested"), "e2"),
    (LateEvent, ev("e3", "T1", "2026-03-02T10:59:59+01:00", "escalation_requested"),
     "earlier than the stream's current time 2026-03-02T10:00:00Z"),
])
def test_a_duplicate_or_late_event_raises_its_own_event_error_and_changes_nothing(error, again, message):
    engine = load()
    opened_s2(engine, eid="e1")
    engine.process(ev("e2", "T1", "2026-03-02T11:00:00+01:00", "escalation_requested"))
    with pytest.raises(error, match=message):
        engine.process(again)
    assert engine.state("T1")["escalation"]["level"] == 1
    assert issubclass(error, EventError)


@pytest.mark.parametrize(("events", "message"), [
    ([ev("e1", "T9", MON_10, "responded")], "unknown ticket 'T9'"),
    ([ev("e1", "T1", MON_10, "opened", contract="nosuch", **OPEN_S2)], "unknown contract 'nosuch'"),
    ([ev("e1", "T1", MON_10, "opened", **OPEN_S2), ev("e2", "T1", "2026-03-02T11:00:00+01:00", "opened", **OPEN_S2)],
     "already open"),
    ([ev("e1", "T1", MON_10, "opened", **OPEN_S2), ev("e2", "T1", "2026-03-02T09:59:59+01:00", "responded")],
     "earlier than the stream's current time"),
    ([ev("e1", "T1", MON_10, "opened", **OPEN_S2), ev("e2", "T1", "2026-03-02T11:00:00+01:00", "responded",
                                                     contract="agenda")], "belongs to contract 'acme'"),
    ([{"id": "e1", "ticket": "T1", "at": "2026-03-02T10:00:00", "type": "opened", "contract": "acme"}], "no offset"),
    ([{"id": "e1", "ticket": "T1", "at": MON_10, "type": "opened"}], "'opened' needs 'contract'"),
    ([{"id": "e1", "ticket": "T1", "at": MON_10, "type": "sneezed"}], "unknown event type 'sneezed'"),
])
def test_event_errors_have_clear_messages(events, message):
    engine = load()
    for event in events[:-1]:
        engine.process(event)
    with pytest.raises(EventError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.process(events[-1])


def test_event_for_a_ticket_before_its_opened_is_an_unknown_ticket():
    engine = load()
    # the responded (10:00Z) comes before T1's opened in the stream: rejected, and the later
    # opened still works
    with pytest.raises(EventError, match="no 'opened' event before this 'responded'"):
        engine.process(ev("e1", "T1", "2026-03-02T11:00:00+01:00", "responded"))
    assert opened_s2(engine, at="2026-03-02T11:30:00+01:00")


def test_a_rejected_event_does_not_consume_its_id_or_move_time():
    engine = load()
    opened_s2(engine)
    with pytest.raises(EventError):
        engine.process(ev("bad", "T9", "2026-03-02T12:00:00+01:00", "responded"))
    assert engine.now == ts("2026-03-02T09:00:00+00:00")
    # same id, now valid, earlier than the rejected one: accepted
    out = engine.process(ev("bad", "T1", "2026-03-02T11:00:00+01:00", "responded"))
    assert [a.action for a in out] == ["stop_clock"]


# --- advance, state, isolation, wall clock ----------------------------------------------------

def test_advance_accepts_str_and_int_and_never_moves_back():
    engine = load()
    opened_s2(engine)
    assert engine.advance(ts("2026-03-02T12:00:00+00:00")) == []
    assert engine.now == ts("2026-03-02T12:00:00+00:00")
    assert engine.advance("2026-03-02T11:00:00Z") == []
    assert engine.now == ts("2026-03-02T12:00:00+00:00")
    with pytest.raises(EventError, match="earlier"):
        engine.process(ev("e2", "T1", "2026-03-02T12:30:00+01:00", "responded"))  # 11:30Z < 12:00Z
    assert [a.action for a in engine.advance("2026-03-02T14:00:00+01:00")] == ["breach"]  # 13:00Z


def test_state_is_json_serialisable_and_none_for_unknown_ticket():
    engine = load(overrides={"acme": {"warn_at": [0.5]}})
    opened_s1(engine)
    engine.process(ev("e2", "T1", "2026-03-02T10:10:00+01:00", "responded"))
    engine.process(ev("e3", "T1", "2026-03-02T10:20:00+01:00", "info_requested"))
    engine.process(ev("e4", "T1", "2026-03-02T10:25:00+01:00", "escalation_requested"))
    state = engine.state("T1")
    assert json.loads(json.dumps(state)) == state
    assert state["ticket"] == "T1" and state["contract"] == "acme"
    assert state["clocks"]["update"]["status"] == "paused"
    assert state["obligations"] == {"logs": "2026-03-02T11:20:00Z"}  # 10:20 Paris + 2 h 24x7 = 11:20Z
    assert engine.state("nope") is None


def test_state_is_a_copy():
    engine = load()
    engine.process(ev("o", "T1", MON_10, "opened", **OPEN_S2, info={"report": "crash"}))
    engine.state("T1")["attrs"]["info"]["report"] = "tampered"
    assert engine.state("T1")["attrs"]["info"] == {"report": "crash"}


def test_read_gives_one_fact_as_conditions_see_it():
    engine = load()
    engine.process(ev("o", "T1", MON_10, "opened", **OPEN_S2, info={"report": "crash"}))
    assert engine.read("T1", "state.clock.response") == "running"
    assert engine.read("T1", "ticket.info.report") == "crash"
    assert engine.read("T1", "state.timer.silence") is None
    assert engine.read("T9", "ticket.severity") is None
    with pytest.raises(ConditionError, match="unknown fact root 'tciket'"):
        engine.read("T1", "tciket.severity")


def test_two_engines_never_interfere():
    shared = load().contracts
    a, b = Engine(shared), Engine(shared)
    events = [ev("e1", "T1", MON_10, "opened", **OPEN_S2), ev("e2", "T1", "2026-03-02T11:00:00+01:00", "info_requested"),
              ev("e3", "T1", "2026-03-02T12:00:00+01:00", "escalation_requested"),
              ev("e4", "T1", "2026-03-03T12:00:00+01:00", "info_provided")]
    alone = dicts(run(load(), events))
    out_a, out_b = [], []
    for event in events:  # interleaved
        out_a += dicts(a.process(event))
        assert b.state("T1") is None or b.state("T1")["escalation"]["level"] <= a.state("T1")["escalation"]["level"]
    for event in events:
        out_b += dicts(b.process(event))
    assert out_a == out_b == alone
    c = Engine(shared)
    assert c.state("T1") is None and c.now is None
    c.process(ev("e1", "T2", MON_10, "opened", **OPEN_S2))  # e1 is not a duplicate in another engine


class _NoWallClock(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        raise AssertionError("datetime.now() read the wall clock")

    @classmethod
    def utcnow(cls):
        raise AssertionError("datetime.utcnow() read the wall clock")

    @classmethod
    def today(cls):
        raise AssertionError("datetime.today() read the wall clock")


class _NoToday(dt.date):
    @classmethod
    def today(cls):
        raise AssertionError("date.today() read the wall clock")


def test_the_wall_clock_is_never_read(monkeypatch):
    import sys

    engine = load(overrides={"acme": {"warn_at": [0.5]}})

    def forbidden(*_a, **_k):
        raise AssertionError("time.time() read the wall clock")

    for name in ("time", "time_ns", "monotonic", "perf_counter"):
        monkeypatch.setattr(time, name, forbidden)
    monkeypatch.setattr(dt, "datetime", _NoWallClock)
    monkeypatch.setattr(dt, "date", _NoToday)
    for mod_name, module in list(sys.modules.items()):
        if mod_name == "engine" or mod_name.startswith("engine."):
            if getattr(module, "datetime", None) is dt.datetime.__mro__[1]:
                monkeypatch.setattr(module, "datetime", _NoWallClock)
            if getattr(module, "date", None) is dt.date.__mro__[1]:
                monkeypatch.setattr(module, "date", _NoToday)
    from engine.model import events as engine_events

    with pytest.raises(AssertionError):
        engine_events.datetime.now()  # the patch is in force where the engine parses instants
    out = run(engine, [
        ev("e1", "T1", "2027-06-04T16:30:00+02:00", "opened", **OPEN_S2),  # a year not built yet
        ev("e2", "T1", "2027-06-07T10:00:00+02:00", "info_requested"),
        ev("e3", "T1", "2027-06-08T10:00:00+02:00", "info_provided"),
        ev("e4", "T1", "2027-06-08T11:00:00+02:00", "updated", severity="S1"),
    ])
    out += engine.advance("2027-06-20T00:00:00Z")
    assert out and engine.state("T1") is not None


# --- every action is a valid docs/INTERFACE.md action -------------------------------------------------

def everything() -> list:
    """A multi-ticket stream producing every action kind of the vocabulary."""
    engine = load(overrides={"acme": {"warn_at": [0.5]}})
    out = run(engine, [
        ev("a1", "A", MON_10, "opened", **OPEN_S1),                                     # start_clock
        ev("b1", "B", MON_10, "opened", **OPEN_S2, category="training"),               # exclude
        ev("c1", "C", MON_10, "opened", **{**OPEN_S1, "channel": "email"}),            # reclassify
        ev("a2", "A", "2026-03-02T10:05:00+01:00", "rca_requested"),                   # downgrade proposed
        ev("a3", "A", "2026-03-02T10:10:00+01:00", "responded"),                       # stop_clock, start update
        ev("a4", "A", "2026-03-02T10:20:00+01:00", "info_requested"),                  # obligation, pause
        ev("a5", "A", "2026-03-02T13:00:00+01:00", "info_provided"),                   # resume; breached/notify
        ev("a6", "A", "2026-03-02T13:10:00+01:00", "escalation_requested"),            # escalate
        ev("a7", "A", "2026-03-02T13:20:00+01:00", "incident_declared"),               # downgrade automatic
        ev("c2", "C", "2026-03-02T13:30:00+01:00", "updated", severity="S1"),          # reschedule
    ])
    out += engine.advance("2026-03-10T00:00:00Z")                                       # warn, breach
    return out


def test_every_action_has_the_interface_fields_and_validates_against_the_schema():
    out = everything()
    kinds = {a.action for a in out}
    assert kinds >= {"start_clock", "pause_clock", "resume_clock", "reschedule_clock", "stop_clock", "warn", "breach",
                     "notify", "escalate", "downgrade", "reclassify", "exclude", "obligation", "obligation_breached"}
    for action in out:
        d = action.to_dict()
        for key in ("ticket", "at", "action", "contract", "rule", "clause", "reason"):
            assert isinstance(d.get(key), str) and d[key], (key, d)
        assert d["at"].endswith("Z") and ts(d["at"].replace("Z", "+00:00")) == action.at
        assert instance_errors(d, "action") == [], d
        assert d["clause"].startswith("TST-")
        json.loads(action.to_json())


def test_output_is_in_event_time_order():
    out = everything()
    instants = [a.at for a in out]
    assert instants == sorted(instants)

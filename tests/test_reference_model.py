"""Hand-computed cases of tests/reference_model.py: the oracle is checked by arithmetic too.

Every expected instant is worked out in the comment beside it from the seed calendars:
Adobe EMEA = Europe/London Mon-Fri 09:00-17:00 (England bank holidays); Adobe Americas =
America/Los_Angeles Mon-Fri 06:00-17:30 (US holidays); PROGR1 France = Europe/Paris Mon-Thu
09:00-17:30, Fri 09:00-17:00 (French holidays). London is GMT (= UTC) until 2026-03-29; Paris is
CET (UTC+1) until 2026-03-29, then CEST (UTC+2); Los Angeles is PST (UTC-8) until Sunday
2026-03-08 02:00, then PDT (UTC-7). 2026-03-02 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import reference_model as rm
from hypothesis import given
from hypothesis import strategies as st

SEEDS = Path(__file__).resolve().parent.parent / "contracts"


def minute(text: str) -> int:
    """RFC 3339 text -> epoch minute."""
    return int(datetime.fromisoformat(text).timestamp()) // 60


def iso(m: int) -> str:
    return datetime.fromtimestamp(m * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_calendar(seed: str, name: str, attrs: dict | None = None) -> rm.Calendar:
    return rm.calendar_from(name, rm.calendar_specs(SEEDS / seed)[name], attrs)


EMEA = seed_calendar("adobe.yaml", "emea")
AMERICAS = seed_calendar("adobe.yaml", "americas")
FRANCE = seed_calendar("progr1.yaml", "france")
ALWAYS = rm.calendar_from("24x7", rm.ALWAYS)


def due(calendar: rm.Calendar, start: str, target: str) -> str:
    return iso(rm.Target(target, calendar).due(minute(start)))


# --------------------------------------------------------------------------- reading calendars


def test_calendars_are_read_from_the_seed_yaml() -> None:
    # PROGR1: the later `fri` key replaces mon-fri's 17:30 for Friday only.
    assert FRANCE.zone == "Europe/Paris" and FRANCE.country == "FR"
    assert FRANCE.week[3] == ((540, 1050),) and FRANCE.week[4] == ((540, 1020),) and FRANCE.week[5] == ()
    # OL Care UK's zone is the parameter ${tz_uk}, resolved from the contract's parameters.
    assert seed_calendar("olcare.yaml", "uk").zone == "Europe/London"
    # Microsoft: zone and holiday country from the ticket, French defaults without them.
    business = seed_calendar("microsoft-unified.yaml", "business", {"timezone": "Asia/Tokyo", "country": "JP"})
    assert (business.zone, business.country) == ("Asia/Tokyo", "JP")
    default = seed_calendar("microsoft-unified.yaml", "business")
    assert (default.zone, default.country) == ("Europe/Paris", "FR")


# --------------------------------------------------------------------------- minutes and hours


@pytest.mark.parametrize(("calendar", "start", "target", "expected"), [
    # Fri 16:30 London: 30 min to the 17:00 close, 60 min from Mon 09:00 -> Mon 10:00.
    (EMEA, "2026-03-06T16:30:00Z", "90 minutes", "2026-03-09T10:00:00Z"),
    # used up exactly at the 17:00 close: due at the next opening, Tue 09:00.
    (EMEA, "2026-03-02T16:30:00Z", "30 minutes", "2026-03-03T09:00:00Z"),
    # opened Sat 03:00: the clock starts at the next opening, Mon 09:00, + 15 min.
    (EMEA, "2026-03-07T03:00:00Z", "15 minutes", "2026-03-09T09:15:00Z"),
    # DST week: Fri 17:00 PST (01:00Z Sat) + 30 min to 17:30; Mon 06:00 PDT (13:00Z) + 60 min.
    (AMERICAS, "2026-03-07T01:00:00Z", "90 minutes", "2026-03-09T14:00:00Z"),
    # first Monday of BST: 08:00 London is 07:00Z, before the 09:00 BST (08:00Z) opening.
    (EMEA, "2026-03-30T07:00:00Z", "15 minutes", "2026-03-30T08:15:00Z"),
    # 24x7 counts every minute: 4 hours are 4 hours, across the London spring-forward night.
    (ALWAYS, "2026-03-29T00:30:00Z", "4 hours", "2026-03-29T04:30:00Z"),
])
def test_minute_and_hour_targets(calendar: rm.Calendar, start: str, target: str, expected: str) -> None:
    assert due(calendar, start, target) == expected


# --------------------------------------------------------------------------- business days


@pytest.mark.parametrize(("calendar", "start", "target", "expected"), [
    # Wed 2026-04-29 11:00 CEST: Thu 30 (1), Fri 1 May Fete du Travail, weekend, Mon 4 (2),
    # Tue 5 (3) at 11:00 CEST = 09:00Z.
    (FRANCE, "2026-04-29T09:00:00Z", "3 business days", "2026-05-05T09:00:00Z"),
    # Thu 2026-03-05 17:15 CET: Fri 17:15 is after PROGR1's 17:00 Friday close -> next opening
    # Mon 09:00 CET = 08:00Z.
    (FRANCE, "2026-03-05T16:15:00Z", "1 business day", "2026-03-09T08:00:00Z"),
    # Fri 10:00 PST (18:00Z) -> Mon 10:00 PDT = 17:00Z: the same wall time, 71 h later.
    (AMERICAS, "2026-03-06T18:00:00Z", "1 business day", "2026-03-09T17:00:00Z"),
    # Thu 24 Dec 10:00 London: Fri 25 Christmas, weekend, Mon 28 Boxing Day (substitute) -> Tue 29.
    (EMEA, "2026-12-24T10:00:00Z", "1 business day", "2026-12-29T10:00:00Z"),
    # Opened Sunday 20:00: starts Mon 09:00, so 1 business day is Tue 09:00.
    (EMEA, "2026-03-01T20:00:00Z", "1 business day", "2026-03-03T09:00:00Z"),
    # 24x7: N x 24 h.
    (ALWAYS, "2026-10-24T12:00:00Z", "2 business days", "2026-10-26T12:00:00Z"),
])
def test_business_day_targets(calendar: rm.Calendar, start: str, target: str, expected: str) -> None:
    assert due(calendar, start, target) == expected


def test_business_day_budget_is_the_open_time_to_the_due() -> None:
    # Wed 29 Apr 11:00 -> Tue 5 May 11:00 (CEST) on PROGR1 hours: Wed 11:00-17:30 6.5 h, Thu 8.5 h,
    # Fri 1 May holiday, Mon 8.5 h, Tue 09:00-11:00 2 h = 25.5 h = 1530 min.
    assert rm.Target("3 business days", FRANCE).budget(minute("2026-04-29T09:00:00Z")) == 1530


# --------------------------------------------------------------------------- a ticket's clock

SEVERITY_TABLE = {"S1": ("4 hours", "24x7"), "S2": ("2 hours", "region"), "S4": ("15 minutes", "region")}


def ticket(severity: str) -> rm.TicketModel:
    contract = rm.ContractModel(calendars={"emea": rm.calendar_specs(SEEDS / "adobe.yaml")["emea"]},
                                regions={"emea": "emea"}, targets={"response": SEVERITY_TABLE},
                                goals={"response": {"responded"}})
    model = rm.TicketModel(contract)
    return model


def play(severity: str, *events: tuple[str, str, dict | None], until: str | None = None) -> list[dict]:
    model = ticket(severity)
    for kind, at, attrs in events:
        model.event(kind, minute(at), attrs if kind != "opened" else {"region": "emea", "severity": severity})
    if until is not None:
        model.advance(minute(until))
    return [{k: v for k, v in a.items() if k in ("action", "at", "due", "met", "elapsed", "paused")}
            for a in model.actions]


def test_a_pause_over_a_weekend_moves_due_by_the_business_time_paused() -> None:
    # 2 hours on EMEA from Fri 15:00, used up exactly at the 17:00 close -> due at the next
    # opening, Mon 09:00. Paused Fri 16:00 with 60 min counted; resumed Mon 10:00 -> 60 min
    # remain -> due Mon 11:00. Business time paused: Fri 16:00-17:00 + Mon 09:00-10:00 = 2 h =
    # 7200 s (the old due, Mon 09:00, moved by 2 open hours is Mon 11:00 too). Responded Mon
    # 10:30: 60 + 30 = 90 min counted = 5400 s, met.
    assert play("S2", ("opened", "2026-03-06T15:00:00Z", None), ("info_requested", "2026-03-06T16:00:00Z", None),
                ("info_provided", "2026-03-09T10:00:00Z", None), ("responded", "2026-03-09T10:30:00Z", None)) == [
        {"action": "start_clock", "at": "2026-03-06T15:00:00Z", "due": "2026-03-09T09:00:00Z"},
        {"action": "pause_clock", "at": "2026-03-06T16:00:00Z"},
        {"action": "resume_clock", "at": "2026-03-09T10:00:00Z", "due": "2026-03-09T11:00:00Z"},
        {"action": "stop_clock", "at": "2026-03-09T10:30:00Z", "met": True, "elapsed": 5400, "paused": 7200},
    ]


def test_a_goal_exactly_at_due_meets_and_one_minute_later_breaches_first() -> None:
    # S4 15 min from Mon 10:00 -> due 10:15.
    assert play("S4", ("opened", "2026-03-02T10:00:00Z", None), ("responded", "2026-03-02T10:15:00Z", None))[-1] == \
        {"action": "stop_clock", "at": "2026-03-02T10:15:00Z", "met": True, "elapsed": 900, "paused": 0}
    # responded 10:16: the breach fires at its own instant 10:15 (at == due, 900 s counted) first.
    assert play("S4", ("opened", "2026-03-02T10:00:00Z", None), ("responded", "2026-03-02T10:16:00Z", None))[1:] == [
        {"action": "breach", "at": "2026-03-02T10:15:00Z", "due": "2026-03-02T10:15:00Z", "elapsed": 900, "paused": 0},
        {"action": "stop_clock", "at": "2026-03-02T10:16:00Z", "met": False, "elapsed": 960, "paused": 0},
    ]


def test_a_severity_change_keeps_elapsed_time_and_breaches_at_once_when_exceeded_even_paused() -> None:
    # S1 4 h on 24x7 from Mon 10:00; paused 13:00 (3 h counted); S4 (15 min on EMEA) at 14:00:
    # 3 h > 15 min -> breach at 14:00, due 14:00, paused 13:00-14:00 on 24x7 = 3600 s.
    # Responded 15:00 (still paused, 1 h more paused on EMEA hours): not met.
    assert play("S1", ("opened", "2026-03-02T10:00:00Z", None), ("info_requested", "2026-03-02T13:00:00Z", None),
                ("updated", "2026-03-02T14:00:00Z", {"severity": "S4"}),
                ("responded", "2026-03-02T15:00:00Z", None))[2:] == [
        {"action": "reschedule_clock", "at": "2026-03-02T14:00:00Z", "due": "2026-03-02T14:00:00Z"},
        {"action": "breach", "at": "2026-03-02T14:00:00Z", "due": "2026-03-02T14:00:00Z", "elapsed": 10800,
         "paused": 3600},
        {"action": "stop_clock", "at": "2026-03-02T15:00:00Z", "met": False, "elapsed": 10800, "paused": 7200},
    ]


def test_a_severity_change_with_time_left_counts_the_rest_on_the_new_calendar() -> None:
    # S1 4 h on 24x7 opened Mon 16:00; S2 (2 h on EMEA) at 16:30 with 30 min counted: 90 min
    # remain from 16:30 -> 30 min to 17:00, 60 min from Tue 09:00 -> Tue 10:00. Advancing to
    # Tue 12:00 breaches at 10:00 with 2 h counted.
    assert play("S1", ("opened", "2026-03-02T16:00:00Z", None), ("updated", "2026-03-02T16:30:00Z", {"severity": "S2"}),
                until="2026-03-03T12:00:00Z")[1:] == [
        {"action": "reschedule_clock", "at": "2026-03-02T16:30:00Z", "due": "2026-03-03T10:00:00Z"},
        {"action": "breach", "at": "2026-03-03T10:00:00Z", "due": "2026-03-03T10:00:00Z", "elapsed": 7200, "paused": 0},
    ]


@given(start=st.integers(0, 5 * 24 * 60), pause=st.integers(0, 6 * 24 * 60), length=st.integers(0, 4 * 24 * 60),
       target=st.sampled_from(["90 minutes", "8 hours", "3 business days"]))
def test_resume_due_is_the_old_due_moved_by_the_business_time_paused(start: int, pause: int, length: int,
                                                                     target: str) -> None:
    """INTERFACE's wording ("due moves later by the business time paused") against the model's
    form (count what remained from the resume), for pauses that begin before the due."""
    t0 = minute("2026-03-20T00:00:00Z") + start  # across the EU spring-forward of 2026-03-29
    calendar = EMEA
    old_due = rm.Target(target, calendar).due(t0)
    budget = rm.Target(target, calendar).budget(t0)
    paused_at = min(t0 + pause, old_due)
    resumed_at = paused_at + length
    counted = rm.count_open(calendar, t0, paused_at)
    moved = rm.after_open(calendar, old_due, rm.count_open(calendar, paused_at, resumed_at))
    assert rm.after_open(calendar, resumed_at, budget - counted) == moved

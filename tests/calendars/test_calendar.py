"""engine.calendar: business time as docs/INTERFACE.md "Time" defines it (Zendesk `biz` conventions).

Every expected instant below is computed by hand; the arithmetic is in the comment next to it.
Offsets used: London GMT = UTC+0 until 2026-03-29 01:00Z, BST = UTC+1 until 2026-10-25 01:00Z;
Paris/Berlin CET = UTC+1, CEST = UTC+2 over the same dates; Los Angeles PST = UTC-8 until
2026-03-08 10:00Z, PDT = UTC-7 until 2026-11-01 09:00Z.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.calendars.business import (
    BusinessCalendar,
    calendar_from_spec,
    localise,
    parse_hours,
    parse_interval,
    timezone_attribute,
)
from engine.model.durations import Duration, parse_duration

H = 3600
M = 60


def ts(text: str) -> int:
    """RFC 3339 -> epoch seconds, with the stdlib only (independent of the module under test)."""
    return int(datetime.fromisoformat(text).timestamp())


# ADOBE-HOURS (EMEA = Europe/London, assumption of the Adobe contract), England bank holidays.
EMEA = calendar_from_spec(
    {
        "timezone": "Europe/London",
        "hours": {"mon-fri": ["09:00-17:00"]},
        "holidays": {"country": "GB", "subdivision": "ENG"},
    }
)
# ADOBE-HOURS Americas 06:00-17:30 (America/Los_Angeles, assumption).
AMERICAS = calendar_from_spec({"timezone": "America/Los_Angeles", "hours": {"mon-fri": ["06:00-17:30"]}})
# P1-HOURS: Mon-Fri 09:00-17:30, Fridays until 17:00, French public holidays.
PROGR1 = calendar_from_spec(
    {
        "timezone": "Europe/Paris",
        "hours": {"mon-fri": ["09:00-17:30"], "fri": ["09:00-17:00"]},
        "holidays": {"country": "FR"},
    }
)
BERLIN = calendar_from_spec({"timezone": "Europe/Berlin", "hours": {"mon-fri": ["09:00-17:00"]}})
ALWAYS = BusinessCalendar.always_open()


# --------------------------------------------------------------------------- minutes / hours


def test_adobe_rt_ultimate_emea_example() -> None:
    # ADOBE-RT-ULTIMATE P2 = 30 business minutes, EMEA hours (docs/INTERFACE.md action example).
    # Mon 2026-03-02 16:50 GMT: 10 min to the 17:00 close, then Tue 09:00 + 20 min = 09:20 GMT.
    start = ts("2026-03-02T16:50:00Z")
    assert EMEA.add(start, 30 * M) == ts("2026-03-03T09:20:00Z")
    assert EMEA.due(start, parse_duration("30 minutes")) == ts("2026-03-03T09:20:00Z")


def test_target_used_up_exactly_at_closing_is_due_at_next_opening() -> None:
    # docs/INTERFACE.md: "a target used up exactly at a closing time is due at the next opening".
    # Mon 16:30 + 30 min = 17:00 exactly -> due Tue 2026-03-03 09:00 GMT.
    assert EMEA.add(ts("2026-03-02T16:30:00Z"), 30 * M) == ts("2026-03-03T09:00:00Z")
    # Fri 16:00 + 1 h = Fri 17:00 -> due Mon 2026-03-09 09:00.
    assert EMEA.add(ts("2026-03-06T16:00:00Z"), H) == ts("2026-03-09T09:00:00Z")
    # add(t, 0) is next_open(t): at 17:00:00 the office is closed.
    assert EMEA.add(ts("2026-03-02T17:00:00Z"), 0) == ts("2026-03-03T09:00:00Z")
    assert EMEA.add(ts("2026-03-02T12:00:00Z"), 0) == ts("2026-03-02T12:00:00Z")
    # ... and the open time up to the due instant is exactly the target.
    assert EMEA.between(ts("2026-03-02T16:30:00Z"), ts("2026-03-03T09:00:00Z")) == 30 * M


def test_intervals_are_half_open() -> None:
    # Open at 09:00:00, closed at 17:00:00.
    assert not EMEA.is_open(ts("2026-03-02T08:59:59Z"))
    assert EMEA.is_open(ts("2026-03-02T09:00:00Z"))
    assert EMEA.is_open(ts("2026-03-02T16:59:59Z"))
    assert not EMEA.is_open(ts("2026-03-02T17:00:00Z"))
    assert not EMEA.is_open(ts("2026-03-07T12:00:00Z"))  # Saturday


def test_starts_outside_hours_count_from_next_opening() -> None:
    # docs/INTERFACE.md: "a clock started outside opening hours starts at the next opening".
    # Saturday 2026-03-07 12:00 -> Mon 2026-03-09 09:00 + 30 min = 09:30.
    assert EMEA.next_open(ts("2026-03-07T12:00:00Z")) == ts("2026-03-09T09:00:00Z")
    assert EMEA.add(ts("2026-03-07T12:00:00Z"), 30 * M) == ts("2026-03-09T09:30:00Z")
    # Before opening: Tue 07:00 -> Tue 09:00 + 30 min = 09:30.
    assert EMEA.add(ts("2026-03-03T07:00:00Z"), 30 * M) == ts("2026-03-03T09:30:00Z")
    # After closing: Tue 18:00 -> Wed 2026-03-04 09:00 + 30 min = 09:30.
    assert EMEA.add(ts("2026-03-03T18:00:00Z"), 30 * M) == ts("2026-03-04T09:30:00Z")
    # Exactly at closing: Tue 17:00 -> Wed 09:00 + 30 min.
    assert EMEA.add(ts("2026-03-03T17:00:00Z"), 30 * M) == ts("2026-03-04T09:30:00Z")


def test_long_target_spans_several_days() -> None:
    # 20 business hours from Mon 2026-03-02 09:00: Mon 8 h + Tue 8 h = 16 h, Wed 09:00 + 4 h = 13:00.
    assert EMEA.add(ts("2026-03-02T09:00:00Z"), 20 * H) == ts("2026-03-04T13:00:00Z")
    # Exactly 16 h ends at Tue 17:00 -> due Wed 09:00.
    assert EMEA.add(ts("2026-03-02T09:00:00Z"), 16 * H) == ts("2026-03-04T09:00:00Z")


def test_english_bank_holidays_are_skipped() -> None:
    # GB-ENG 2026: Good Friday 04-03, Easter Monday 04-06 (from the holidays package).
    # Thu 2026-04-02 16:00 BST (15:00Z) + 2 h: 1 h to 17:00 BST; Fri, Sat, Sun, Mon closed;
    # Tue 2026-04-07 09:00 BST + 1 h = 10:00 BST = 09:00Z.
    assert EMEA.add(ts("2026-04-02T15:00:00Z"), 2 * H) == ts("2026-04-07T09:00:00Z")
    assert not EMEA.is_open(ts("2026-04-03T10:00:00Z"))
    assert not EMEA.is_business_day(date(2026, 4, 6))


def test_uk_autumn_switch() -> None:
    # BST ends Sun 2026-10-25. Fri 2026-10-23 16:00 BST (15:00Z) + 2 h: 1 h Friday,
    # Mon 2026-10-26 09:00 GMT (09:00Z) + 1 h = 10:00Z.
    assert EMEA.add(ts("2026-10-23T15:00:00Z"), 2 * H) == ts("2026-10-26T10:00:00Z")


def test_us_dst_switch_americas_hours() -> None:
    # ADOBE-HOURS Americas 06:00-17:30, America/Los_Angeles; DST starts Sun 2026-03-08.
    # Fri 2026-03-06 17:00 PST = 2026-03-07T01:00Z; + 2 h: 30 min to 17:30 PST,
    # Mon 2026-03-09 06:00 PDT (13:00Z) + 1 h 30 = 07:30 PDT = 14:30Z.
    assert AMERICAS.add(ts("2026-03-07T01:00:00Z"), 2 * H) == ts("2026-03-09T14:30:00Z")
    # Opening moves from 14:00Z (06:00 PST) to 13:00Z (06:00 PDT).
    assert AMERICAS.next_open(ts("2026-03-06T12:00:00Z")) == ts("2026-03-06T14:00:00Z")
    assert AMERICAS.next_open(ts("2026-03-07T12:00:00Z")) == ts("2026-03-09T13:00:00Z")
    # Fri 06:00 PST to Mon 06:00 PDT holds exactly Friday's 11 h 30.
    assert AMERICAS.between(ts("2026-03-06T14:00:00Z"), ts("2026-03-09T13:00:00Z")) == 11 * H + 30 * M
    # DST ends Sun 2026-11-01. Fri 2026-10-30 17:00 PDT = 2026-10-31T00:00Z; + 1 h: 30 min
    # Friday, Mon 2026-11-02 06:00 PST (14:00Z) + 30 min = 14:30Z.
    assert AMERICAS.add(ts("2026-10-31T00:00:00Z"), H) == ts("2026-11-02T14:30:00Z")


def test_eu_dst_switch_paris_and_berlin() -> None:
    # EU summer time starts Sun 2026-03-29. PROGR1 Fri 2026-03-27 16:30 CET (15:30Z) + 1 h:
    # 30 min to the 17:00 Friday close, Mon 2026-03-30 09:00 CEST (07:00Z) + 30 min = 07:30Z.
    assert PROGR1.add(ts("2026-03-27T15:30:00Z"), H) == ts("2026-03-30T07:30:00Z")
    # EU summer time ends Sun 2026-10-25. Berlin Fri 2026-10-23 16:00 CEST (14:00Z) + 2 h:
    # 1 h Friday, Mon 2026-10-26 09:00 CET (08:00Z) + 1 h = 09:00Z.
    assert BERLIN.add(ts("2026-10-23T14:00:00Z"), 2 * H) == ts("2026-10-26T09:00:00Z")


def test_dst_inside_opening_hours() -> None:
    # A weekend open around the clock in Paris: the switch day has 23 h (March) or 25 h (October).
    cal = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"sat-sun": ["00:00-24:00"]}})
    # Sat 2026-03-28 00:00 CET (03-27T23:00Z) to Mon 00:00 CEST (03-29T22:00Z): 24 h + 23 h.
    assert cal.between(ts("2026-03-27T23:00:00Z"), ts("2026-03-29T22:00:00Z")) == 47 * H
    # Sat 2026-10-24 00:00 CEST (10-23T22:00Z) to Mon 00:00 CET (10-25T23:00Z): 24 h + 25 h.
    assert cal.between(ts("2026-10-23T22:00:00Z"), ts("2026-10-25T23:00:00Z")) == 49 * H
    # Saturday 24:00 and Sunday 00:00 are one continuous opening: 30 h from Sat 00:00 CET
    # = all of Saturday, 24 h (to 03-28T23:00Z), + 6 h of Sunday = 03-29T05:00Z (07:00 CEST,
    # 00:00-02:00 CET then 03:00-07:00 CEST).
    assert cal.add(ts("2026-03-27T23:00:00Z"), 30 * H) == ts("2026-03-29T05:00:00Z")


def test_nonexistent_and_ambiguous_local_times_use_fold_0() -> None:
    # Documented rule: local times become instants with zoneinfo fold=0.
    # Paris, Sunday 01:00-02:30 on 2026-03-29: 01:00 CET = 00:00Z; 02:30 does not exist and is
    # read with the offset before the gap (+1) = 01:30Z (= 03:30 CEST): 90 min of open time.
    gap = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"sun": ["01:00-02:30"]}})
    assert gap.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")) == 90 * M
    assert gap.is_open(ts("2026-03-29T01:15:00Z"))  # 03:15 CEST
    assert not gap.is_open(ts("2026-03-29T01:30:00Z"))
    # Sunday 02:30-03:15 collapses that day: 02:30 -> 01:30Z, 03:15 CEST -> 01:15Z, end < start.
    # A normal Sunday (2026-03-22) has its 45 min.
    collapsed = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"sun": ["02:30-03:15"]}})
    assert collapsed.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")) == 0
    assert collapsed.between(ts("2026-03-21T12:00:00Z"), ts("2026-03-22T12:00:00Z")) == 45 * M
    # Sunday 02:00-03:00 on 2026-10-25 (02:00-03:00 happens twice): 02:00 fold=0 is the first,
    # CEST, = 00:00Z; 03:00 CET = 02:00Z: 2 h of open time.
    fold = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"sun": ["02:00-03:00"]}})
    assert fold.between(ts("2026-10-24T12:00:00Z"), ts("2026-10-25T12:00:00Z")) == 2 * H


def test_progr1_friday_closes_at_17() -> None:
    # P1-HOURS: Fridays until 17:00. Fri 2026-03-06 16:30 CET (15:30Z) + 1 h: 30 min Friday,
    # Mon 2026-03-09 09:00 CET (08:00Z) + 30 min = 08:30Z.
    assert PROGR1.add(ts("2026-03-06T15:30:00Z"), H) == ts("2026-03-09T08:30:00Z")
    assert not PROGR1.is_open(ts("2026-03-06T16:15:00Z"))  # Fri 17:15 CET: closed
    # Thursday still closes at 17:30: Thu 2026-03-05 17:00 CET (16:00Z) + 1 h: 30 min Thursday,
    # Fri 09:00 CET (08:00Z) + 30 min = 08:30Z.
    assert PROGR1.is_open(ts("2026-03-05T16:15:00Z"))  # Thu 17:15 CET: open
    assert PROGR1.add(ts("2026-03-05T16:00:00Z"), H) == ts("2026-03-06T08:30:00Z")


def test_progr1_french_ascension_is_skipped() -> None:
    # Ascension 2026 = Easter (04-05) + 39 days = Thu 2026-05-14, a French public holiday.
    assert not PROGR1.is_business_day(date(2026, 5, 14))
    assert not PROGR1.is_open(ts("2026-05-14T08:00:00Z"))  # Thu 10:00 CEST
    # Wed 2026-05-13 17:00 CEST (15:00Z) + 1 h: 30 min to 17:30; Thursday skipped;
    # Fri 2026-05-15 09:00 CEST (07:00Z) + 30 min = 07:30Z.
    assert PROGR1.add(ts("2026-05-13T15:00:00Z"), H) == ts("2026-05-15T07:30:00Z")
    # Wed 09:00 CEST to Fri 09:00 CEST: only Wednesday's 8 h 30.
    assert PROGR1.between(ts("2026-05-13T07:00:00Z"), ts("2026-05-15T07:00:00Z")) == 8 * H + 30 * M


def test_between_across_nights_weekends_and_holidays() -> None:
    # Mon 2026-03-02 12:00 to Wed 2026-03-04 10:00 GMT: Mon 5 h + Tue 8 h + Wed 1 h = 14 h.
    assert EMEA.between(ts("2026-03-02T12:00:00Z"), ts("2026-03-04T10:00:00Z")) == 14 * H
    # Fri 16:00 to Mon 10:00: 1 h + 1 h.
    assert EMEA.between(ts("2026-03-06T16:00:00Z"), ts("2026-03-09T10:00:00Z")) == 2 * H
    # Thu 2026-04-02 09:00 BST to Tue 04-07 09:00 BST: Thu 8 h; Good Friday, weekend, Easter Monday.
    assert EMEA.between(ts("2026-04-02T08:00:00Z"), ts("2026-04-07T08:00:00Z")) == 8 * H
    # Both ends in the same closed stretch; empty and reversed ranges.
    assert EMEA.between(ts("2026-03-07T00:00:00Z"), ts("2026-03-08T23:00:00Z")) == 0
    assert EMEA.between(ts("2026-03-04T10:00:00Z"), ts("2026-03-02T12:00:00Z")) == 0
    assert EMEA.between(ts("2026-03-04T10:00:00Z"), ts("2026-03-04T10:00:00Z")) == 0
    # The whole of 2026 in England: 365 days from a Thursday = 52 weeks + 1 Thursday, so
    # 261 weekdays; bank holidays on weekdays: 01-01, 04-03, 04-06, 05-04, 05-25, 08-31, 12-25,
    # 12-28 (Boxing Day substitute) = 8; 253 business days x 8 h.
    assert EMEA.between(ts("2026-01-01T00:00:00Z"), ts("2027-01-01T00:00:00Z")) == 253 * 8 * H


def test_year_boundary_and_new_year_holiday() -> None:
    # Thu 2026-12-31 16:00 GMT + 2 h: 1 h to 17:00; Fri 2027-01-01 New Year's Day; weekend;
    # Mon 2027-01-04 09:00 + 1 h = 10:00Z.
    assert EMEA.add(ts("2026-12-31T16:00:00Z"), 2 * H) == ts("2027-01-04T10:00:00Z")


def test_queries_spanning_many_years_and_any_order() -> None:
    # Per-year cache extends backwards and forwards; a fresh calendar must agree with one that
    # has seen other years first.
    spec = {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": "GB"}}
    warm = BusinessCalendar("Europe/London", {d: [(540, 1020)] for d in range(5)}, country="GB")
    assert warm.is_open(ts("2030-06-03T10:00:00Z"))  # Mon 11:00 BST
    assert not warm.is_open(ts("2020-06-06T10:00:00Z"))  # Saturday, loads far back
    fresh = calendar_from_spec(spec)
    a, b = ts("2019-03-01T12:00:00Z"), ts("2031-03-01T12:00:00Z")
    assert warm.between(a, b) == fresh.between(a, b) > 0
    # A year of England weekdays minus bank holidays is roughly 252 days x 8 h: 12 years.
    assert 12 * 250 * 8 * H < warm.between(a, b) < 12 * 256 * 8 * H
    # add over several years lands where between says.
    due = warm.add(a, 5000 * H)
    assert warm.between(a, due) == 5000 * H
    # A far-away instant after a recent one (cache restarted rather than filled).
    assert warm.next_open(ts("1975-01-04T12:00:00Z")) == ts("1975-01-06T09:00:00Z")  # Sat -> Mon
    assert warm.next_open(ts("2026-03-07T12:00:00Z")) == ts("2026-03-09T09:00:00Z")


# --------------------------------------------------------------------------- business days


def test_business_days_same_wall_time() -> None:
    # docs/INTERFACE.md: same local wall time on the N-th following business day.
    # EMEA Mon 2026-03-02 16:50 + 1 business day = Tue 2026-03-03 16:50.
    assert EMEA.add_business_days(ts("2026-03-02T16:50:00Z"), 1) == ts("2026-03-03T16:50:00Z")
    assert EMEA.due(ts("2026-03-02T16:50:00Z"), parse_duration("1 business day")) == ts("2026-03-03T16:50:00Z")
    # Fri 10:00 + 1 = Mon 10:00 (weekend skipped).
    assert EMEA.add_business_days(ts("2026-03-06T10:00:00Z"), 1) == ts("2026-03-09T10:00:00Z")
    # n = 0 is the (moved) start itself.
    assert EMEA.add_business_days(ts("2026-03-07T10:00:00Z"), 0) == ts("2026-03-09T09:00:00Z")


def test_business_days_across_holiday_and_weekend() -> None:
    # P1-RES P2 = 4 business days. PROGR1 Tue 2026-05-12 10:00 CEST (08:00Z):
    # Wed 13 (1), Thu 14 Ascension skipped, Fri 15 (2), weekend, Mon 18 (3), Tue 19 (4)
    # -> Tue 2026-05-19 10:00 CEST = 08:00Z.
    assert PROGR1.add_business_days(ts("2026-05-12T08:00:00Z"), 4) == ts("2026-05-19T08:00:00Z")
    # Fri 2026-05-22 10:00 CEST + 1: Mon 25 is Pentecost Monday (FR) -> Tue 2026-05-26 10:00 CEST.
    assert PROGR1.add_business_days(ts("2026-05-22T08:00:00Z"), 1) == ts("2026-05-26T08:00:00Z")


def test_business_day_landing_after_closing_goes_to_next_opening() -> None:
    # PROGR1 Thu 2026-03-05 17:15 CET (16:15Z, open until 17:30) + 1 business day
    # -> Fri 17:15 CET, after the Friday 17:00 close -> next opening Mon 2026-03-09 09:00 CET = 08:00Z.
    assert PROGR1.add_business_days(ts("2026-03-05T16:15:00Z"), 1) == ts("2026-03-09T08:00:00Z")


def test_business_day_landing_before_opening_goes_to_opening() -> None:
    # Mondays open at 10:00 here: Fri 2026-03-06 09:30 GMT + 1 business day -> Mon 09:30,
    # before opening -> Mon 2026-03-09 10:00.
    cal = calendar_from_spec(
        {"timezone": "Europe/London", "hours": {"mon": ["10:00-18:00"], "tue-fri": ["09:00-17:00"]}}
    )
    assert cal.add_business_days(ts("2026-03-06T09:30:00Z"), 1) == ts("2026-03-09T10:00:00Z")


def test_business_days_start_outside_hours_is_moved_first() -> None:
    # "from the (possibly moved) start": Sat 2026-03-07 11:00 CET -> Mon 09:00 CET;
    # + 1 business day = Tue 2026-03-10 09:00 CET = 08:00Z.
    assert PROGR1.add_business_days(ts("2026-03-07T10:00:00Z"), 1) == ts("2026-03-10T08:00:00Z")
    # Thu 2026-03-05 18:00 CET (after close) -> Fri 09:00; + 2 = Mon (1), Tue (2) -> Tue 09:00 CET.
    assert PROGR1.add_business_days(ts("2026-03-05T17:00:00Z"), 2) == ts("2026-03-10T08:00:00Z")
    # Start on a holiday: Thu 2026-05-14 10:00 CEST (Ascension) -> Fri 15 09:00 CEST;
    # + 1 = Mon 2026-05-18 09:00 CEST = 07:00Z.
    assert PROGR1.add_business_days(ts("2026-05-14T08:00:00Z"), 1) == ts("2026-05-18T07:00:00Z")


def test_business_days_across_dst_keep_local_wall_time() -> None:
    # Americas Fri 2026-03-06 10:00 PST (18:00Z) + 1 business day -> Mon 2026-03-09 10:00 PDT = 17:00Z:
    # the same wall time, one hour earlier in UTC.
    assert AMERICAS.add_business_days(ts("2026-03-06T18:00:00Z"), 1) == ts("2026-03-09T17:00:00Z")
    # PROGR1 Fri 2026-03-27 10:00 CET (09:00Z) + 1 -> Mon 03-30 10:00 CEST = 08:00Z.
    assert PROGR1.add_business_days(ts("2026-03-27T09:00:00Z"), 1) == ts("2026-03-30T08:00:00Z")


# --------------------------------------------------------------------------- business days: day table

# add_business_days answers from a per-year day table (local midnights, plain 24 h days,
# business days) and leaves DST-switch days to _add_business_days_exact, the reference
# day-by-day walk with zoneinfo. Both must agree on every input.

# The benchmark's calendar: Mon-Fri 09:00-17:30 Europe/Paris, French public holidays.
PARIS = calendar_from_spec(
    {"timezone": "Europe/Paris", "hours": {"mon-fri": ["09:00-17:30"]}, "holidays": {"country": "FR"}}
)
# Open all Sunday in Paris: wall times fall inside the DST switches (last Sundays of March/October).
PARIS_SUNDAYS = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"sun": ["00:00-24:00"]}})


def test_business_days_table_hand_computed() -> None:
    # Fri 2026-03-27 16:45 CET (15:45Z), the Friday before the spring-forward Sunday 03-29:
    # n=1 -> Mon 03-30 16:45 CEST (+2) = 14:45Z; n=2 -> Tue 03-31 16:45 CEST = 14:45Z.
    assert PARIS.add_business_days(ts("2026-03-27T15:45:00Z"), 1) == ts("2026-03-30T14:45:00Z")
    assert PARIS.add_business_days(ts("2026-03-27T15:45:00Z"), 2) == ts("2026-03-31T14:45:00Z")
    # Fri 2026-10-23 10:00 CEST (08:00Z), before the fall-back Sunday 10-25:
    # n=1 -> Mon 10-26 10:00 CET (+1) = 09:00Z.
    assert PARIS.add_business_days(ts("2026-10-23T08:00:00Z"), 1) == ts("2026-10-26T09:00:00Z")
    # Wed 2026-05-13 17:00 CEST (15:00Z), the eve of Ascension (Thu 05-14, Easter 04-05 + 39):
    # n=1 -> Fri 05-15 17:00 CEST = 15:00Z; n=2 -> (weekend) Mon 05-18 17:00 CEST = 15:00Z.
    assert PARIS.add_business_days(ts("2026-05-13T15:00:00Z"), 1) == ts("2026-05-15T15:00:00Z")
    assert PARIS.add_business_days(ts("2026-05-13T15:00:00Z"), 2) == ts("2026-05-18T15:00:00Z")
    # Thu 2026-12-24 16:00 CET (15:00Z): Fri 12-25 Christmas, weekend -> Mon 12-28 16:00 CET = 15:00Z.
    assert PARIS.add_business_days(ts("2026-12-24T15:00:00Z"), 1) == ts("2026-12-28T15:00:00Z")
    # Thu 2026-12-31 15:00 CET (14:00Z): Fri 2027-01-01 New Year's Day, weekend, across the
    # year boundary of the table -> Mon 2027-01-04 15:00 CET = 14:00Z.
    assert PARIS.add_business_days(ts("2026-12-31T14:00:00Z"), 1) == ts("2027-01-04T14:00:00Z")
    # Australia/Sydney, AEDT (+11) ends Sun 2026-04-05 03:00 -> 02:00 AEST (+10). Mon-Fri 09:00-17:00,
    # no holidays: Fri 04-03 10:00 AEDT (04-02T23:00Z) + 1 -> Mon 04-06 10:00 AEST = 00:00Z.
    sydney = calendar_from_spec({"timezone": "Australia/Sydney", "hours": {"mon-fri": ["09:00-17:00"]}})
    assert sydney.add_business_days(ts("2026-04-02T23:00:00Z"), 1) == ts("2026-04-06T00:00:00Z")
    # These are plain (24 h) days: the table answers by itself, without the exact walk.
    start = PARIS.next_open(ts("2026-03-27T15:45:00Z"))
    assert PARIS._days is not None
    assert PARIS._business_days_by_table(PARIS._days, start, 1) == ts("2026-03-30T14:45:00Z")


def test_business_days_landing_on_dst_switch_days_use_fold_0() -> None:
    # Wall times on a switch day are left to the exact code, which converts with fold=0.
    # Sun 2026-03-22 02:30 CET (01:30Z) + 1 -> Sun 03-29 02:30, which does not exist: read with
    # the offset before the gap (+1) = 01:30Z (= 03:30 CEST), open.
    assert PARIS_SUNDAYS.add_business_days(ts("2026-03-22T01:30:00Z"), 1) == ts("2026-03-29T01:30:00Z")
    # Sun 2026-10-18 02:30 CEST (00:30Z) + 1 -> Sun 10-25 02:30, which happens twice: the first
    # (CEST, +2) = 00:30Z.
    assert PARIS_SUNDAYS.add_business_days(ts("2026-10-18T00:30:00Z"), 1) == ts("2026-10-25T00:30:00Z")
    # Start in the second 02:30 of 10-25 (CET, 01:30Z) + 1 -> Sun 11-01 02:30 CET = 01:30Z.
    assert PARIS_SUNDAYS.add_business_days(ts("2026-10-25T01:30:00Z"), 1) == ts("2026-11-01T01:30:00Z")
    # Start on the 23 h day itself: Sun 03-29 12:00 CEST (10:00Z) + 1 -> Sun 04-05 12:00 CEST = 10:00Z.
    assert PARIS_SUNDAYS.add_business_days(ts("2026-03-29T10:00:00Z"), 1) == ts("2026-04-05T10:00:00Z")
    start = ts("2026-03-22T01:30:00Z")
    PARIS_SUNDAYS.add_business_days(start, 1)
    assert PARIS_SUNDAYS._days is not None
    assert PARIS_SUNDAYS._business_days_by_table(PARIS_SUNDAYS._days, start, 1) is None


_TABLE_ZONES = {
    "Europe/Paris": "FR",
    "America/Los_Angeles": "US",
    "Australia/Sydney": "AU",
    "Asia/Tokyo": "JP",
    "America/Toronto": "CA",
}
_TABLE_HOURS = [
    {"mon-fri": ["09:00-17:30"], "fri": ["09:00-17:00"]},
    {"mon-fri": ["08:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"]},
    {"mon-sun": ["00:00-24:00"]},  # every wall time, switch days included
    {"mon-fri": ["07:00-19:00"], "sun": ["01:00-04:00"]},  # Sunday night hours across the switches
]
_TABLE_CALENDARS = [
    calendar_from_spec(
        {
            "timezone": zone,
            "hours": hours,
            "holidays": {"country": country, "dates": ["2026-06-15", "2027-12-24", "2029-03-30"]},
        }
    )
    for zone, country in _TABLE_ZONES.items()
    for hours in _TABLE_HOURS
]


def _offset_changes(zone: str, first_year: int, last_year: int) -> list[int]:
    """UTC instants where ``zone``'s offset changes, found with zoneinfo (daily scan, then bisection)."""
    tz = ZoneInfo(zone)

    def offset(t: int) -> timedelta | None:
        return datetime.fromtimestamp(t, tz).utcoffset()

    out = []
    t = ts(f"{first_year}-01-01T00:00:00Z")
    end = ts(f"{last_year + 1}-01-01T00:00:00Z")
    while t < end:
        if offset(t) != offset(t + 86400):
            lo, hi = t, t + 86400  # offset(lo) != offset(hi): narrow to the first second of the new offset
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == offset(lo) else (lo, mid)
            out.append(hi)
        t += 86400
    return out


_SWITCHES = sorted({s for zone in _TABLE_ZONES for s in _offset_changes(zone, 2020, 2030)})
# Random instants 2020-2030, and instants within three days of an offset change in any of the
# zones (switch days, the Friday before, wall times landing on switch days).
business_day_instants = st.one_of(
    st.integers(ts("2020-01-01T00:00:00Z"), ts("2031-01-01T00:00:00Z")),
    st.builds(lambda s, d: s + d, st.sampled_from(_SWITCHES), st.integers(-3 * 86400, 3 * 86400)),
)


def test_offset_changes_helper_finds_the_switches() -> None:
    # EU summer time 2026: 03-29 01:00Z and 10-25 01:00Z.
    assert ts("2026-03-29T01:00:00Z") in _SWITCHES and ts("2026-10-25T01:00:00Z") in _SWITCHES
    assert len(_offset_changes("Asia/Tokyo", 2020, 2030)) == 0  # no DST in Japan


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(range(len(_TABLE_CALENDARS))), business_day_instants, st.integers(0, 15))
def test_property_business_days_table_matches_exact(cal_index: int, t: int, n: int) -> None:
    cal = _TABLE_CALENDARS[cal_index]
    assert cal.add_business_days(t, n) == cal._add_business_days_exact(t, n)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(ts("1990-01-01T00:00:00Z"), ts("2090-01-01T00:00:00Z")), st.integers(0, 15)),
                min_size=1, max_size=8))
def test_property_business_days_table_any_order_of_years(calls: list[tuple[int, int]]) -> None:
    # A fresh calendar per example: the day table is built, widened and restarted in any order.
    cal = BusinessCalendar("America/Toronto", {d: [(540, 1050)] for d in range(5)} | {6: [(0, 1440)]}, country="CA")
    for t, n in calls:
        assert cal.add_business_days(t, n) == cal._add_business_days_exact(t, n)


def test_negative_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        EMEA.add(0, -1)
    with pytest.raises(ValueError, match=">= 0"):
        EMEA.add_business_days(0, -1)


# --------------------------------------------------------------------------- 24x7


def test_always_open() -> None:
    # FORMAT.md: on 24x7 every minute counts and N business days = N x 24 h.
    t = ts("2026-03-07T12:34:56Z")  # a Saturday: still open
    assert ALWAYS.is_open(t) and ALWAYS.next_open(t) == t
    assert ALWAYS.add(t, 15 * M) == ts("2026-03-07T12:49:56Z")  # ADOBE-RT P1 15 min 24x7
    assert ALWAYS.add(t, 0) == t
    assert ALWAYS.between(t, t + 5 * H) == 5 * H
    assert ALWAYS.between(t + 5, t) == 0
    assert ALWAYS.add_business_days(t, 2) == ts("2026-03-09T12:34:56Z")  # + 2 x 86400
    assert ALWAYS.due(t, Duration.hours(72)) == ts("2026-03-10T12:34:56Z")  # P1-RES P1 72 h
    assert ALWAYS.describe() == "24x7"
    assert calendar_from_spec("24x7") is ALWAYS is BusinessCalendar.always_open()
    assert ALWAYS.is_always_open and not EMEA.is_always_open


# --------------------------------------------------------------------------- specs


def test_describe() -> None:
    assert EMEA.describe() == "Europe/London Mon-Fri 09:00-17:00, holidays GB-ENG"
    assert PROGR1.describe() == "Europe/Paris Mon-Thu 09:00-17:30, Fri 09:00-17:00, holidays FR"
    cal = calendar_from_spec(
        {
            "timezone": "Asia/Tokyo",
            "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-24:00"]},
            "holidays": {"dates": ["2026-12-31", date(2026, 12, 30)]},
        }
    )
    assert cal.describe() == "Asia/Tokyo Mon-Fri 09:00-12:00 & 13:00-18:00, Sat 10:00-24:00, holidays 2 dates"


def test_later_hours_keys_override_earlier_ones() -> None:
    # FORMAT.md: "later keys override earlier ones" (PROGR1 closes Friday at 17:00).
    week = parse_hours({"mon-fri": ["09:00-17:30"], "fri": ["09:00-17:00"], "wed": []})
    assert week == (((540, 1050),), ((540, 1050),), (), ((540, 1050),), ((540, 1020),), (), ())
    # Touching intervals of one day are joined.
    assert parse_hours({"mon": ["09:00-12:00", "12:00-13:00"]})[0] == ((540, 780),)
    assert parse_interval("00:00-24:00") == (0, 1440)


def test_explicit_holiday_dates() -> None:
    # FORMAT.md holidays.dates: extra closed local dates, as date objects or "YYYY-MM-DD".
    cal = calendar_from_spec(
        {
            "timezone": "Europe/London",
            "hours": {"mon-fri": ["09:00-17:00"]},
            "holidays": {"country": "GB", "subdivision": "ENG", "dates": [date(2026, 12, 24), "2026-03-03"]},
        }
    )
    # Mon 2026-03-02 16:50 + 30 min: 10 min Monday, Tue 03 closed, Wed 09:00 + 20 min.
    assert cal.add(ts("2026-03-02T16:50:00Z"), 30 * M) == ts("2026-03-04T09:20:00Z")
    assert not cal.is_business_day(date(2026, 12, 24)) and EMEA.is_business_day(date(2026, 12, 24))


def test_timezone_from_ticket_attribute() -> None:
    # FORMAT.md: timezone {attr: timezone, default: ...}; the engine passes the ticket's value.
    spec = {"timezone": {"attr": "timezone", "default": "Europe/Paris"}, "hours": {"mon-fri": ["09:00-17:30"]}}
    assert timezone_attribute(spec) == "timezone"
    assert timezone_attribute({"timezone": "Europe/Paris"}) is None
    # Default zone: Mon 2026-03-02 09:00 CET = 08:00Z.
    assert calendar_from_spec(spec).next_open(ts("2026-03-01T12:00:00Z")) == ts("2026-03-02T08:00:00Z")
    # Ticket zone Asia/Tokyo (UTC+9): Mon 2026-03-02 09:00 JST = 00:00Z.
    tokyo = calendar_from_spec(spec, timezone="Asia/Tokyo")
    assert tokyo.next_open(ts("2026-03-01T12:00:00Z")) == ts("2026-03-02T00:00:00Z")
    assert tokyo.timezone == "Asia/Tokyo"
    # The argument also overrides a fixed zone; equal specs share one (cached) instance.
    london = {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}}
    paris_attr = spec | {"hours": {"mon-fri": ["09:00-17:00"]}}
    assert calendar_from_spec(london, timezone="Asia/Tokyo") is calendar_from_spec(paris_attr, timezone="Asia/Tokyo")


def test_equality_and_hash() -> None:
    direct = BusinessCalendar("Europe/London", {d: [(540, 1020)] for d in range(5)}, country="GB", subdivision="ENG")
    assert direct == EMEA and hash(direct) == hash(EMEA)
    assert direct != PROGR1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["9-17"]}},
            "bad opening interval '9-17' for mon-fri: expected 'HH:MM-HH:MM' (24-hour clock, e.g. '09:00-17:00')",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["17:00-09:00"]}},
            "bad opening interval '17:00-09:00' for mon-fri: closing time 09:00 must be after opening time 17:00",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon": ["09:00-09:00"]}},
            "bad opening interval '09:00-09:00' for mon: closing time 09:00 must be after opening time 09:00",
        ),
        (
            {"timezone": "Europe/London", "hours": {"sat": ["09:00-25:00"]}},
            "bad opening interval '09:00-25:00' for sat: '25:00' is not a time of day (expected 00:00 to 24:00)",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon": ["09:60-17:00"]}},
            "'09:60' is not a time of day",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon": [900]}},
            "bad opening interval 900 for mon: expected a string 'HH:MM-HH:MM'",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fry": ["09:00-17:00"]}},
            "unknown weekday 'mon-fry' in hours: expected one of mon, tue, wed, thu, fri, sat, sun "
            "or a range like mon-fri",
        ),
        (
            {"timezone": "Europe/London", "hours": {"monday": ["09:00-17:00"]}},
            "unknown weekday 'monday' in hours",
        ),
        (
            {"timezone": "Europe/London", "hours": {"fri-mon": ["09:00-17:00"]}},
            "weekday range 'fri-mon' in hours runs backwards",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon": "09:00-17:00"}},
            "bad hours for mon: expected a list of 'HH:MM-HH:MM' strings, got '09:00-17:00'",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon": ["09:00-12:00", "11:00-13:00"]}},
            "overlapping opening intervals for mon: 09:00-12:00 and 11:00-13:00",
        ),
        (
            {"timezone": "Europe/Londres", "hours": {"mon-fri": ["09:00-17:00"]}},
            "unknown time zone 'Europe/Londres': expected an IANA time zone name like 'Europe/London'",
        ),
        (
            {"timezone": "../etc/passwd", "hours": {"mon-fri": ["09:00-17:00"]}},
            "unknown time zone '../etc/passwd'",
        ),
        ({"hours": {"mon-fri": ["09:00-17:00"]}}, "calendar has no 'timezone'"),
        (
            {"timezone": {"attr": "timezone"}, "hours": {"mon-fri": ["09:00-17:00"]}},
            "calendar timezone comes from ticket attribute 'timezone' and has no 'default'",
        ),
        ({"timezone": "Europe/London"}, "calendar has no 'hours'"),
        ({"timezone": "Europe/London", "hours": {}}, "calendar has no opening hours"),
        ({"timezone": "Europe/London", "hours": {"mon-sun": []}}, "calendar has no opening hours"),
        (
            {"timezone": "Europe/Paris", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": "FX"}},
            "unknown holiday country 'FX': expected a country code supported by the holidays package "
            "(ISO 3166-1 alpha-2, e.g. 'FR', 'GB')",
        ),
        (
            {
                "timezone": "Europe/London",
                "hours": {"mon-fri": ["09:00-17:00"]},
                "holidays": {"country": "GB", "subdivision": "XX"},
            },
            "unknown holiday subdivision 'XX' for country 'GB': expected one of ENG, NIR, SCT, WLS",
        ),
        (
            {
                "timezone": "Europe/London",
                "hours": {"mon-fri": ["09:00-17:00"]},
                "holidays": {"country": "GB", "subdivision": 7},
            },
            "bad holiday subdivision 7 for country 'GB': expected one of ENG, NIR, SCT, WLS",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"subdivision": "ENG"}},
            "holiday subdivision 'ENG' given without a country",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"dates": ["2026-02-30"]}},
            "bad holiday date '2026-02-30': expected a date 'YYYY-MM-DD'",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"country": ["FR"]}},
            "unknown holiday country ['FR']",
        ),
        (
            {"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]}, "holidays": {"countries": "FR"}},
            "unknown key 'countries' in holidays: expected country, subdivision or dates",
        ),
        ("24/7", "bad calendar '24/7': expected '24x7' or a mapping"),
    ],
)
def test_bad_specs_raise_precise_errors(spec: object, message: str) -> None:
    # The validator turns these into diagnostics: each names the offending value and what was expected.
    with pytest.raises(ValueError) as err:
        calendar_from_spec(spec)
    assert message in str(err.value)


def test_bad_override_zone_and_constructor_errors() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        calendar_from_spec({"timezone": "Europe/Paris", "hours": {"mon": ["09:00-17:00"]}}, timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="^calendar has no opening hours$"):
        BusinessCalendar("UTC", {})
    with pytest.raises(ValueError, match=r"bad opening interval \(600, 540\) for tue"):
        BusinessCalendar("UTC", {1: [(600, 540)]})
    with pytest.raises(ValueError, match="bad weekday 7"):
        BusinessCalendar("UTC", {7: [(540, 600)]})


# --------------------------------------------------------------------------- properties

_KOLKATA_DATES = frozenset({date(2026, 1, 26), date(2026, 8, 15), date(2027, 1, 26)})
# (calendar, zone, weekly local hours, holiday test) for a small set of shapes: country
# holidays, a short Friday, split days, a half-hour zone, DST inside hours, always open.
_SHAPES = [
    (EMEA, "Europe/London", {d: [(540, 1020)] for d in range(5)}, holidays.country_holidays("GB", subdiv="ENG")),
    (
        PROGR1,
        "Europe/Paris",
        {0: [(540, 1050)], 1: [(540, 1050)], 2: [(540, 1050)], 3: [(540, 1050)], 4: [(540, 1020)]},
        holidays.country_holidays("FR"),
    ),
    (AMERICAS, "America/Los_Angeles", {d: [(360, 1050)] for d in range(5)}, frozenset()),
    (
        BusinessCalendar(
            "Asia/Kolkata",
            {**{d: [(480, 720), (780, 1080)] for d in range(5)}, 5: [(600, 840)]},
            holidays=_KOLKATA_DATES,
        ),
        "Asia/Kolkata",
        {**{d: [(480, 720), (780, 1080)] for d in range(5)}, 5: [(600, 840)]},
        _KOLKATA_DATES,
    ),
    (
        BusinessCalendar("Australia/Sydney", {2: [(540, 1020)], 5: [(0, 1440)], 6: [(0, 1440)]}),
        "Australia/Sydney",
        {2: [(540, 1020)], 5: [(0, 1440)], 6: [(0, 1440)]},
        frozenset(),
    ),
    (ALWAYS, "UTC", {d: [(0, 1440)] for d in range(7)}, frozenset()),
]

_T0 = ts("2025-01-01T00:00:00Z")
_T1 = ts("2029-01-01T00:00:00Z")
shapes = st.sampled_from(range(len(_SHAPES)))
instants = st.integers(_T0, _T1)
spans = st.integers(0, 300 * H)


@settings(max_examples=300, deadline=None)
@given(shapes, instants, spans)
def test_property_between_of_add_is_the_target(shape: int, t: int, d: int) -> None:
    # docs/INTERFACE.md due convention: open time in [t, add(t, d)) is d, and the due instant is the
    # earliest open instant (or interval start) with that much open time before it.
    cal = _SHAPES[shape][0]
    x = cal.add(t, d)
    assert x >= t
    assert cal.between(t, x) == d
    assert cal.is_open(x)
    if d > 0:
        before = cal.between(t, x - 1)
        # x - 1 has one second less, or x starts an opening after a closed stretch.
        assert before == d - 1 or (before == d and not cal.is_open(x - 1) and cal.next_open(x - 1) == x)
    else:
        assert x == cal.next_open(t)


@settings(max_examples=200, deadline=None)
@given(shapes, instants, spans, spans)
def test_property_add_is_monotone_and_additive(shape: int, t: int, d1: int, d2: int) -> None:
    cal = _SHAPES[shape][0]
    lo, hi = sorted((d1, d2))
    assert cal.add(t, lo) <= cal.add(t, hi)
    # Splitting a target in two gives the same due instant.
    assert cal.add(cal.add(t, d1), d2) == cal.add(t, d1 + d2)
    if cal.is_open(t):
        assert cal.add(t, lo) - t <= cal.add(t, hi) - t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes, st.integers(_T0 // 900, _T1 // 900), st.integers(0, 4 * 96))
def test_property_between_matches_a_slot_by_slot_count(shape: int, q: int, n: int) -> None:
    # Independent oracle: walk 15-minute UTC slots, convert each to local time (UTC -> local,
    # the opposite direction of the module) and count the open ones.
    cal, zone, week, hol = _SHAPES[shape]
    tz = ZoneInfo(zone)
    a = q * 900
    b = a + n * 900
    count = 0
    for s in range(a, b, 900):
        local = datetime.fromtimestamp(s, tz)
        minute = local.hour * 60 + local.minute
        if local.date() in hol:
            continue
        if any(o <= minute < c for o, c in week.get(local.weekday(), [])):
            count += 1
    assert cal.between(a, b) == count * 900


@settings(max_examples=150, deadline=None)
@given(shapes, instants, st.integers(0, 12))
def test_property_business_days(shape: int, t: int, n: int) -> None:
    # docs/INTERFACE.md N business days: the result is open, after the moved start, and (outside
    # 24x7) exactly n business days later in local dates, counting the landing day unless
    # we were pushed past it by next_open.
    cal, zone = _SHAPES[shape][0], _SHAPES[shape][1]
    start = cal.next_open(t)
    x = cal.add_business_days(t, n)
    assert cal.is_open(x) and x >= start
    if cal.is_always_open:
        assert x == t + n * 86400
        return
    tz = ZoneInfo(zone)
    d0 = datetime.fromtimestamp(start, tz).date()
    d1 = datetime.fromtimestamp(x, tz).date()
    days = [d0 + timedelta(days=i) for i in range(1, (d1 - d0).days + 1)]
    assert sum(cal.is_business_day(d) for d in days) >= n
    if n:
        assert x >= cal.add_business_days(t, n - 1)


def test_holiday_country_from_a_ticket_attribute():
    """MS-HOURS "à l'exception des jours fériés": the customer's country closes the calendar."""
    from engine.calendars.business import holiday_country_attribute

    spec = {"timezone": {"attr": "timezone", "default": "Europe/Paris"}, "hours": {"mon-fri": ["09:00-17:30"]},
            "holidays": {"country": {"attr": "country", "default": "FR"}}}
    assert holiday_country_attribute(spec) == "country"
    india = calendar_from_spec(spec, "Asia/Kolkata", "IN")
    default = calendar_from_spec(spec, "Asia/Kolkata")
    # Mon 2026-01-26 10:00 IST (04:30Z): Republic Day in India, an ordinary Monday in France
    monday = int(datetime(2026, 1, 26, 4, 30, tzinfo=UTC).timestamp())
    assert not india.is_open(monday) and default.is_open(monday)
    assert "holidays IN" in india.describe() and "holidays FR" in default.describe()
    with pytest.raises(ValueError, match="unknown holiday country 'XX'"):
        calendar_from_spec(spec, "Asia/Kolkata", "XX")


@pytest.mark.parametrize(("zone", "country"), [
    (None, None), ("Asia/Tokyo", None), (None, "IN"), ("Asia/Kolkata", "IN"), (None, "GB"), ("Europe/Paris", "GB"),
])
def test_localise_a_built_calendar_is_calendar_from_spec_with_the_override(zone, country) -> None:
    # The compiled contract builds each calendar once and re-localises the built calendar per
    # ticket attribute: the same shared instance as reading the spec again with the override.
    spec = {"timezone": {"attr": "timezone", "default": "Europe/London"}, "hours": {"mon-fri": ["09:00-17:00"]},
            "holidays": {"country": {"attr": "country", "default": "GB"}, "subdivision": "ENG",
                         "dates": ["2026-12-24"]}}
    built = calendar_from_spec(spec)
    assert localise(built, zone, country) is calendar_from_spec(spec, zone, country)


def test_localise_keeps_the_subdivision_of_the_own_country_only() -> None:
    built = calendar_from_spec({"timezone": "Europe/London", "hours": {"mon-fri": ["09:00-17:00"]},
                                "holidays": {"country": "GB", "subdivision": "SCT"}})
    assert (localise(built, None, "GB").country, localise(built, None, "GB").subdivision) == ("GB", "SCT")
    assert (localise(built, None, "FR").country, localise(built, None, "FR").subdivision) == ("FR", None)
    assert localise(BusinessCalendar.always_open(), "Asia/Tokyo", "FR") is BusinessCalendar.always_open()


@pytest.mark.parametrize(("zone", "country", "message"), [
    ("Mars/Olympus", None, "unknown time zone 'Mars/Olympus': expected an IANA time zone name like 'Europe/London'"),
    (42, None, "bad time zone 42: expected an IANA time zone name like 'Europe/London'"),
    (None, "XX", "unknown holiday country 'XX': expected a country code supported by the holidays package "
                 "(ISO 3166-1 alpha-2, e.g. 'FR', 'GB')"),
])
def test_localise_rejects_what_calendar_from_spec_rejects(zone, country, message) -> None:
    spec = {"timezone": {"attr": "timezone", "default": "Europe/Paris"}, "hours": {"mon-fri": ["09:00-17:30"]},
            "holidays": {"country": {"attr": "country", "default": "FR"}}}
    with pytest.raises(ValueError) as from_spec:
        calendar_from_spec(spec, zone, country)
    with pytest.raises(ValueError) as localised:
        localise(calendar_from_spec(spec), zone, country)
    assert str(localised.value) == str(from_spec.value) == message


def test_a_pickled_calendar_comes_back_as_the_shared_instance() -> None:
    """engine.language.cache stores compiled contracts with pickle: a calendar is stored as its spec
    and read back through the same sharing, the 24x7 one as the one instance."""
    import pickle

    spec = {"timezone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
            "holidays": {"country": "FR", "dates": ["2026-12-24"]}}
    cal = calendar_from_spec(spec)
    back = pickle.loads(pickle.dumps(cal))
    assert back is cal
    assert pickle.loads(pickle.dumps(BusinessCalendar.always_open())) is BusinessCalendar.always_open()
    local = localise(cal, "America/New_York")
    assert pickle.loads(pickle.dumps(local)) is local and local != cal
    start = int(datetime(2026, 12, 23, 17, 0, tzinfo=UTC).timestamp())
    four_hours = parse_duration("4 hours")
    # 18:00 in Paris: closed; the 24th is a date of the spec's, the 25th a French holiday, then a
    # weekend: 4 hours from Monday the 28th at 09:00 (08:00 UTC)
    due = int(datetime(2026, 12, 28, 12, 0, tzinfo=UTC).timestamp())
    assert back.due(start, four_hours) == cal.due(start, four_hours) == due

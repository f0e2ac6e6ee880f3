"""BusinessCalendar.open_intervals: the opening stretches of [a, b) that `between` counts (used by
`obligo explain`). Expected intervals written out by hand; Amsterdam is UTC+1 until 2027-03-28
01:00Z, UTC+2 after."""

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from engine.calendars.business import BusinessCalendar, calendar_from_spec

OFFICE = calendar_from_spec({"timezone": "Europe/Amsterdam", "hours": {"mon-fri": ["08:00-18:00"]}})


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_three_days_clipped_at_both_ends():
    # Tue 2027-03-02 10:00 local -> Thu 2027-03-04 15:00 local: Tue 10-18, Wed 08-18, Thu 08-15.
    got = OFFICE.open_intervals(ts("2027-03-02T10:00:00+01:00"), ts("2027-03-04T15:00:00+01:00"))
    assert got == [
        (ts("2027-03-02T09:00:00Z"), ts("2027-03-02T17:00:00Z")),
        (ts("2027-03-03T07:00:00Z"), ts("2027-03-03T17:00:00Z")),
        (ts("2027-03-04T07:00:00Z"), ts("2027-03-04T14:00:00Z")),
    ]


def test_weekend_and_closed_stretches_give_nothing():
    # Fri 18:00 -> Mon 08:00 local is closed throughout.
    assert OFFICE.open_intervals(ts("2027-03-05T18:00:00+01:00"), ts("2027-03-08T08:00:00+01:00")) == []
    assert OFFICE.open_intervals(ts("2027-03-03T12:00:00Z"), ts("2027-03-03T12:00:00Z")) == []
    assert OFFICE.open_intervals(ts("2027-03-03T12:00:00Z"), ts("2027-03-03T11:00:00Z")) == []


def test_across_the_dst_switch_and_a_year_end():
    # Fri 2027-03-26 17:00 CET -> Mon 2027-03-29 09:00 CEST: Fri 16:00Z-17:00Z, Mon 06:00Z-07:00Z.
    got = OFFICE.open_intervals(ts("2027-03-26T17:00:00+01:00"), ts("2027-03-29T09:00:00+02:00"))
    assert got == [(ts("2027-03-26T16:00:00Z"), ts("2027-03-26T17:00:00Z")),
                   (ts("2027-03-29T06:00:00Z"), ts("2027-03-29T07:00:00Z"))]
    # Thu 2026-12-31 17:00 -> Fri 2027-01-01 09:00 (no holidays in this calendar): 1 h + 1 h.
    got = OFFICE.open_intervals(ts("2026-12-31T17:00:00+01:00"), ts("2027-01-01T09:00:00+01:00"))
    assert got == [(ts("2026-12-31T16:00:00Z"), ts("2026-12-31T17:00:00Z")),
                   (ts("2027-01-01T07:00:00Z"), ts("2027-01-01T08:00:00Z"))]


def test_always_open():
    always = BusinessCalendar.always_open()
    assert always.open_intervals(100, 250) == [(100, 250)]


@given(st.integers(ts("2026-12-20T00:00:00Z"), ts("2027-04-10T00:00:00Z")), st.integers(0, 20 * 86400))
def test_sums_to_between(a: int, length: int):
    got = OFFICE.open_intervals(a, a + length)
    assert sum(e - s for s, e in got) == OFFICE.between(a, a + length)
    assert all(OFFICE.is_open(s) and s < e for s, e in got)
    assert all(got[i][1] < got[i + 1][0] for i in range(len(got) - 1))

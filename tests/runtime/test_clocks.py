"""engine.clocks: SLA clock arithmetic over a business calendar, values computed by hand.

Calendar: Europe/Paris Mon-Fri 09:00-17:00 (CET = UTC+1 in early March 2026; 2026-03-02 is a
Monday), so 09:00-17:00 Paris = 08:00Z-16:00Z and a business day holds 8 open hours.
docs/INTERFACE.md "Time": due = the instant from which time beyond the target counts; paused time never
counts; a reschedule keeps the elapsed time.
"""

from __future__ import annotations

import pytest
from runtime_fixtures.helpers import ts

from engine.calendars.business import BusinessCalendar, calendar_from_spec
from engine.model.durations import parse_duration
from engine.runtime.clocks import PAUSED, RUNNING, STOPPED, Clock, budget_of, human_seconds

H = 3600
PARIS = calendar_from_spec({"timezone": "Europe/Paris", "hours": {"mon-fri": ["09:00-17:00"]}})
ALWAYS = BusinessCalendar.always_open()


def paris(local: str) -> int:
    """'2026-03-02 10:00' Paris local (CET, +01:00) -> epoch seconds."""
    return ts(local.replace(" ", "T") + ":00+01:00")


def clock(duration: str = "4 hours", start: str = "2026-03-02 10:00", calendar: BusinessCalendar = PARIS) -> Clock:
    return Clock.start(name="response", clause="TST-RT", rule="acme.response.start", target="response",
                       duration=parse_duration(duration), calendar=calendar, label="paris", at=paris(start))


def test_new_clock_due_and_budget():
    c = clock()
    assert c.budget == 4 * H
    assert c.due == paris("2026-03-02 14:00")  # Mon 10:00 + 4 open hours
    assert c.status == RUNNING and c.used == 0 and not c.breached


def test_elapsed_counts_open_time_only():
    c = clock()
    assert c.elapsed(paris("2026-03-02 12:30")) == 2 * H + 1800
    assert c.elapsed(paris("2026-03-02 18:00")) == 7 * H  # 10:00-17:00, the evening is closed
    assert c.elapsed(paris("2026-03-03 09:30")) == 7 * H + 1800


def test_pause_then_resume_over_a_night_moves_due_by_the_paused_business_time():
    c = clock()
    c.pause(paris("2026-03-02 11:00"))
    assert (c.status, c.used, c.run_since, c.gen) == (PAUSED, H, None, 1)
    assert c.elapsed(paris("2026-03-03 12:00")) == H  # nothing counts while paused
    # paused Mon 11:00 -> Tue 10:00: Mon 11:00-17:00 (6 h) + Tue 09:00-10:00 (1 h) = 7 h
    assert c.paused_at == paris("2026-03-02 11:00")
    credited = c.resume(paris("2026-03-03 10:00"))
    assert credited == 7 * H and c.paused_total == 7 * H
    # old due Mon 14:00 + 7 open hours = Mon 17:00 (3 h) + Tue 09:00-13:00 (4 h) = Tue 13:00;
    # also resume Tue 10:00 + remaining 3 h = Tue 13:00
    assert c.due == paris("2026-03-03 13:00")
    assert (c.status, c.gen) == (RUNNING, 2)
    assert c.stop(paris("2026-03-03 13:00")) is True  # exactly at due: met
    assert c.status == STOPPED and c.used == 4 * H


def test_stop_after_due_is_not_met_and_breached_is_never_met():
    c = clock()
    assert c.stop(paris("2026-03-02 14:00") + 1) is False
    c = clock()
    c.breached = True
    assert c.stop(paris("2026-03-02 11:00")) is False


def test_stop_while_paused_is_met_when_budget_left():
    c = clock()
    c.pause(paris("2026-03-02 13:00"))  # 3 h used of 4
    assert c.stop(paris("2026-03-05 13:00")) is True


def test_retarget_keeps_elapsed():
    # resolution 3 business days from Mon 10:00: budget Mon 7 + Tue 8 + Wed 8 + Thu 1 = 24 h
    c = clock("3 business days")
    assert c.budget == 24 * H and c.due == paris("2026-03-05 10:00")
    # at Mon 12:00 (2 h used) the target becomes 8 hours: 6 h left -> Mon 17:00 (5 h) + Tue 10:00
    exceeded = c.retarget(paris("2026-03-02 12:00"), parse_duration("8 hours"), PARIS, "paris", "TST-RES", "res-s1")
    assert exceeded is False
    assert (c.used, c.budget, c.due) == (2 * H, 8 * H, paris("2026-03-03 10:00"))
    assert (c.clause, c.target, str(c.duration)) == ("TST-RES", "res-s1", "8 hours")


def test_retarget_to_an_already_exceeded_target():
    c = clock()  # 4 h from Mon 10:00
    # at Mon 15:00 (5 h used) the target becomes 1 hour on 24x7: exceeded, so it is due (and the
    # caller breaches it) at the change, Mon 15:00; the new target ran out counted from the start,
    # Mon 10:00 + 1 h = Mon 11:00, which ran_out_at says (for the reason)
    exceeded = c.retarget(paris("2026-03-02 15:00"), parse_duration("1 hour"), ALWAYS, "24x7", "TST-RT", "r")
    assert exceeded is True
    assert c.used == 5 * H and c.due == paris("2026-03-02 15:00")
    assert c.ran_out_at(c.budget) == paris("2026-03-02 11:00")


def test_a_pause_spanning_a_retarget_counts_on_each_calendar_for_its_part():
    c = clock()  # 4 h from Mon 10:00 on Paris hours (09:00-17:00)
    c.pause(paris("2026-03-02 13:00"))  # 3 h used
    # paused Mon 13:00 -> Tue 10:00: Paris hours count Mon 13:00-17:00 + Tue 09:00-10:00 = 5 h; at
    # Tue 10:00 the target moves to 24x7, then the pause lasts until Tue 12:00 (2 h on 24x7)
    c.retarget(paris("2026-03-03 10:00"), parse_duration("8 hours"), ALWAYS, "24x7", "TST-RT", "r")
    assert c.paused_seconds(paris("2026-03-03 12:00")) == 7 * H
    c.resume(paris("2026-03-03 12:00"))
    assert c.paused_total == 7 * H and c.used == 3 * H


def test_next_deadline_walks_warnings_then_breach():
    c = clock()
    # 50 % of 4 h = 2 h -> Mon 12:00; 80 % = 11520 s = 3 h 12 min -> Mon 13:12; breach at 14:00
    assert c.next_deadline((0.5, 0.8)) == (paris("2026-03-02 12:00"), "warn", 0.5)
    c.warned = 1
    assert c.next_deadline((0.5, 0.8)) == (paris("2026-03-02 13:12"), "warn", 0.8)
    c.warned = 2
    assert c.next_deadline((0.5, 0.8)) == (paris("2026-03-02 14:00"), "breach", 1.0)
    assert clock().next_deadline(()) == (paris("2026-03-02 14:00"), "breach", 1.0)


def test_next_deadline_skips_a_ratio_already_passed_and_is_none_when_not_running():
    c = clock()
    c.pause(paris("2026-03-02 12:30"))  # 2 h 30 used: past 50 %
    assert c.next_deadline((0.5, 0.8)) is None
    c.resume(paris("2026-03-02 13:00"))
    # 80 %: 11520 - 9000 = 2520 s = 42 min after 13:00 -> 13:42
    assert c.next_deadline((0.5, 0.8)) == (paris("2026-03-02 13:42"), "warn", 0.8)
    assert c.warned == 1
    c.breached = True
    assert c.next_deadline((0.5, 0.8)) is None


@pytest.mark.parametrize(("duration", "start", "expected"), [
    # Saturday start: business days count from the next opening, Mon 09:00 -> Thu 09:00 = 3 x 8 h
    ("3 business days", "2026-03-07 10:00", 24 * H),
    # Fri 16:00 + 1 business day = Mon 16:00: Fri 16:00-17:00 (1 h) + Mon 09:00-16:00 (7 h)
    ("1 business day", "2026-03-06 16:00", 8 * H),
    ("90 minutes", "2026-03-07 10:00", 90 * 60),
])
def test_budget_of(duration, start, expected):
    assert budget_of(PARIS, parse_duration(duration), paris(start)) == expected


def test_business_days_on_24x7_are_24_hours_each():
    assert budget_of(ALWAYS, parse_duration("2 business days"), paris("2026-03-07 10:00")) == 48 * H
    c = clock("1 business day", "2026-03-07 10:00", ALWAYS)
    assert c.due == paris("2026-03-08 10:00")


def test_to_dict_hides_due_unless_running():
    c = clock()
    assert c.to_dict()["due"] == "2026-03-02T13:00:00Z"
    c.pause(paris("2026-03-02 11:00"))
    d = c.to_dict()
    assert d["due"] is None and d["status"] == "paused" and d["used_seconds"] == H and d["budget_seconds"] == 4 * H
    assert d["started"] == "2026-03-02T09:00:00Z"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 min"), (45 * 60, "45 min"), (2 * H, "2 h"),
                                               (3 * H + 20 * 60, "3 h 20 min"), (59 * 60 + 40, "1 h")])
def test_human_seconds(seconds, text):
    assert human_seconds(seconds) == text


def test_the_written_out_init_takes_every_field_by_name_with_its_default():
    """Clock's __init__ is written out (compiled as C); by behaviour: every field by name (as a
    snapshot restores a clock), the defaults of @dataclass's fields, and nothing positional."""
    import dataclasses

    fields = dataclasses.fields(Clock)
    calendar = BusinessCalendar.always_open()
    values = dict(name="response", clause="C-1", rule="r.start", target="t-p1", duration=parse_duration("1 hour"),
                  calendar=calendar, label="24x7", started=10, budget=3600, due=3610, used=5, run_since=12,
                  status=PAUSED, breached=True, warned=1, gen=3, paused_total=7, paused_at=20,
                  segments=[])
    assert list(values) == [f.name for f in fields]  # every field, in order
    clock = Clock(**values)
    assert [getattr(clock, f.name) for f in fields] == [values[f.name] for f in fields]
    required = {f.name: values[f.name] for f in fields if f.default is dataclasses.MISSING}
    bare = Clock(**required)
    assert [getattr(bare, f.name) for f in fields if f.name not in required] == \
        [f.default for f in fields if f.name not in required]
    with pytest.raises(TypeError):
        Clock(*required.values())  # type: ignore[misc]

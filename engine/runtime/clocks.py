"""SLA clock state and its arithmetic: pure functions of (clock, instant) over a business calendar.

A clock keeps its target as a `budget` of open seconds in its calendar, the open seconds `used`
before the current running segment, and `run_since` (None while paused). Then
`due = calendar.add(run_since, budget - used)`: a pause moves `due` later by exactly the business
time that passed while paused, and a reschedule only swaps budget and calendar, keeping `used`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from engine.calendars.business import BusinessCalendar
from engine.model.durations import Duration
from engine.model.events import format_instant

RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"


class Segment(NamedTuple):
    """A closed running stretch of a clock: counted on `calendar` from `start` to `end`, with
    `used` open seconds already counted before it."""

    start: int
    end: int
    used: int
    calendar: BusinessCalendar


@dataclass(slots=True, kw_only=True, eq=False)
class Clock:
    """One SLA clock of one ticket (small: a handful of ints and shared references).

    `Clock.start(...)` starts one; the constructor takes every field by name (a snapshot restores
    them as they were)."""

    name: str
    clause: str
    rule: str  # the rule that started it
    target: str  # the target's id
    duration: Duration
    calendar: BusinessCalendar
    label: str  # the calendar as reasons show it: "emea (Europe/Paris, Mon-Fri 09:00-18:00)"
    started: int
    budget: int  # open seconds the target grants
    due: int | None
    used: int = 0  # open seconds counted before the current running segment
    run_since: int | None = None  # start of the current running segment; None while paused or stopped
    status: str = RUNNING
    breached: bool = False
    warned: int = 0  # how many warning ratios have fired
    gen: int = 0  # bumps whenever the pending deadline changes (lazy heap invalidation)
    paused_total: int = 0  # open seconds spent paused, for reasons
    paused_at: int | None = None
    # closed running segments, kept only once the clock was paused or retargeted: they let a
    # reschedule say exactly when a new target ran out
    segments: list[Segment] | None = None

    # Written out, as Action's (engine.model.actions): the compiled build runs this one as C, while
    # the one @dataclass generates stays interpreted (callgrind: 12k instructions a clock started).
    # tests/runtime/test_clocks.py holds it to the fields.
    def __init__(self, *, name: str, clause: str, rule: str, target: str, duration: Duration,
                 calendar: BusinessCalendar, label: str, started: int, budget: int, due: int | None, used: int = 0,
                 run_since: int | None = None, status: str = RUNNING, breached: bool = False, warned: int = 0,
                 gen: int = 0, paused_total: int = 0, paused_at: int | None = None,
                 segments: list[Segment] | None = None) -> None:
        self.name = name
        self.clause = clause
        self.rule = rule
        self.target = target
        self.duration = duration
        self.calendar = calendar
        self.label = label
        self.started = started
        self.budget = budget
        self.due = due
        self.used = used
        self.run_since = run_since
        self.status = status
        self.breached = breached
        self.warned = warned
        self.gen = gen
        self.paused_total = paused_total
        self.paused_at = paused_at
        self.segments = segments

    @classmethod
    def start(cls, *, name: str, clause: str, rule: str, target: str, duration: Duration,
              calendar: BusinessCalendar, label: str, at: int) -> Clock:
        """A clock running from `at`, due when the target's open time runs out."""
        budget, due = target_of(calendar, duration, at)
        # Clock, not cls: the compiled build then calls the native constructor directly, where a
        # call through the class object parses its 10 keywords against 19 parameter names
        return Clock(name=name, clause=clause, rule=rule, target=target, duration=duration, calendar=calendar,
                   label=label, started=at, budget=budget, due=due, run_since=at)

    @property
    def calendar_id(self) -> str:
        """The calendar's id (`emea`, `24x7`) without the description the label adds."""
        return self.label.partition(" (")[0]

    def elapsed(self, now: int) -> int:
        """Open seconds counted so far (paused time excluded)."""
        if self.run_since is None:
            return self.used
        return self.used + self.calendar.between(self.run_since, now)

    def _close_segment(self, now: int) -> None:
        if self.run_since is not None:
            if self.segments is None:
                self.segments = []
            self.segments.append(Segment(self.run_since, now, self.used, self.calendar))

    def ran_out_at(self, budget: int) -> int | None:
        """The instant the counted time reached `budget`, on the calendars it was counted on."""
        for start, end, used, calendar in self.segments or ():
            if used + calendar.between(start, end) >= budget:
                return calendar.add(start, max(0, budget - used))
        if self.run_since is not None and self.used <= budget:
            return self.calendar.add(self.run_since, budget - self.used)
        return None

    def pause(self, now: int) -> None:
        self._close_segment(now)
        self.used = self.elapsed(now)
        self.run_since = None
        self.paused_at = now
        self.status = PAUSED
        self.gen += 1

    def resume(self, now: int) -> int:
        """Count again from `now`; returns the open seconds credited for the pause."""
        credited = self.calendar.between(self.paused_at if self.paused_at is not None else now, now)
        self.paused_at = None
        self.paused_total += credited
        self.run_since = now
        self.status = RUNNING
        self.due = self.calendar.add(now, max(0, self.budget - self.used))
        self.gen += 1
        return credited

    def retarget(self, now: int, duration: Duration, calendar: BusinessCalendar, label: str, clause: str,
                 target: str) -> bool:
        """Apply a new target keeping elapsed time, running or paused; True when the new target is
        already used up (the caller then breaches it at `now`, docs/INTERFACE.md "Time")."""
        elapsed = self.elapsed(now)
        self._close_segment(now)
        self.used = elapsed
        if self.paused_at is not None:  # the pause so far counts on the calendar in force while it lasted
            self.paused_total += self.calendar.between(self.paused_at, now)
            self.paused_at = now
        self.duration, self.calendar, self.label, self.clause, self.target = duration, calendar, label, clause, target
        self.budget = budget_of(calendar, duration, self.started)
        exceeded = self.used > self.budget
        if self.status == RUNNING:
            self.run_since = now
        # Already exceeded: overdue from the change on, so `due` is `now`, the instant of the breach the
        # caller emits (a due is never before the action announcing it; `ran_out_at` says when the new
        # target actually ran out, for the reason). Paused: where it would be due if it ran from now.
        self.due = now if exceeded else calendar.add(now, self.budget - self.used)
        self.gen += 1
        return exceeded

    def stop(self, now: int) -> bool:
        """Stop; True (met) when never breached and the counted time is within the target: a goal
        event at or before `due` while running, or no more than the budget counted while paused."""
        if self.status == PAUSED:
            met = not self.breached and self.used <= self.budget
        else:
            met = not self.breached and self.due is not None and now <= self.due and self.elapsed(now) <= self.budget
        self.paused_total = self.paused_seconds(now)
        self.paused_at = None
        self.used = self.elapsed(now)
        self.run_since = None
        self.status = STOPPED
        self.gen += 1
        return met

    def paused_seconds(self, now: int) -> int:
        """Business seconds (this clock's calendar) that passed while it was paused, up to `now`:
        the time its pauses moved `due` by, so elapsed + paused is the business time since the start."""
        if self.paused_at is None:
            return self.paused_total
        return self.paused_total + self.calendar.between(self.paused_at, now)

    def next_deadline(self, warn_at: tuple[float, ...]) -> tuple[int, str, float] | None:
        """(instant, 'warn'|'breach', ratio) of the next thing to fire while running, or None."""
        if self.status != RUNNING or self.breached or self.run_since is None or self.due is None:
            return None
        while self.warned < len(warn_at):
            ratio = warn_at[self.warned]
            needed = math.ceil(ratio * self.budget) - self.used
            if needed < 0:
                self.warned += 1  # that threshold was passed while the clock could not warn
                continue
            return self.calendar.add(self.run_since, needed), "warn", ratio
        return self.due, "breach", 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "clause": self.clause, "rule": self.rule, "target": self.target,
            "duration": self.duration.text, "calendar": self.label, "started": format_instant(self.started),
            "due": format_instant(self.due) if self.due is not None and self.status == RUNNING else None,
            "used_seconds": self.used, "budget_seconds": self.budget, "breached": self.breached,
            "paused_seconds": self.paused_total,
        }


def target_of(calendar: BusinessCalendar, duration: Duration, start: int) -> tuple[int, int]:
    """(budget, due) of a target started at `start`: the open seconds it grants (minutes as such,
    business days as measured from `start`) and the instant they run out."""
    due = calendar.due(start, duration)
    if duration.is_business_days:
        return calendar.between(calendar.next_open(start), due), due
    return duration.seconds, due


def budget_of(calendar: BusinessCalendar, duration: Duration, start: int) -> int:
    """Open seconds a target grants: minutes as such, business days as measured from `start`."""
    return duration.seconds if not duration.is_business_days else target_of(calendar, duration, start)[0]


def human_seconds(seconds: int) -> str:
    """'0 min', '45 min', '2 h', '3 h 20 min' for reasons."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"

"""The one queue of pending deadlines of every ticket: clock warnings and breaches, timers and
obligation dues, as a heap of `Deadline`s popped in (instant, ticket, name, order) order.

Entries are never removed early: a clock that stops, pauses or changes target bumps its `gen`,
and so does a restarted timer or a re-raised obligation, so the old entry is recognised as stale
when it comes up (lazy invalidation)."""

from __future__ import annotations

import heapq
from typing import Final, NamedTuple

from engine.runtime.clocks import Clock

# `order` of each kind: among entries of one instant, ticket and name, warnings before breaches
WARN, BREACH, TIMER, OBLIGATION = 0, 1, 2, 3
TIMER_PREFIX: Final = "timer:"  # a timer's entry is named "timer:<name>": it never sorts as a clock of that name


class Deadline(NamedTuple):
    """One heap entry. Compared as a tuple, field by field in this order: the firing order."""

    instant: int
    ticket: str
    name: str  # the clock, "timer:<timer>" or the obligation id
    order: int  # WARN, BREACH, TIMER, OBLIGATION
    gen: int  # the generation of the clock, timer or obligation it was scheduled for
    kind: str  # "warn", "breach", "timer", "obligation"
    ratio: float  # a warning's ratio; 1.0 for a breach, 0.0 otherwise


def schedule_clock(queue: list[Deadline], ticket: str, clock: Clock, warn_at: tuple[float, ...]) -> None:
    """Queue the clock's next warning or its breach (nothing while it is not running)."""
    nxt = clock.next_deadline(warn_at)
    if nxt is not None:
        instant, kind, ratio = nxt
        heapq.heappush(queue, Deadline(instant, ticket, clock.name, WARN if kind == "warn" else BREACH,
                                       clock.gen, kind, ratio))


def schedule_timer(queue: list[Deadline], ticket: str, timer: str, due: int, gen: int) -> None:
    heapq.heappush(queue, Deadline(due, ticket, TIMER_PREFIX + timer, TIMER, gen, "timer", 0.0))


def schedule_obligation(queue: list[Deadline], ticket: str, obligation: str, due: int, gen: int) -> None:
    heapq.heappush(queue, Deadline(due, ticket, obligation, OBLIGATION, gen, "obligation", 0.0))


__all__ = ["BREACH", "OBLIGATION", "TIMER", "TIMER_PREFIX", "WARN", "Deadline", "schedule_clock", "schedule_obligation",
           "schedule_timer"]

"""One row per ticket x clock cycle, built from the action stream's structured fields only.

Auditors want the SLA clocks as rows they can filter and export (docs/INTERFACE.md "Reports for
auditors"), not a stream of actions. A cycle opens at `start_clock` and closes at `stop_clock`; a
clock of the same ticket started again later is the next cycle (2, 3, ...). `reschedule_clock`,
`pause_clock`, `resume_clock`, `warn` and `breach` update the open cycle. No `reason` text is ever
read: every figure comes from the fields every clock action carries (`severity`, `target`,
`calendar`, `due`, `met`, `elapsed`, `paused`, `excluded`).

Streaming: `CycleBuilder.feed` returns the rows its action closed, so memory grows with the clocks
open at once, not with the log; `finish` returns those still open (running at the end of the log).

Column meanings (the first 15 are INTERFACE's, in its order; the rest are ours):
- severity, target, calendar: as they stood at the cycle's last clock action (a reschedule changes
  them; the verdict is judged against the target in force at the end).
- due: the last due instant announced (start, resume, reschedule, warn or breach).
- met: `true`/`false` from `stop_clock`; a cycle that breached and is still running is `false`
  (its verdict is known); empty while running without a breach, and for an excluded request.
- breached_at: the instant of the cycle's first `breach`.
- elapsed/paused: integer seconds from `stop_clock`, else from the `breach`; empty for a cycle
  still running without a breach (no structured field states them).
- clause: the clause cited by the `start_clock` (the target clause that applied).
- excluded: `true` when the request was excluded (met empty; out of compliance figures).
- pauses: the number of pause intervals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from engine.model.actions import Action
from engine.model.events import format_instant
from engine.reports.counters import CycleCounter

COLUMNS = ("ticket", "contract", "version", "clock", "cycle", "severity", "target", "calendar", "started", "due",
           "stopped", "met", "breached_at", "elapsed", "paused")
EXTRA_COLUMNS = ("clause", "excluded", "pauses")
CLOCK_ACTIONS = frozenset({"start_clock", "pause_clock", "resume_clock", "reschedule_clock", "warn", "breach",
                           "stop_clock"})


@dataclass(slots=True)
class Cycle:
    """One ticket x clock cycle; instants are epoch seconds (UTC)."""

    ticket: str
    contract: str
    version: str
    clock: str
    cycle: int
    severity: str
    target: str
    calendar: str
    started: int
    clause: str
    due: int | None = None
    stopped: int | None = None
    met: bool | None = None
    breached_at: int | None = None
    elapsed: int | None = None
    paused: int | None = None
    excluded: bool = False
    pauses: list[tuple[int, int | None]] = field(default_factory=list)  # (paused at, resumed at or None)

    @property
    def breached(self) -> bool:
        """A breach fired, or the clock stopped late."""
        return self.breached_at is not None or self.met is False

    @property
    def verdict(self) -> str:
        """`excluded`, `breached`, `met` or `running` (the summary's four outcomes)."""
        if self.excluded:
            return "excluded"
        if self.breached:
            return "breached"
        return "met" if self.met else "running"

    def row(self) -> list[str]:
        """The CSV cells, COLUMNS then EXTRA_COLUMNS."""
        met = "" if self.excluded else ("false" if self.breached else "true" if self.met else "")
        return [self.ticket, self.contract, self.version, self.clock, str(self.cycle), self.severity, self.target,
                self.calendar, format_instant(self.started), _instant(self.due), _instant(self.stopped), met,
                _instant(self.breached_at), _int(self.elapsed), _int(self.paused),
                self.clause, "true" if self.excluded else "false", str(len(self.pauses))]


class CycleBuilder:
    """Folds clock actions into cycles; holds only the open cycles and the cycle counts
    (engine.reports.counters: with a `window` of event time, those of tickets started within it;
    the others on disk, in `spill_dir`). `close` removes the disk's file."""

    def __init__(self, window: int | None = None, spill_dir: str | None = None) -> None:
        self._open: dict[tuple[str, str], Cycle] = {}
        self._numbers = CycleCounter(window, spill_dir)

    def feed(self, action: Action) -> list[Cycle]:
        """Apply one action; returns the cycles it closed (none, or one; two if a clock was started again
        while open, which closes the earlier cycle without a verdict)."""
        if action.action not in CLOCK_ACTIONS or action.clock is None:
            return []
        key = (action.ticket, action.clock)
        kind = action.action
        closed: list[Cycle] = []
        if kind == "start_clock":
            earlier = self._open.pop(key, None)
            if earlier is not None:
                closed.append(earlier)
            n = self._numbers.next(action.ticket, action.clock, action.at)
            self._open[key] = Cycle(action.ticket, action.contract, action.version or "", action.clock, n,
                                    action.severity or "", action.target or "", action.calendar or "", action.at,
                                    action.clause, due=action.due)
            return closed
        cycle = self._open.get(key)
        if cycle is None:  # an action for a clock that is not running: nothing to update
            return closed
        if action.severity is not None:
            cycle.severity = action.severity
        if action.target is not None:
            cycle.target = action.target
        if action.calendar is not None:
            cycle.calendar = action.calendar
        if action.due is not None:
            cycle.due = action.due
        if kind == "pause_clock":
            cycle.pauses.append((action.at, None))
        elif kind == "resume_clock":
            if cycle.pauses and cycle.pauses[-1][1] is None:
                cycle.pauses[-1] = (cycle.pauses[-1][0], action.at)
        elif kind == "breach":
            if cycle.breached_at is None:
                cycle.breached_at = action.at
            cycle.elapsed, cycle.paused = action.elapsed, action.paused
        elif kind == "stop_clock":
            del self._open[key]
            cycle.stopped = action.at
            cycle.excluded = bool(action.excluded)
            cycle.met = None if cycle.excluded else action.met
            if action.elapsed is not None:
                cycle.elapsed = action.elapsed
            if action.paused is not None:
                cycle.paused = action.paused
            if cycle.pauses and cycle.pauses[-1][1] is None:  # stopped while paused
                cycle.pauses[-1] = (cycle.pauses[-1][0], action.at)
            closed.append(cycle)
        return closed

    def finish(self) -> list[Cycle]:
        """The cycles still open at the end of the log (running, or running after a breach), by ticket, clock."""
        rest = [self._open[key] for key in sorted(self._open)]
        self._open.clear()
        return rest

    @property
    def open_cycles(self) -> int:
        return len(self._open)

    def close(self) -> None:
        self._numbers.close()


def cycles(actions: Iterable[Action]) -> Iterator[Cycle]:
    """Every cycle of an action stream: closed ones as they close, then the open ones."""
    builder = CycleBuilder()
    for action in actions:
        yield from builder.feed(action)
    yield from builder.finish()
    builder.close()


def _instant(value: int | None) -> str:
    return "" if value is None else format_instant(value)


def _int(value: int | None) -> str:
    return "" if value is None else str(value)

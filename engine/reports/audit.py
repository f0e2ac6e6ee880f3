"""One pass of the engine over a log, keeping only what a report needs (figures, breached cycles).

`obligo report` needs the compliance figures, the breached cycles, the chart data and the export's
own outcome per ticket; not the actions. So the events go through the engine once, as they are read
(in time order: engine.replay.log.entries_in_time_order), each action is folded into its cycle at
once (engine.reports.cycles) and dropped, and every finished cycle goes to the caller (the CSV
writer) and to the tallies here. Memory: the open tickets and cycles (with a `retention`, finished
tickets go to disk as in `obligo replay`, and so do the cycle counts of the tickets not started
within it: engine.reports.counters), the breached cycles, the rejects, and with --expect the
contract, expected outcome and verdict per ticket; not the log.

The per-ticket timelines of the HTML report come from a second, small pass (`timelines`) over the
events of the chosen tickets only: tickets never read each other's state (the argument behind
`replay --jobs`), so an engine fed one ticket's events gives that ticket's actions exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.model.durations import parse_duration
from engine.model.events import Event, EventError
from engine.replay.log import Reject
from engine.reports.cycles import Cycle, CycleBuilder
from engine.reports.summary import Summary
from engine.runtime.engine import DuplicateEvent, Engine

LogEntry = tuple[int, int, Any, str]  # (at, line number, Event, line text), as engine.replay.log.read_log gives
# Elapsed business time as a share of a fixed-length target (minutes/hours): the chart's buckets.
BUCKETS = ("<= 50%", "50-100%", "100-200%", "> 200%")
DAY_BUCKETS = ("met", "breached")  # a business-day target has no fixed length in seconds: verdict only


@dataclass
class Counts:
    events: int = 0
    actions: int = 0
    rejects: int = 0
    duplicates: int = 0
    breaches: int = 0


@dataclass
class Audit:
    """What one pass keeps: figures, breached cycles, chart data, the export's outcome per ticket."""

    summary: Summary = field(default_factory=Summary)
    counts: Counts = field(default_factory=Counts)
    breached: list[Cycle] = field(default_factory=list)  # every breached cycle (unless run_audit's keep_breached=False)
    # (contract, clock, severity) -> bucket -> cycles; plus the target text(s) seen
    elapsed: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    targets: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    breaches_by_month: dict[tuple[str, str], int] = field(default_factory=dict)  # (YYYY-MM, clock) -> breaches
    rejects: list[Reject] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    end: int | None = None  # the instant pending deadlines were fired up to
    skipped_lines: set[int] = field(default_factory=set)  # log lines not applied (rejects, duplicates)
    # --expect: the attribute's last value, the verdict of the chosen clock and the contract, per ticket
    expected: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    ticket_contract: dict[str, str] = field(default_factory=dict)


def run_audit(contracts: dict[str, CompiledContract], events: Iterable[LogEntry], rejects: Iterable[Reject] = (),
              on_cycle: Callable[[Cycle], None] | None = None, progress: Callable[[int], None] | None = None,
              expect: str | None = None, expect_clock: str = "resolution", *, retention: int | None = None,
              spill_dir: str | None = None, keep_breached: bool = True) -> Audit:
    """Evaluate the (time-sorted) log and tally every cycle; `on_cycle` sees each cycle as it ends
    (closed ones in the order they close, then the open ones sorted), `progress` the events done.
    `events` is read once, as it comes (an iterator will do); `rejects` is read after it, so that
    the rejects of a log being read (entries_in_time_order's) are all there. `retention`: the
    engine's (engine.runtime.engine), which changes its memory, never its answers. `keep_breached`:
    False leaves `Audit.breached` empty, for a caller that needs only the figures (the breached
    cycles are the one list here that grows with the log: about half a kilobyte each)."""
    audit = Audit()
    engine = Engine(contracts, retention=retention, spill_dir=spill_dir)
    builder = CycleBuilder(retention, spill_dir)  # cycle counts kept in memory as the engine keeps tickets
    try:
        _run(audit, engine, builder, events, on_cycle, progress, expect, expect_clock, keep_breached)
    finally:
        builder.close()
        engine.close()
    audit.rejects.extend(rejects)
    audit.rejects.sort(key=lambda r: r.line)
    audit.counts.rejects = len(audit.rejects)
    return audit


def _run(audit: Audit, engine: Engine, builder: CycleBuilder, events: Iterable[LogEntry],
         on_cycle: Callable[[Cycle], None] | None, progress: Callable[[int], None] | None, expect: str | None,
         expect_clock: str, keep_breached: bool) -> None:

    def take(cycle: Cycle) -> None:
        audit.summary.add(cycle)
        _chart_data(audit, cycle)
        if keep_breached and cycle.breached:
            audit.breached.append(cycle)
        if expect is not None and cycle.clock == expect_clock:
            audit.verdicts[cycle.ticket] = _combine(audit.verdicts.get(cycle.ticket), cycle.verdict)
        if on_cycle is not None:
            on_cycle(cycle)

    def feed(actions: list[Action]) -> None:
        for action in actions:
            audit.counts.actions += 1
            if action.action == "breach":
                audit.counts.breaches += 1
            for cycle in builder.feed(action):
                take(cycle)

    last = None
    done = 0
    for done, (at, number, event, text) in enumerate(events, start=1):
        try:
            feed(engine.process(event))
            audit.counts.events += 1
            last = at
            if expect is not None and isinstance(event, Event):  # per ticket: only when asked for
                audit.ticket_contract.setdefault(event.ticket, event.contract or "")
                if expect in event.attrs:
                    audit.expected[event.ticket] = event.attrs[expect]
        except DuplicateEvent:
            audit.counts.duplicates += 1
            audit.skipped_lines.add(number)
        except EventError as exc:
            audit.rejects.append(Reject(number, exc.code, str(exc), text))
            audit.skipped_lines.add(number)
        if progress is not None and done % 1000 == 0:
            progress(done)
    if last is not None:
        audit.end = last
        feed(engine.advance(last))
    for cycle in builder.finish():
        take(cycle)
    if progress is not None:
        progress(done)
    audit.problems.extend(engine.problems)
    audit.breached.sort(key=lambda c: (c.ticket, c.clock, c.cycle))


def _combine(before: str | None, verdict: str) -> str:
    """A ticket's verdict over all cycles of the chosen clock: any breached cycle makes it breached;
    else met if a cycle was met; else running, else excluded."""
    order = ("breached", "met", "running", "excluded")
    if before is None:
        return verdict
    return min(before, verdict, key=order.index)


def _chart_data(audit: Audit, cycle: Cycle) -> None:
    if cycle.breached_at is not None:
        month = _month(cycle.breached_at)
        audit.breaches_by_month[(month, cycle.clock)] = audit.breaches_by_month.get((month, cycle.clock), 0) + 1
    if cycle.excluded or cycle.elapsed is None:
        return
    key = (cycle.contract, cycle.clock, cycle.severity)
    audit.targets.setdefault(key, set()).add(cycle.target)
    bucket = _bucket(cycle)
    counts = audit.elapsed.setdefault(key, {})
    counts[bucket] = counts.get(bucket, 0) + 1


def _bucket(cycle: Cycle) -> str:
    try:
        seconds = parse_duration(cycle.target).seconds
    except ValueError:  # business days (no fixed length), or a target text we cannot read
        return "breached" if cycle.breached else "met"
    ratio = (cycle.elapsed or 0) / seconds if seconds else (0.0 if not cycle.elapsed else float("inf"))
    if ratio <= 0.5:
        return BUCKETS[0]
    if ratio <= 1.0 and not cycle.breached:
        return BUCKETS[1]
    return BUCKETS[2] if ratio <= 2.0 else BUCKETS[3]


def _month(instant: int) -> str:
    from engine.model.events import format_instant

    return format_instant(instant)[:7]


@dataclass
class Entry:
    """One line of a ticket's timeline: an event applied, or an action emitted."""

    at: int
    kind: str  # "event" or "action"
    what: str  # event type, or action kind
    clock: str = ""
    detail: str = ""  # event attrs; or the action's fields of note (due, met, severity change...)
    clause: str = ""
    reason: str = ""
    rule: str = ""


def timelines(contracts: dict[str, CompiledContract], events: list[LogEntry], tickets: Iterable[str],
              end: int | None, skipped_lines: AbstractSet[int] = frozenset(),
              ) -> tuple[dict[str, list[Entry]], dict[str, list[Cycle]]]:
    """Every event and action of the chosen tickets, in the order the engine applied and emitted them,
    and every cycle of their clocks (met ones too: the timeline shows all the ticket's clocks)."""
    import json

    chosen = set(tickets)
    engine = Engine(contracts)
    out: dict[str, list[Entry]] = {t: [] for t in sorted(chosen)}
    cycles: dict[str, list[Cycle]] = {t: [] for t in sorted(chosen)}
    builder = CycleBuilder()

    def actions(emitted: list[Action]) -> None:
        for a in emitted:
            for cycle in builder.feed(a):
                cycles[cycle.ticket].append(cycle)
            if a.ticket in out:
                out[a.ticket].append(Entry(a.at, "action", a.action, a.clock or "", _action_detail(a), a.clause,
                                           a.reason, a.rule))

    for _, number, event, _text in events:
        if number in skipped_lines or event.ticket not in chosen:
            continue
        try:
            emitted = engine.process(event)
        except EventError:
            continue
        # deadlines the event passed came first, then the event, then its own actions (and a breach
        # of its own ticket due at its instant, which waits for it)
        first_own = next((i for i, a in enumerate(emitted) if a.event == event.id), len(emitted))
        own = emitted[first_own:]
        actions(emitted[:first_own])
        attrs = json.dumps(event.attrs, ensure_ascii=False, sort_keys=True) if event.attrs else ""
        out[event.ticket].append(Entry(event.at, "event", event.type, "", attrs))
        actions(own)
    if end is not None:
        actions(engine.advance(end))
    for cycle in builder.finish():
        cycles[cycle.ticket].append(cycle)
    for found in cycles.values():
        found.sort(key=lambda c: (c.clock, c.cycle))
    return out, cycles


def _action_detail(a: Action) -> str:
    from engine.model.events import format_instant

    parts = []
    if a.severity is not None:
        parts.append(f"severity {a.severity}")
    if a.target is not None:
        parts.append(f"target {a.target} on {a.calendar}")
    if a.due is not None:
        parts.append(f"due {format_instant(a.due)}")
    if a.met is not None:
        parts.append(f"met {str(a.met).lower()}")
    if a.excluded:
        parts.append("excluded")
    if a.elapsed is not None:
        parts.append(f"elapsed {a.elapsed} s, paused {a.paused} s")
    if a.from_ is not None or a.to is not None:
        parts.append(f"{a.from_ or ''} -> {a.to or ''}".strip())
    return "; ".join(parts)

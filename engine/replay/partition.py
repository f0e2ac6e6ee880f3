"""Evaluating one event stream partitioned by ticket, with the output of one engine: the algorithm.

Tickets never read each other's state, so each partition runs its own `Engine` over its own
tickets. The only thing partitions share is time: the single engine fires every deadline due by
an event's instant before that event, whoever's ticket it is. So each partition is given the
instant of every event of the stream (an array; `NOT_YET` for an event that moves no time) and
from it the stream's time after each event (`reached`). It then applies only its own events:
before each, it fires in one call (`Engine.fire_due`) the deadlines that other partitions' events
passed since its previous one. Each action and trace record gets the place the single engine
gives it: (2 x event index + 0 for the deadlines fired before that event | 1 for the event
itself, instant, ticket). A deadline's place is the first event whose instant reaches it; a
breach's, the first event whose instant passes it (a breach due at an event's instant waits for
every event at that instant, `Engine._fire_until`), see `_Places`. Merging the partitions by place
reproduces the single engine's output byte for byte.

What one partition cannot see is handled in rounds, so the result never depends on the number
of partitions:
- an event another partition refused (duplicate id, unknown ticket...) moves no time in the
  single engine. The first round assumes every event is accepted; if any was refused, a second
  round skips those events everywhere (`SKIPPED`; refusal depends only on the event's own ticket).
- an event id shared by tickets of different partitions (duplicate detection is stream-wide), a
  rule loop (quarantine), or an event refused as earlier than the stream (which may only be
  because a refused event moved time in the first round) sends the whole stream to one engine.

This module is the algorithm and its in-process form (`evaluate`: the partitions one after the
other in the calling process, the reference the tests compare with one engine); running the
partitions in several processes, on one machine or many, is engine.replay.distributed.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final

from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.model.events import Event, EventError, parse_event
from engine.replay.collector import collector_paused
from engine.runtime.engine import DuplicateEvent, Engine, LateEvent
from engine.runtime.trace import ListTracer

NOT_YET: Final = -(2**63)  # the stream's time before its first event; the instant of an event that moves no time
SKIPPED: Final = NOT_YET + 1  # the instant of an event refused in the first round: nobody applies it, it moves no time


def partition_of(ticket: str, parts: int) -> int:
    """The partition of a ticket, in 0..parts-1: stable across processes, machines and runs (crc32:
    str hash() is salted per process), about the same share of the tickets for each."""
    if parts <= 1:
        return 0
    return zlib.crc32(ticket.encode("utf-8", "surrogatepass")) * parts >> 32


def reached_times(instants: Iterable[int]) -> list[int]:
    """The stream's time after each event: the greatest instant so far (skipped events move none)."""
    return list(accumulate((NOT_YET if at == SKIPPED else at for at in instants), max))


@dataclass
class Evaluation:
    """The outcome of evaluating a stream: what one `Engine` fed event by event would have produced."""

    actions: list[Action]
    traces: list[dict[str, Any]]  # decision-log records (when asked for), in firing order
    rejected: dict[int, tuple[str, str]]  # index in the input -> (reject code, reason)
    duplicates: list[int]  # indices ignored as duplicate event ids
    problems: list[str]  # rule loops found while firing deadlines (Engine.problems)
    partitions: int  # partitions actually used (1 after a fallback)
    rounds: int = 1


@dataclass
class PartitionRun:
    """What one partition produced. In a partition every action and trace record has its place in
    the single engine's output (`places`, `trace_places`, see _Places); a lone run (`run_alone`)
    has none: its items are in order already."""

    actions: list = field(default_factory=list)
    places: list = field(default_factory=list)
    traces: list = field(default_factory=list)
    trace_places: list = field(default_factory=list)
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # (code, reason)
    duplicates: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    own_ids: set[str] = field(default_factory=set)  # ids of this partition's events (shared: one engine)
    looped: bool = False  # a rule loop quarantined a ticket (its event moved time though refused)
    late: bool = False  # an event was refused as earlier than the stream (see the module docstring)


class _Places:
    """Places in the single engine's output: (slot, instant, ticket), where slot is 2 x the event
    index + 0 for the deadlines fired before that event, + 1 for the event itself (index
    len(events): the final advance). Two partitions never share a place (nor a ticket), so a
    stable sort of all items by place is the single engine's order.

    A deadline fired between this partition's events goes before the first event whose instant
    reaches it (the engine never schedules a deadline before the instant it is applying), a breach
    before the first event whose instant passes it (it waited for the events at its instant), and
    never before this partition's last event applied. The actions of a fired deadline name it in
    their `cause` (ticket, kind, ...); a trace record is placed by the kind the engine is firing."""

    def __init__(self, reached: Sequence[int]) -> None:
        self.reached = reached
        self.after = 0  # index just after this partition's last event applied

    def of_deadline(self, instant: int, breach: bool) -> int:
        first = bisect_right(self.reached, instant) if breach else bisect_left(self.reached, instant)
        return 2 * max(first, self.after)

    def keep_deadlines(self, run: PartitionRun, actions: list[Action]) -> None:
        run.places.extend((self.of_deadline(a.at, a.cause is not None and a.cause[1] == "breach"), a.at, a.ticket)
                          for a in actions)
        run.actions += actions


def _keep(run: PartitionRun, slot: int, actions: list[Action]) -> None:
    places = run.places
    for a in actions:  # one or two actions as a rule: a loop costs less than a generator
        places.append((slot, a.at, a.ticket))
    run.actions += actions


class _PlacedTracer:
    """Keeps fired-rule records with their places: the slot of the event being applied, or, when
    firing deadlines between this partition's events (`slot` None), the place of the deadline."""

    def __init__(self, run: PartitionRun, places: _Places) -> None:
        self.run = run
        self.places = places
        self.slot: int | None = None
        self.engine: Engine | None = None  # the partition's, once made: what kind of deadline it fires

    def fired(self, **record: Any) -> None:
        at = record["at"]
        slot = self.slot if self.slot is not None else self.places.of_deadline(
            at, self.engine is not None and self.engine.firing == "breach")
        self.run.trace_places.append((slot, at, record["ticket"]))
        self.run.traces.append(record)


def _applied(engine: Engine, run: PartitionRun, index: int, raw: Any) -> list[Action] | None:
    """`engine.process(raw)`'s actions, or None with the refusal (duplicate or reason) kept in `run`."""
    try:
        return engine.process(raw)
    except DuplicateEvent:
        run.duplicates.append(index)
    except EventError as exc:
        run.rejected[index] = (exc.code, str(exc))
        run.late = run.late or isinstance(exc, LateEvent)
    return None


def run_alone(contracts: dict[str, CompiledContract], events: Iterable[tuple[int, Any]], end: int | None,
              trace: bool, run: PartitionRun | None = None, retention: int | None = None) -> PartitionRun:
    """The whole stream ((index, event), in order) in one engine: events straight to
    `Engine.process`, which fires deadlines only for the events it accepts. Exactly the single
    engine, whatever is refused; its actions and trace records are in order already (no places).
    `retention`: the engine's (engine.runtime.engine: eviction of finished tickets)."""
    run = run if run is not None else PartitionRun()
    tracer = ListTracer() if trace else None
    engine = Engine(contracts, tracer, retention)
    out = run.actions
    last = None
    for i, raw in events:
        actions = _applied(engine, run, i, raw)
        if actions is not None:
            out += actions
            last = engine.now  # the instant of the last event accepted, as `obligo replay` ends
    final = end if end is not None else last
    if final is not None:
        out += engine.advance(final)
    run.traces = tracer.records if tracer is not None else []
    run.problems = list(engine.problems)
    engine.close()
    return run


def run_partition(contracts: dict[str, CompiledContract], mine: Iterable[tuple[int, Event]], reached: Sequence[int],
                  end: int | None, trace: bool, run: PartitionRun | None = None,
                  retention: int | None = None) -> PartitionRun:
    """Evaluate one partition: its own events `mine` ((index, event), in index order; an iterator
    may record its readers' refusals into `run` as it goes) against the stream's time after each
    event (`reached`, one entry per event of the stream; see the module docstring).

    Only this partition's events go through the engine. Before each, the deadlines that other
    partitions' events passed are fired in one call (up to the stream's time just before it), and
    each action is placed where the single engine fires it (`_Places`). Eviction (`retention`)
    answers from a ticket's own events only, so a partition evicts as the single engine does."""
    run = run if run is not None else PartitionRun()
    places = _Places(reached)
    tracer = _PlacedTracer(run, places) if trace else None
    engine = Engine(contracts, tracer, retention)
    if tracer is not None:
        tracer.engine = engine
    for i, ev in mine:
        run.own_ids.add(ev.id)
        if i > places.after and reached[i - 1] != NOT_YET:  # other partitions' events moved time since
            fired = engine.fire_due(reached[i - 1])  # this partition's last one
            if fired:
                places.keep_deadlines(run, fired)
        if tracer is not None:
            tracer.slot = 2 * i
        fired = engine.fire_due(ev.at)
        if fired:
            _keep(run, 2 * i, fired)
        if tracer is not None:
            tracer.slot = 2 * i + 1
        actions = _applied(engine, run, i, ev)
        if actions:
            _keep(run, 2 * i + 1, actions)
        if tracer is not None:
            tracer.slot = None
        places.after = i + 1
    last = reached[-1] if reached else NOT_YET
    if len(reached) > places.after and last != NOT_YET:
        places.keep_deadlines(run, engine.fire_due(last))
    final = end if end is not None else (None if last == NOT_YET else last)
    if final is not None:
        places.keep_deadlines(run, engine.advance(final))
    run.problems = list(engine.problems)
    run.looped = bool(engine.quarantined)
    engine.close()
    return run


def ids_shared(id_sets: Sequence[set]) -> bool:
    """Whether an event id belongs to events of two partitions (duplicates are stream-wide)."""
    return sum(len(ids) for ids in id_sets) != len(set().union(*id_sets))


def in_place_order(items: list[list], places: list[list]) -> list:
    """The items of all partitions in the order of their places (a stable sort: see _Places)."""
    every = [item for part in items for item in part]
    where = [place for part in places for place in part]
    return [every[k] for k in sorted(range(len(where)), key=where.__getitem__)]


# --- in this process ----------------------------------------------------------------------------------
def evaluate(contracts: dict[str, CompiledContract], events: Sequence[Any], *, jobs: int = 1,
             end: int | None = None, trace: bool = False) -> Evaluation:
    """Evaluate `events` (in time order) as one `Engine` would, partitioned by ticket into `jobs`
    partitions evaluated one after the other in this process: the algorithm without transport
    (engine.replay.distributed runs the partitions in other processes, for `obligo replay --jobs`).

    `end`: advance to this instant after the last event (default: the instant of the last event
    accepted). The result is the same for every `jobs`; `partitions` says how many were used
    (1 for one job, or after a fallback: see the module docstring)."""
    parts = max(1, int(jobs))
    with collector_paused():
        return _evaluate(contracts, events, parts, end, trace)


def _evaluate(contracts: dict[str, CompiledContract], events: Sequence[Any], parts: int, end: int | None,
              trace: bool) -> Evaluation:
    alone = lambda rounds: _merged([run_alone(contracts, enumerate(events), end, trace)], 1, rounds)  # noqa: E731
    if parts == 1:
        return alone(1)
    runs = _run_all(contracts, events, parts, frozenset(), end, trace)
    if ids_shared([run.own_ids for run in runs]) or any(run.looped or run.late for run in runs):
        return alone(2)
    refused = frozenset(i for run in runs for i in (*run.rejected, *run.duplicates))
    if not refused:
        return _merged(runs, parts, 1)
    # Refused events move no time in the single engine: skip them everywhere, keep their reasons.
    again = _run_all(contracts, events, parts, refused, end, trace)
    if any(run.looped or run.rejected or run.duplicates for run in again):  # not expected: be safe
        return alone(3)
    result = _merged(again, parts, 2)
    result.rejected, result.duplicates = _refusals(runs)
    return result


def _run_all(contracts: dict[str, CompiledContract], events: Sequence[Any], parts: int, skip: frozenset[int],
             end: int | None, trace: bool) -> list[PartitionRun]:
    """Every partition: first each parses its own events (an event that does not parse is refused
    and moves no time; one without a string ticket is nobody's, refused by partition 0), then each
    is evaluated against the instants of all."""
    runs = [PartitionRun() for _ in range(parts)]
    mine: list[list[tuple[int, Event]]] = [[] for _ in range(parts)]
    instants = [NOT_YET] * len(events)
    for i, raw in enumerate(events):
        ticket = _ticket_of(raw)
        part = 0 if ticket is None else partition_of(ticket, parts)
        if i in skip:
            instants[i] = SKIPPED
            continue
        try:
            ev = raw if isinstance(raw, Event) else parse_event(raw)
        except EventError as exc:
            runs[part].rejected[i] = (exc.code, str(exc))
            continue
        instants[i] = ev.at
        mine[part].append((i, ev))
    reached = reached_times(instants)
    return [run_partition(contracts, mine[part], reached, end, trace, runs[part]) for part in range(parts)]


def _ticket_of(raw: Any) -> str | None:
    """The event's ticket id, None when it has no string one (nobody's event)."""
    ticket = raw.ticket if isinstance(raw, Event) else raw.get("ticket") if isinstance(raw, dict) else None
    return ticket if isinstance(ticket, str) else None


def _merged(runs: list[PartitionRun], parts: int, rounds: int) -> Evaluation:
    """One Evaluation from the runs: placed items sorted by place (a lone run is in order already)."""
    if len(runs) == 1 and parts == 1:
        actions, traces = runs[0].actions, runs[0].traces
    else:
        actions = in_place_order([run.actions for run in runs], [run.places for run in runs])
        traces = in_place_order([run.traces for run in runs], [run.trace_places for run in runs])
    rejected, duplicates = _refusals(runs)
    problems = [problem for run in runs for problem in run.problems]
    return Evaluation(actions, traces, rejected, duplicates, problems, parts, rounds)


def _refusals(runs: list[PartitionRun]) -> tuple[dict[int, tuple[str, str]], list[int]]:
    """The refused events of all runs: (index -> (code, reason), in index order), duplicate indices."""
    rejected = dict(sorted((i, reason) for run in runs for i, reason in run.rejected.items()))
    return rejected, sorted(i for run in runs for i in run.duplicates)


__all__ = ["NOT_YET", "SKIPPED", "Evaluation", "PartitionRun", "evaluate", "in_place_order", "partition_of",
           "reached_times", "run_alone", "run_partition"]

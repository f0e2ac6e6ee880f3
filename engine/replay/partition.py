"""Evaluate one event stream in several processes, partitioned by ticket, with the output of one engine.

Tickets never read each other's state, so each partition runs its own `Engine` over its own
tickets. The only thing partitions share is time: the single engine fires every deadline due by
an event's instant before that event, whoever's ticket it is. So each partition parses its own
events and writes their instants into memory the processes share; once every partition has, each
knows the stream's time after every event. It then applies only its own events: before each, it
fires in one call (`Engine.fire_due`) the deadlines that other partitions' events passed since its
previous one. Each action and trace record gets the place the single engine gives it: (2 x event
index + 0 for the deadlines fired before that event | 1 for the event itself, instant, ticket). A
deadline's place is the first event whose instant reaches it, or the event after its own
ticket's event when a breach due at that very instant waited for it (`_Places`). Merging the
partitions by place reproduces the single engine's output byte for byte.

What one partition cannot see is handled in rounds, so the result never depends on the number
of partitions:
- an event another partition rejected (duplicate id, unknown ticket...) moves no time in the
  single engine. The first round assumes every event that parses is accepted; if any was
  rejected, a second round skips those events everywhere (rejection depends only on the event's
  own ticket).
- an event id shared by tickets of different partitions (duplicate detection is stream-wide), a
  rule loop (quarantine), or an event refused as earlier than the stream (which may only be
  because a refused event moved time in the first round) sends the whole stream to one process.
"""

from __future__ import annotations

import gc
import marshal
import mmap
import multiprocessing
import operator
import os
import sys
import tempfile
import traceback
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, BinaryIO

from engine.language.model import CompiledContract
from engine.model.actions import ACTION_FIELDS, Action
from engine.model.events import Event, EventError, parse_event
from engine.replay.collector import collector_paused
from engine.runtime.engine import DuplicateEvent, Engine, LateEvent
from engine.runtime.trace import ListTracer

# Partition 0 runs in the calling process, which decodes and merges the other partitions' results
# once they are done; each of those encodes its results before it is done (about a tenth of its
# work on the benchmark's load). So partition 0 takes a larger share of the tickets, for all the
# processes to finish their own part at about the same time.
FIRST_SHARE = 1.1


def partition_of(ticket: str, parts: int) -> int:
    """The partition of a ticket: stable across processes and runs (crc32: str hash() is salted per
    process); partition 0 gets a share of FIRST_SHARE of the tickets against 1 for each other."""
    if parts <= 1:
        return 0
    point = zlib.crc32(ticket.encode("utf-8", "surrogatepass")) / 2**32 * (parts - 1 + FIRST_SHARE)
    return 0 if point < FIRST_SHARE else min(parts - 1, 1 + int(point - FIRST_SHARE))


@dataclass
class Evaluation:
    """The outcome of evaluating a stream: what one `Engine` fed event by event would have produced."""

    actions: list[Action]
    traces: list[dict[str, Any]]  # decision-log records (when asked for), in firing order
    rejected: dict[int, tuple[str, str]]  # index in the input -> (reject code, reason)
    duplicates: list[int]  # indices ignored as duplicate event ids
    problems: list[str]  # rule loops found while firing deadlines (Engine.problems)
    partitions: int  # processes actually used (1 after a fallback)
    rounds: int = 1


@dataclass
class _PartitionRun:
    """What one partition produced. In a partition every action and trace record has its place in
    the single engine's output (`places`, `trace_places`, see _Places); a lone run (_run_alone) has
    none: its items are in order already."""

    actions: list = field(default_factory=list)
    places: list = field(default_factory=list)
    traces: list = field(default_factory=list)
    trace_places: list = field(default_factory=list)
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # (code, reason)
    duplicates: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # hash() of the ids of this partition's events (an id shared with another partition: one process).
    # Forked processes share the parent's string hash seed; a collision only costs a needless fallback.
    own_ids: set[int] = field(default_factory=set)
    looped: bool = False  # a rule loop quarantined a ticket (its event moved time though refused)
    late: bool = False  # an event was refused as earlier than the stream (see _evaluate)


class _Places:
    """Places in the single engine's output: (slot, instant, ticket), where slot is 2 x the event
    index + 0 for the deadlines fired before that event, + 1 for the event itself (index
    len(events): the final advance). One partition's items are in place order already and two
    partitions never share a place (nor a ticket), so a stable sort of all items by place is the
    single engine's order.

    A deadline fired between this partition's events goes before the first event whose instant
    reaches it (the engine never schedules a deadline before the instant it is applying), and never
    before this partition's last event applied: a breach due at the instant of its own ticket's
    event waited for that event and fires at the next one."""

    def __init__(self, reached: list) -> None:
        self.reached = reached  # the stream's time after each event (see _own_events)
        self.after = 0  # index just after this partition's last event applied

    def of_deadline(self, instant: int) -> int:
        return 2 * max(bisect_left(self.reached, instant), self.after)

    def keep_deadlines(self, run: _PartitionRun, actions: list[Action]) -> None:
        run.places.extend((self.of_deadline(a.at), a.at, a.ticket) for a in actions)
        run.actions += actions


def _keep(run: _PartitionRun, slot: int, actions: list[Action]) -> None:
    places = run.places
    for a in actions:  # one or two actions as a rule: a loop costs less than a generator
        places.append((slot, a.at, a.ticket))
    run.actions += actions


class _PlacedTracer:
    """Keeps fired-rule records with their places: the slot of the event being applied, or, when
    firing deadlines between this partition's events (`slot` None), the place of the deadline."""

    def __init__(self, run: _PartitionRun, places: _Places) -> None:
        self.run = run
        self.places = places
        self.slot: int | None = None

    def fired(self, **record: Any) -> None:
        at = record["at"]
        slot = self.slot if self.slot is not None else self.places.of_deadline(at)
        self.run.trace_places.append((slot, at, record["ticket"]))
        self.run.traces.append(record)


def _applied(engine: Engine, run: _PartitionRun, index: int, raw: Event | dict) -> list[Action] | None:
    """`engine.process(raw)`'s actions, or None with the refusal (duplicate or reason) kept in `run`."""
    try:
        return engine.process(raw)
    except DuplicateEvent:
        run.duplicates.append(index)
    except EventError as exc:
        run.rejected[index] = (exc.code, str(exc))
        run.late = run.late or isinstance(exc, LateEvent)
    return None


def _run_alone(contracts: dict[str, CompiledContract], events: Sequence[Event | dict], end: int | None,
               trace: bool) -> _PartitionRun:
    """The whole stream in this process: events straight to `Engine.process`, which fires deadlines
    only for the events it accepts. Exactly the single engine, whatever is refused; its actions
    and trace records are already in order (no places)."""
    run = _PartitionRun()
    tracer = ListTracer() if trace else None
    engine = Engine(contracts, tracer)
    out = run.actions
    last = None
    for i, raw in enumerate(events):
        actions = _applied(engine, run, i, raw)
        if actions is not None:
            out += actions
            last = engine.now  # the instant of the last event accepted, as `obligo replay` ends
    final = end if end is not None else last
    if final is not None:
        out += engine.advance(final)
    run.traces = tracer.records if tracer is not None else []
    run.problems = list(engine.problems)
    return run


def _run_partition(contracts: dict[str, CompiledContract], events: Sequence[Event | dict], part: int, parts: int,
                   skip: frozenset[int], end: int | None, trace: bool, shared: _SharedInstants,
                   meet: Callable[[], None]) -> _PartitionRun:
    """Evaluate partition `part` of `parts` over the whole stream (see the module docstring).

    Only this partition's events go through the engine. Before each, the deadlines that other
    partitions' events passed are fired in one call (up to the stream's time just before it), and
    each action is placed where the single engine fires it (`_Places`)."""
    run = _PartitionRun()
    mine, reached = _own_events(events, part, parts, skip, run, shared, meet)
    places = _Places(reached)
    tracer = _PlacedTracer(run, places) if trace else None
    engine = Engine(contracts, tracer)
    for i, ev in mine:
        if i > places.after and reached[i - 1] != _NOT_YET:  # other partitions' events moved time since
            fired = engine.fire_due(reached[i - 1], None)  # this partition's last one
            if fired:
                places.keep_deadlines(run, fired)
        if tracer is not None:
            tracer.slot = 2 * i
        fired = engine.fire_due(ev.at, ev.ticket)
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
    last = reached[-1] if reached else _NOT_YET
    if len(events) > places.after and last != _NOT_YET:
        places.keep_deadlines(run, engine.fire_due(last, None))
    final = end if end is not None else (None if last == _NOT_YET else last)
    if final is not None:
        places.keep_deadlines(run, engine.advance(final))
    run.problems = list(engine.problems)
    run.looped = bool(engine.quarantined)
    return run


_NOT_YET = -(2**63)  # the stream's time before its first event (and an event's that moves no time)


def _own_events(events: Sequence[Event | dict], part: int, parts: int, skip: frozenset[int],
                run: _PartitionRun, shared: _SharedInstants,
                meet: Callable[[], None]) -> tuple[list[tuple[int, Event]], list]:
    """This partition's events, parsed (the invalid ones refused into `run`), with their indices;
    and the stream's time after each event: the greatest instant so far, where an event skipped, or
    refused before it reaches the engine, moves no time (the single engine's rule; an event another
    partition refuses later is found in the first round and skipped in the second).

    Each partition parses only its own events and writes their instants into `shared`; once all
    have (`meet` returns), each reads every instant from there. The passes over every event are
    whole-list ones (comprehensions, map, accumulate)."""
    owners = [*map(_Owners(parts).__getitem__, [_ticket_of(raw) for raw in events])]
    for i in skip:
        owners[i] = _SKIPPED
    mine: list[tuple[int, Event]] = []
    for i in [i for i, owner in enumerate(owners) if owner == part]:
        raw = events[i]
        try:
            ev = raw if isinstance(raw, Event) else parse_event(raw)
        except EventError as exc:  # fully checked once, here; refused, it moves no time
            run.rejected[i] = (exc.code, str(exc))
            continue
        mine.append((i, ev))
    shared.write(mine)
    meet()
    if part == 0:  # nobody's events (no ticket): partition 0 refuses them; no time moves
        for i in [i for i, owner in enumerate(owners) if owner is None]:
            try:
                parse_event(events[i])
            except EventError as exc:
                run.rejected[i] = (exc.code, str(exc))
    run.own_ids.update(hash(ev.id) for _, ev in mine)
    return mine, list(accumulate(shared.read(), max))


class _SharedInstants:
    """The instants of every partition's own events, in memory shared by the processes of a round
    (an anonymous shared mapping made before the fork): each partition parses only its own events,
    not every event's instant. An event nobody wrote moves no time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffer = mmap.mmap(-1, 8 * max(1, size))  # MAP_SHARED | MAP_ANONYMOUS: seen after fork
        self.buffer.write(_NOT_YET.to_bytes(8, sys.byteorder, signed=True) * size)

    def write(self, mine: list[tuple[int, Event]]) -> None:
        with memoryview(self.buffer) as raw, raw.cast("q") as view:
            for i, ev in mine:
                view[i] = ev.at

    def read(self) -> list[int]:
        with memoryview(self.buffer) as raw, raw.cast("q") as view:
            return view.tolist()[:self.size]

    def close(self) -> None:
        self.buffer.close()


_SKIPPED = -1  # the owner of an event skipped in this round: nobody applies it, it moves no time


def _ticket_of(raw: Any) -> str | None:
    """The event's ticket id, None when it has no string one (nobody's event)."""
    ticket = raw.get("ticket") if raw.__class__ is dict else raw.ticket if isinstance(raw, Event) else (
        raw.get("ticket") if isinstance(raw, dict) else None)
    return ticket if isinstance(ticket, str) else None


class _Owners(dict):
    """ticket -> its partition, computed on first sight; None -> None (nobody's event)."""

    def __init__(self, parts: int) -> None:
        super().__init__()
        self.parts = parts

    def __missing__(self, ticket: str | None) -> int | None:
        owner = self[ticket] = None if ticket is None else partition_of(ticket, self.parts)
        return owner


_action_fields = operator.attrgetter(*ACTION_FIELDS)  # an Action's fields as one tuple, in C


def _to_wire(run: _PartitionRun) -> bytes:
    """A run as marshal bytes, actions as plain field tuples (several times cheaper than pickling
    objects, and the parent waits for this)."""
    fields = [_action_fields(action) for action in run.actions]
    return marshal.dumps((fields, run.places, run.traces, run.trace_places, run.rejected, run.duplicates,
                          run.problems, array("q", run.own_ids).tobytes(), run.looped, run.late))


def _from_wire(data: bytes) -> _PartitionRun:
    fields, places, traces, trace_places, rejected, duplicates, problems, own_ids, looped, late = marshal.loads(data)
    return _PartitionRun([Action(*f) for f in fields], places, traces, trace_places, rejected, duplicates, problems,
                         set(array("q", own_ids)), looped, late)


def _spool() -> BinaryIO:
    """A file in memory where the system has them (Linux memfd), else a temporary file."""
    try:
        return os.fdopen(os.memfd_create("obligo-partition", os.MFD_CLOEXEC), "w+b")
    except (AttributeError, OSError):  # not Linux, or memfd refused (e.g. by a sandbox)
        return tempfile.TemporaryFile()


def _child(conn: Any, go: Any, spool: BinaryIO, shared: _SharedInstants, *args: Any) -> None:
    """Entry point of a forked partition. Says "in" once its own instants are in `shared` and waits
    for "go" (every partition's are); at the end writes the run to `spool` and says "ok", or sends
    the error that stopped it. (A file the parent reads once is several times faster than ~14 MB
    through a pipe, whose 64 KB buffer makes the two processes take turns.)"""
    gc.disable()  # a short-lived copy of the parent: see engine.collector

    def meet() -> None:
        conn.send_bytes(b"in")
        go.recv_bytes()  # EOFError when the parent failed meanwhile: this partition stops too

    try:
        spool.write(_to_wire(_run_partition(*args, shared, meet)))  # type: ignore[call-arg]  # args: its 7 leading parameters
        spool.flush()
        conn.send_bytes(b"ok")
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send_bytes(b"er" + traceback.format_exc().encode("utf-8", "replace"))
    finally:
        conn.close()


def _run_all(contracts: dict[str, CompiledContract], events: Sequence[Event | dict], parts: int, skip: frozenset[int],
             end: int | None, trace: bool) -> list[_PartitionRun]:
    """Partitions 1.. in forked processes (they inherit the events: nothing is copied), 0 in this one."""
    ctx = multiprocessing.get_context("fork")
    with ExitStack() as stack:
        shared = _SharedInstants(len(events))
        stack.callback(shared.close)
        children: list[tuple[Any, Any, Any, BinaryIO]] = []
        stack.push(lambda kind, *_: _reap(children, failed=kind is not None))  # no child outlives this
        for part in range(1, parts):
            receive, send = ctx.Pipe(duplex=False)
            go_receive, go = ctx.Pipe(duplex=False)
            spool = stack.enter_context(_spool())
            proc = ctx.Process(target=_child, daemon=True,
                               args=(send, go_receive, spool, shared, contracts, events, part, parts, skip, end, trace))
            proc.start()
            send.close()
            go_receive.close()
            children.append((proc, receive, go, spool))

        def meet() -> None:
            """Wait until every child wrote its instants (one that failed first makes this raise),
            then let them all go on."""
            for part, (proc, receive, _, _) in enumerate(children, start=1):
                _expect(b"in", _status(proc, receive), part, parts)
            for _, _, go, _ in children:
                go.send_bytes(b"go")

        runs = [_run_partition(contracts, events, 0, parts, skip, end, trace, shared, meet)]
        for part, (proc, receive, _, spool) in enumerate(children, start=1):
            _expect(b"ok", _status(proc, receive), part, parts)
            spool.seek(0)
            runs.append(_from_wire(spool.read()))  # while the child exits (joined by _reap)
    return runs


def _status(proc: Any, receive: Any) -> bytes:
    """The next message of a child: b"in", b"ok", or b"er" + what stopped it."""
    try:
        return receive.recv_bytes()
    except EOFError:
        proc.join()
        return b"er" + f"exited with code {proc.exitcode} before reporting".encode()


def _expect(want: bytes, status: bytes, part: int, parts: int) -> None:
    if status != want:
        raise RuntimeError(f"partition {part} of {parts} failed: {status[2:].decode('utf-8', 'replace')}")


def _reap(children: list, failed: bool) -> None:
    """Close each child's pipes and wait for it; stop first the ones still running when this run
    failed (an error here, or in another partition), so that no child outlives `_run_all`."""
    for proc, receive, go, _ in children:
        receive.close()
        go.close()
        if failed and proc.is_alive():
            proc.terminate()
        proc.join()


def _merged(runs: list[_PartitionRun], parts: int, rounds: int) -> Evaluation:
    """One Evaluation from the runs: placed items sorted by place (a lone run is in order already)."""
    if len(runs) == 1 and parts == 1:
        actions, traces = runs[0].actions, runs[0].traces
    else:
        actions = _in_place_order([run.actions for run in runs], [run.places for run in runs])
        traces = _in_place_order([run.traces for run in runs], [run.trace_places for run in runs])
    rejected, duplicates = _refusals(runs)
    problems = [problem for run in runs for problem in run.problems]
    return Evaluation(actions, traces, rejected, duplicates, problems, parts, rounds)


def _in_place_order(items: list[list], places: list[list]) -> list:
    """The items of all partitions in the order of their places (a stable sort: see _Places)."""
    every = [item for part in items for item in part]
    where = [place for part in places for place in part]
    return [every[k] for k in sorted(range(len(where)), key=where.__getitem__)]


def _refusals(runs: list[_PartitionRun]) -> tuple[dict[int, tuple[str, str]], list[int]]:
    """The refused events of all runs: (index -> (code, reason), in index order), duplicate indices."""
    rejected = dict(sorted((i, reason) for run in runs for i, reason in run.rejected.items()))
    return rejected, sorted(i for run in runs for i in run.duplicates)


def _ids_shared(runs: list[_PartitionRun]) -> bool:
    """Whether an event id belongs to events of two partitions (duplicates are stream-wide)."""
    return sum(len(run.own_ids) for run in runs) != len(set().union(*(run.own_ids for run in runs)))


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def evaluate(contracts: dict[str, CompiledContract], events: Sequence[Event | dict], *, jobs: int = 1,
             end: int | None = None, trace: bool = False) -> Evaluation:
    """Evaluate `events` (in time order) as one `Engine` would, using up to `jobs` processes.

    `end`: advance to this instant after the last event (default: the instant of the last event
    accepted). The result is the same for every `jobs`; `partitions` says how many were used
    (1 where fork is unavailable, for one job, or after a fallback: see the module docstring).
    With jobs > 1 the process forks: call it while no other thread of the program is running
    (a lock held by another thread at the fork stays held in the child).
    """
    parts = max(1, int(jobs)) if fork_available() else 1
    with collector_paused():
        return _evaluate(contracts, events, parts, end, trace)


def _evaluate(contracts: dict[str, CompiledContract], events: Sequence[Event | dict], parts: int, end: int | None,
              trace: bool) -> Evaluation:
    if parts == 1:
        return _merged([_run_alone(contracts, events, end, trace)], 1, 1)
    runs = _run_all(contracts, events, parts, frozenset(), end, trace)
    if _ids_shared(runs) or any(run.looped or run.late for run in runs):
        return _merged([_run_alone(contracts, events, end, trace)], 1, 2)
    refused = frozenset(i for run in runs for i in (*run.rejected, *run.duplicates))
    if not refused:
        return _merged(runs, parts, 1)
    # Refused events move no time in the single engine: skip them everywhere, keep their reasons.
    again = _run_all(contracts, events, parts, refused, end, trace)
    if any(run.looped or run.rejected or run.duplicates for run in again):  # not expected: be safe
        return _merged([_run_alone(contracts, events, end, trace)], 1, 3)
    result = _merged(again, parts, 2)
    result.rejected, result.duplicates = _refusals(runs)
    return result


__all__ = ["Evaluation", "evaluate", "fork_available", "partition_of"]

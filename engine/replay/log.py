"""Replay a JSONL event log: order by time (stable), evaluate, write actions, count and keep rejects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from engine.model.actions import Action
from engine.model.events import EventError
from engine.model.external import RUN_SIZE, Runs, external_sort
from engine.model.jsonio import Text
from engine.replay.lines import (  # re-exported: the names callers have always imported from here
    Reject,
    ReplayStats,
    encoding_reason,
    iter_log,
    read_events,
    read_line,
    read_log,
    shown,
)
from engine.replay.records import OutOfOrder
from engine.replay.sort import in_time_order, rewindable
from engine.runtime.engine import DuplicateEvent, Engine

WRITE_BATCH = 1024  # actions turned into JSON and written at a time (_Writer)


def replay(engine: Engine, lines: Iterable[Text], out: IO[str], rejects_out: IO[str] | None = None,
           until: int | None = None, jobs: int = 1, *, ordered: bool | None = None,
           run_size: int = RUN_SIZE, spool_dir: str | None = None, scheduler: str | None = None) -> ReplayStats:
    """Evaluate a whole log (lines of text or of bytes); rejects never stop the stream. Output is
    byte-identical across runs, and across `jobs`.

    With one process, memory does not follow the log's length: a log in time order (found by a
    cheap first pass, engine.replay.sort.in_time_order, or promised by `ordered=True`, then checked
    as it is read: OutOfOrder) is evaluated as it is read, actions and rejects written as they come;
    any other log is sorted out of core (runs of `run_size` events in temporary files under
    `spool_dir`, then merged), as is every log with `ordered=False`. Rejects are written in line
    order either way.

    `jobs` > 1, or a Dask `scheduler` address: the log is partitioned by ticket into files under
    `spool_dir` and evaluated on a Dask cluster (a local one of `jobs` processes, or the scheduler's;
    engine.replay.distributed, docs/SCALE.md); needs the optional `dask` extra."""
    if jobs > 1 or scheduler is not None:
        return _replay_partitioned(engine, lines, out, rejects_out, until, jobs, scheduler, spool_dir)
    stats = ReplayStats()
    release: Callable[[], None] = lambda: None  # noqa: E731
    try:
        if ordered is None:
            again, release = rewindable(lines, spool_dir)
            ordered = in_time_order(again())
            lines = again()
        write = _Writer(out, stats)
        try:
            if ordered:
                _replay_in_order(engine, lines, write, rejects_out, until, stats)
            else:
                _replay_sorted(engine, lines, write, rejects_out, until, stats, run_size, spool_dir)
        finally:
            write.flush()  # what came before a failure is written, as it was one batch at a time
    finally:
        release()
    return stats


class _Writer:
    """Writes actions as they are produced, `WRITE_BATCH` at a time, and counts them in the stats.

    Turning actions into JSON a thousand at a time rather than between two events keeps that code
    and its data in the processor's caches: on the 156k-event log the replay took 0.4-0.6 s less
    (5.9-6.2 s -> 5.4-5.7 s in one process, the same bytes). `flush` before anything else is
    written that must come after these actions (a reject), and at the end."""

    def __init__(self, out: IO[str], stats: ReplayStats) -> None:
        self.out = out
        self.stats = stats
        self.pending: list[Action] = []

    def __call__(self, actions: list[Action]) -> None:
        self.pending += actions
        if len(self.pending) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        """The pending actions' lines written, and counted with the counts read and set once a
        batch (ReplayStats stays interpreted: each attribute access there is a dictionary look-up).
        One write per line, not one of the batch joined: a single non-ASCII character (a reason's
        arrow) makes the joined text wide, and encoding it costs three times what the lines did."""
        actions, self.pending = self.pending, []
        if not actions:
            return
        stats = self.stats
        by_action, by_contract, breaches = stats.by_action, stats.by_contract, stats.breaches
        lines = []
        for action in actions:
            lines.append(action.to_json() + "\n")
            kind, contract = action.action, action.contract
            by_action[kind] = by_action.get(kind, 0) + 1
            key = (kind, contract)
            by_contract[key] = by_contract.get(key, 0) + 1
            if kind == "breach":
                clock = (contract, action.clock or "")
                breaches[clock] = breaches.get(clock, 0) + 1
        self.out.writelines(lines)
        stats.actions += len(actions)


def _count_reject(stats: ReplayStats, reject: Reject, rejects_out: IO[str] | None, write: _Writer) -> None:
    write.flush()  # the actions before it are written first (the rejects may go to the same stream)
    stats.rejects += 1
    stats.by_reject[reject.code] = stats.by_reject.get(reject.code, 0) + 1
    if rejects_out is not None:
        rejects_out.write(reject.to_json() + "\n")


def _evaluate(engine: Engine, item: tuple[int, int, Any, str], write: _Writer, stats: ReplayStats) -> Reject | bool:
    """One event through the engine: True when evaluated, False for a duplicate, the engine's
    refusal as a Reject (not yet counted)."""
    _, number, event, text = item
    try:
        write(engine.process(event))
    except DuplicateEvent:
        stats.duplicates += 1
        return False
    except EventError as exc:
        return Reject(number, exc.code, str(exc), text)
    stats.events += 1
    return True


def _replay_in_order(engine: Engine, lines: Iterable[Text], write: _Writer, rejects_out: IO[str] | None,
                     until: int | None, stats: ReplayStats) -> None:
    """Read, check the order, evaluate and write, one line at a time: the rejects come in line order."""
    last = previous = None
    for item in iter_log(lines):
        stats.lines += 1
        if isinstance(item, Reject):
            _count_reject(stats, item, rejects_out, write)
            continue
        at = item[0]
        if previous is not None and at < previous:
            raise OutOfOrder(f"line {item[1]}: the event is earlier than the one before it")
        previous = at
        if until is not None and at > until:
            stats.after_until += 1
            continue
        result = _evaluate(engine, item, write, stats)
        if result is True:
            last = at
        elif isinstance(result, Reject):
            _count_reject(stats, result, rejects_out, write)
    _finish(engine, write, until, last)


def _replay_sorted(engine: Engine, lines: Iterable[Text], write: _Writer, rejects_out: IO[str] | None,
                   until: int | None, stats: ReplayStats, run_size: int, spool_dir: str | None) -> None:
    """Sort the events out of core, evaluate them in time order, then write the rejects (the
    reading's and the engine's, sorted out of core too) in line order."""
    rejects: Runs[Reject] = Runs(_line, run_size, spool_dir)

    def events() -> Iterator[tuple[int, int, Any, str]]:
        for item in iter_log(lines):
            stats.lines += 1
            if isinstance(item, Reject):
                rejects.add(item)
            elif until is not None and item[0] > until:
                stats.after_until += 1
            else:
                yield item

    try:
        last = None
        for item in external_sort(events(), _time_line, run_size, spool_dir):
            result = _evaluate(engine, item, write, stats)
            if result is True:
                last = item[0]
            elif isinstance(result, Reject):
                rejects.add(result)
        _finish(engine, write, until, last)
        for reject in rejects.ordered():
            _count_reject(stats, reject, rejects_out, write)
    finally:
        rejects.close()


def entries_in_time_order(again: Callable[[], Iterable[Text]], on_reject: Callable[[Reject], None],
                          run_size: int = RUN_SIZE, spool_dir: str | None = None) -> Iterator[tuple[int, int, Any, str]]:
    """The events of a log that can be read again (`again`, from engine.replay.sort.rewindable) as
    (at, line number, event, text), in (time, line) order, in bounded memory: read as they come when
    a first pass finds the log in time order, else sorted out of core. The lines that are not events
    go to `on_reject` as they are read (sorted logs: all of them before the first event comes)."""

    def events() -> Iterator[tuple[int, int, Any, str]]:
        for item in iter_log(again()):
            if isinstance(item, Reject):
                on_reject(item)
            else:
                yield item

    if in_time_order(again()):
        yield from events()
    else:
        yield from external_sort(events(), _time_line, run_size, spool_dir)


def _finish(engine: Engine, write: _Writer, until: int | None, last: int | None) -> None:
    end = until if until is not None else last
    if end is not None:
        write(engine.advance(end))
    write.flush()


def _time_line(item: tuple[int, int, Any, str]) -> tuple[int, int]:
    return item[0], item[1]


def _line(reject: Reject) -> int:
    return reject.line


def _replay_partitioned(engine: Engine, lines: Iterable[Text], out: IO[str], rejects_out: IO[str] | None,
                        until: int | None, jobs: int, scheduler: str | None, spool_dir: str | None) -> ReplayStats:
    """`--jobs N` / `--scheduler`: engine.replay.distributed (imported here: Dask only when asked for)."""
    from engine.replay.distributed import replay_distributed

    return replay_distributed(engine, lines, out, rejects_out, until, jobs, scheduler, spool_dir)


__all__ = ["OutOfOrder", "Reject", "ReplayStats", "encoding_reason", "entries_in_time_order", "iter_log", "read_events",
           "read_line", "read_log", "replay", "shown"]

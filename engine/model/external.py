"""Stable sorting in bounded memory: sorted runs of items pickled to temporary files, then merged.

Used wherever something that grows with the input must be put in order: a replay's log out of time
order (engine.replay), an export's rows by ticket and its events by time (engine.ingest). The items
are pickled, so anything picklable will do; ties keep the order in which items were added.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Final, Generic, TypeVar

T = TypeVar("T")

SPILL_BATCH: Final = 512  # items per pickle in a spilled run (_spill): a merge holds one batch per run
RUN_SIZE: Final = 20_000  # items held in memory per sorted run (a parsed event and its text: ~1 KB each)


def unpickled(handle: IO[bytes]) -> Iterator[Any]:
    load = pickle.load
    while True:
        try:
            yield load(handle)
        except EOFError:
            return


class Runs(Generic[T]):
    """Items added one by one, given back ordered by `key` (stably) holding at most `run_size` of
    them in memory, plus one per run while merging: each full run is sorted and pickled to its own
    temporary file, and the runs are merged by `heapq.merge`. One run is never written out. `close`
    deletes the files (`ordered` does when it is exhausted)."""

    def __init__(self, key: Callable[[T], Any], run_size: int = RUN_SIZE, spool_dir: str | None = None) -> None:
        if run_size < 1:
            raise ValueError(f"run_size must be at least 1, got {run_size}")
        self.key = key
        self.run_size = run_size
        self.spool_dir = spool_dir
        self.buffer: list[T] = []
        self.files: list[IO[bytes]] = []

    def add(self, item: T) -> None:
        self.buffer.append(item)
        if len(self.buffer) >= self.run_size:
            self.buffer.sort(key=self.key)
            self.files.append(_spill(self.buffer, self.spool_dir))
            self.buffer = []

    def ordered(self) -> Iterator[T]:
        try:
            self.buffer.sort(key=self.key)
            if not self.files:
                yield from self.buffer
                return
            if self.buffer:
                self.files.append(_spill(self.buffer, self.spool_dir))
            self.buffer = []
            for handle in self.files:
                handle.seek(0)
            yield from heapq.merge(*(_unpickled_batches(handle) for handle in self.files), key=self.key)
        finally:
            self.close()

    def close(self) -> None:
        self.buffer = []
        for handle in self.files:
            handle.close()
        self.files = []


def external_sort(items: Iterable[T], key: Callable[[T], Any], run_size: int = RUN_SIZE,
                  spool_dir: str | None = None) -> Iterator[T]:
    """`items` ordered by `key`, stably, in bounded memory (`Runs`)."""
    runs = Runs(key, run_size, spool_dir)
    try:
        for item in items:
            runs.add(item)
        yield from runs.ordered()
    finally:
        runs.close()


def _spill(run: Sequence[T], spool_dir: str | None) -> IO[bytes]:
    """A sorted run pickled to a temporary file, `SPILL_BATCH` items per pickle: a pickle shares what
    its items share (a time zone, a repeated string), and there are fewer calls."""
    handle = tempfile.TemporaryFile(dir=spool_dir)
    for start in range(0, len(run), SPILL_BATCH):
        pickle.dump(list(run[start:start + SPILL_BATCH]), handle, pickle.HIGHEST_PROTOCOL)
    return handle


def _unpickled_batches(handle: IO[bytes]) -> Iterator[Any]:
    """The items of a run `_spill` wrote, in order, one batch in memory at a time."""
    for batch in unpickled(handle):
        yield from batch

"""A log file that reports how far it has been read, for `obligo replay`'s progress bar.

Replay reads a file twice when it can (a cheap check of the time order, then the evaluation:
engine.replay.log.replay), so the bar counts both passes: one bar over twice the file's bytes,
moving forward only. It stays seekable, so replay still rewinds it instead of copying it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

EVERY = 4096  # lines between two updates of the bar: drawing is far dearer than counting


class ProgressFile:
    """Iterates the lines of a binary file and calls `update(bytes read, all passes)`."""

    def __init__(self, handle: IO[bytes], update: Callable[[int], None]) -> None:
        self._handle = handle
        self._update = update
        self._done = 0  # bytes of the passes before this one
        self._start = handle.tell()

    def seekable(self) -> bool:
        return self._handle.seekable()

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._done += self._handle.tell() - self._start  # a rewind starts another pass
        return self._handle.seek(offset, whence)

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        for n, line in enumerate(self._handle, start=1):
            read += len(line)
            if n % EVERY == 0:
                self._update(self._done + read)
            yield line
        self._update(self._done + read)

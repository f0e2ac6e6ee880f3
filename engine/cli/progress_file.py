"""A log file that reports how far it has been read, for `obligo replay`'s progress bar.

Replay reads a file twice when it can (a cheap check of the time order, then the evaluation:
engine.replay.log.replay), so the bar counts both passes: one bar over twice the file's bytes,
moving forward only. It stays seekable, so replay still rewinds it instead of copying it.

It is a binary stream (`io.BufferedIOBase`), so the replay reads it in blocks of lines as it reads
a plain file (engine.replay.lines.iter_blocks): as a line iterator, it made a replay on a terminal
a quarter slower than the same replay with its standard error redirected (156k-event log, pure
build: 7.7-7.9 s against 6.2-6.3 s).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import IO, Any

EVERY = 4096  # lines between two updates of the bar when iterated by line: drawing is far dearer than counting


class ProgressFile(io.BufferedIOBase):
    """The bytes of a binary file, calling `update(bytes read, all passes)` after each read (a
    block, as a rule) and every `EVERY` lines when iterated by line."""

    def __init__(self, handle: IO[bytes], update: Callable[[int], None]) -> None:
        super().__init__()
        self._handle = handle
        self._update = update
        self._done = 0  # bytes of the passes before this one
        self._start = handle.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._handle.seekable()

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._done += self._handle.tell() - self._start  # a rewind starts another pass
        return self._handle.seek(offset, whence)

    def _report(self) -> None:
        self._update(self._done + self._handle.tell() - self._start)

    def read(self, size: int | None = -1) -> bytes:
        data = self._handle.read(-1 if size is None else size)
        self._report()
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        return self._handle.readline(-1 if size is None else size)

    def __iter__(self) -> Iterator[bytes]:
        for n, line in enumerate(self._handle, start=1):
            if n % EVERY == 0:
                self._report()
            yield line
        self._report()

"""Out-of-core ordering for replay: is a log already in time order, and a stable external sort.

`in_time_order` is a cheap pass over the lines that decides, before anything is evaluated, whether
a log can be evaluated as it is read (no output can be taken back once written). `external_sort`
(engine.model.external) orders any number of items in bounded memory: sorted runs of at most
`run_size` items are pickled to temporary files, then merged with `heapq.merge` (stable: ties keep
the order of the runs, which is the input order).
"""

from __future__ import annotations

import io
import itertools
import operator
import pickle
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar, cast

from engine.model.events import EventError, parse_instant, parse_json
from engine.model.external import unpickled
from engine.model.jsonio import Text
from engine.replay.lines import BLOCK, BinaryFile, block_lines, line_blocks

T = TypeVar("T")


# The top-level "at" of a line written without escapes: `"at"` occurs once, then its string value.
_AT_TEXT: Final = re.compile(r'"at"[ \t\r\n]*:[ \t\r\n]*"([^"]*)"')
_AT_BYTES: Final = re.compile(rb'"at"[ \t\r\n]*:[ \t\r\n]*"([^"]*)"')
# The same over a block of lines, each match running on to its line's end: a line gives one match at
# most, so a line with a second `"at"` has fewer matches than `"at"`s (block_instants).
_AT_IN_BLOCK: Final = re.compile(r'"at"[ \t\r]*:[ \t\r]*"([^"\n]*)"[^\n]*')


def instant_of(line: Text) -> int | None:
    """The `at` of a line that may be a valid event, or None for a line that certainly is not one
    (or is blank). Exact for every valid event line: a line without a backslash in which `"at"`
    occurs once has its top-level key there; any other line is decoded in full (parse_json)."""
    if isinstance(line, str):
        if "\\" not in line and line.count('"at"') == 1 and (match := _AT_TEXT.search(line)):
            text: str | None = match.group(1)
        else:
            text = None
    else:
        if b"\\" not in line and line.count(b'"at"') == 1 and (bmatch := _AT_BYTES.search(line)):
            try:
                text = bmatch.group(1).decode("utf-8")
            except UnicodeDecodeError:
                return None
        else:
            text = None
            try:
                line = bytes(line).decode("utf-8")
            except UnicodeDecodeError:
                return None
    try:
        if text is None:
            assert isinstance(line, str)
            if not line.strip(" \t\r\n"):
                return None
            obj = parse_json(line.rstrip("\r\n"))
            if not isinstance(obj, dict) or "at" not in obj:
                return None
            return parse_instant(obj["at"])
        return parse_instant(text)
    except EventError:
        return None


def in_time_order(lines: Iterable[Text]) -> bool:
    """True when the instants of the lines that may be events never go back in time; stops at the
    first that does. A line counted here that later turns out to be a reject can only make this
    say False (the log is then sorted, which gives the same output), never wrongly True. A binary
    file is read in blocks of lines (`block_instants`): the same instants, found with less work."""
    if isinstance(lines, (io.BufferedIOBase, io.RawIOBase)):
        return blocks_in_time_order(lines)
    last = None
    for line in lines:
        at = instant_of(line)
        if at is None:
            continue
        if last is not None and at < last:
            return False
        last = at
    return True


def block_instants(block: bytes) -> list[int] | None:
    """`instant_of` of each line of a `line_blocks` block, the Nones left out, found over the whole
    block at once when it allows (else None, and the caller asks line by line): when the block is
    UTF-8 without a backslash and has as many `_AT_IN_BLOCK` matches as `"at"`s (so each line holds
    `"at"` once at most, as a key with a string value), each line's instant is its match's, and a
    line without `"at"` has none: exactly what `instant_of` finds line by line."""
    if b"\\" in block:
        return None
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    values = _AT_IN_BLOCK.findall(text)
    if len(values) != text.count('"at"'):
        return None
    try:
        return list(map(parse_instant, values))  # every one valid, as a rule
    except EventError:
        pass
    instants = []
    for value in values:
        try:
            instants.append(parse_instant(value))
        except EventError:
            pass
    return instants


def blocks_in_time_order(handle: BinaryFile, size: int = BLOCK) -> bool:
    """`in_time_order` of a binary file, read in blocks of about `size` bytes (line_blocks)."""
    last: int | None = None
    for block in line_blocks(handle, size):
        instants = block_instants(block)
        if instants is None:
            instants = [at for at in map(instant_of, block_lines(block)) if at is not None]
        if not instants:
            continue
        if last is not None and instants[0] < last:
            return False
        if not all(map(operator.le, instants, itertools.islice(instants, 1, None))):
            return False
        last = instants[-1]
    return True


def rewindable(lines: Iterable[T], spool_dir: str | None = None) -> tuple[Callable[[], Iterable[T]], Callable[[], None]]:
    """A way to read `lines` twice (a check, then the replay) and a function that releases what it
    took: a list or tuple as it is; a seekable file from where it stands; anything else (standard
    input, a generator) copied to a temporary file first: a binary stream's bytes as they are (then
    read in blocks, as a file is), other items one by one (pickled, so exactly)."""
    if isinstance(lines, Sequence):
        return (lambda: lines), (lambda: None)
    seekable = getattr(lines, "seekable", None)
    if seekable is not None and seekable():
        handle: Any = lines
        start = handle.tell()

        def again() -> Iterable[T]:
            handle.seek(start)
            return handle

        return again, (lambda: None)
    spool = tempfile.TemporaryFile(dir=spool_dir)
    if isinstance(lines, (io.BufferedIOBase, io.RawIOBase)):  # standard input: its bytes as they are
        shutil.copyfileobj(lines, spool, BLOCK)  # (then read in blocks, as a file is)

        def copied() -> Iterable[T]:
            spool.seek(0)
            return cast("Iterable[T]", spool)

        return copied, spool.close
    for line in lines:
        pickle.dump(line, spool, pickle.HIGHEST_PROTOCOL)

    def unspooled() -> Iterable[T]:
        spool.seek(0)
        return unpickled(spool)

    return unspooled, spool.close

"""Reading a JSONL event log: each line to an event or a located reject, and the replay's counts.

Apart from the replay itself (engine.replay.log) because both one process and the partitions of
`--jobs` (engine.replay.distributed) read lines exactly this way, and the partitioned replay is
called from the replay: this module is what both stand on, with no import cycle.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final

from engine.model.events import EventError, parse_event, parse_json, parse_json_line
from engine.model.jsonio import Text, has_long_number
from engine.replay.records import Reject, ReplayStats  # re-exported: where callers have always imported them from

BLOCK: Final = 1 << 20  # bytes read at a time from a binary log (line_blocks)
BinaryFile = IO[bytes] | io.BufferedIOBase | io.RawIOBase  # what iter_log reads in blocks


def read_log(lines: Iterable[Text]) -> tuple[list[tuple[int, int, Any, str]], list[Reject]]:
    """Parse every line (text, or bytes decoded here line by line, so that one bad byte costs only its
    own line); returns ((at, line number, event, text), ...) sorted stably by time, and the rejects."""
    good: list[tuple[int, int, Any, str]] = []
    rejects: list[Reject] = []
    for item in iter_log(lines):
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            good.append(item)
    good.sort(key=lambda item: (item[0], item[1]))
    return good, rejects


def iter_log(lines: Iterable[Text]) -> Iterator[tuple[int, int, Any, str] | Reject]:
    """`read_log` one line at a time, in the order of the input: (at, line number, event, text) for
    an event, a `Reject` for a line that is not one; blank lines give nothing. A binary file is read
    in blocks of whole lines (`iter_blocks`): the same items, with less work per line."""
    if isinstance(lines, (io.BufferedIOBase, io.RawIOBase)):
        yield from iter_blocks(lines)
        return
    for number, raw in enumerate(lines, start=1):
        item = read_line(number, raw)
        if item is not None:
            yield item


def read_line(number: int, raw: Text) -> tuple[int, int, Any, str] | Reject | None:
    """One line of a log (`iter_log`): (at, number, event, text), a `Reject`, or None when blank.
    Also what a partition of `--jobs` reads its own lines with (engine.replay.distributed)."""
    if isinstance(raw, str):
        text = raw.rstrip("\r\n")
    else:
        raw = bytes(raw).rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Reject(number, "invalid-encoding", encoding_reason(raw, exc), shown(raw))
    if not text.strip(" \t\r\n"):  # blank: JSON's whitespace only (a line of U+00A0 is a reject)
        return None
    try:
        event = parse_event(parse_json(text))
    except EventError as exc:
        return Reject(number, exc.code, str(exc), text if exc.code != "invalid-encoding" else shown(text))
    return (event.at, number, event, text)


def line_blocks(handle: BinaryFile, size: int = BLOCK) -> Iterator[bytes]:
    """The bytes of a binary file from where it stands, in blocks of about `size` bytes that hold
    whole lines (each ends with a newline, but perhaps the file's last one): the lines iterating the
    file gives, `block_lines` apart."""
    rest = b""
    while block := handle.read(size):
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest += block
            continue
        yield rest + block[:cut]
        rest = block[cut:]
    if rest:
        yield rest


def block_lines(block: bytes | str) -> list[Any]:
    """The lines of a `line_blocks` block (bytes, or its text), each without its newline."""
    if isinstance(block, bytes):
        lines: list[Any] = block.split(b"\n")
        ends = block.endswith(b"\n")
    else:
        lines = block.split("\n")
        ends = block.endswith("\n")
    if ends:
        lines.pop()  # the empty text after the last newline is not a line
    return lines


def iter_blocks(handle: BinaryFile, size: int = BLOCK) -> Iterator[tuple[int, int, Any, str] | Reject]:
    """`iter_log` of a binary file, a block of lines at a time: each block's lines are all read
    (`_block_items`), then handed on, which keeps the reading code in the processor's caches
    between the evaluations; what is held is one block's events (~3,500 of 300 bytes)."""
    number = 0
    for block in line_blocks(handle, size):
        items, number = _block_items(block, number)
        yield from items


def _block_items(block: bytes, number: int) -> tuple[list[tuple[int, int, Any, str] | Reject], int]:
    """The items of the lines of a block whose first line is line `number + 1`, and the number of its
    last line. A block that is valid UTF-8 (as a rule) is decoded in one call, with no lone surrogate
    possible, and looked at once for a run of 19 digits; without one, each line's JSON is orjson's
    reading (parse_json_line). Any other block is read line by line (read_line): the same items."""
    items: list[tuple[int, int, Any, str] | Reject] = []
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        for raw in block_lines(block):
            number += 1
            item = read_line(number, raw)
            if item is not None:
                items.append(item)
        return items, number
    exact = not has_long_number(block)  # orjson's reading is the json module's (parse_json_line)
    for line in block_lines(text):
        number += 1
        line = line.rstrip("\r")  # (read_line's rstrip of "\r\n": the newline is gone already)
        if not (line.startswith("{") or line.strip(" \t\r\n")):  # blank (an event starts with "{")
            continue
        try:  # (two direct calls rather than one through a variable: native calls in the compiled build)
            event = parse_event(parse_json_line(line) if exact else parse_json(line))
        except EventError as exc:
            items.append(Reject(number, exc.code, str(exc), line))  # valid UTF-8: never shown() (read_line's test)
            continue
        items.append((event.at, number, event, line))
    return items, number


def read_events(events: Iterable[dict[str, Any]]) -> tuple[list[tuple[int, int, Any, str]], list[Reject]]:
    """`read_log` for events already decoded (an importer's dicts, in the order it would write them):
    the same checks and the same result, without printing each event as JSON and parsing it back
    (the text kept for a reject is the JSON line `obligo import` would write)."""
    good: list[tuple[int, int, Any, str]] = []
    rejects: list[Reject] = []
    for number, raw in enumerate(events, start=1):
        text = json.dumps(raw, ensure_ascii=False)
        try:
            event = parse_event(raw)
        except EventError as exc:
            rejects.append(Reject(number, exc.code, str(exc), text))
            continue
        good.append((event.at, number, event, text))
    good.sort(key=lambda item: (item[0], item[1]))
    return good, rejects


def encoding_reason(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Which bytes of a line are not UTF-8 and where (offset from 0 in the line's bytes)."""
    return f"not UTF-8: byte(s) {raw[exc.start:exc.end].hex(' ')} at offset {exc.start} ({exc.reason})"


def shown(raw: bytes | str) -> str:
    """A line that is not Unicode text as text the rejects file can hold: each bad byte (or lone
    surrogate) as a backslash escape, the rest as it was."""
    if isinstance(raw, str):
        return raw.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


__all__ = ["BLOCK", "BinaryFile", "Reject", "ReplayStats", "block_lines", "encoding_reason", "iter_blocks", "iter_log",
           "line_blocks", "read_events", "read_line", "read_log", "shown"]

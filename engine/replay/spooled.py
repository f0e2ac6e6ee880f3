"""The per-line and per-record work of a partitioned replay (`--jobs`, engine.replay.distributed):
the client's pass spooling the log to one file per partition, a task reading its lines back and
writing its results, and the client reading them to merge them.

Apart from the Dask orchestration because these loops run once per line or per action, on the
client (whose pass and merge nobody shares) and on the workers, and the compiled build compiles
this module (buildtools/compiled.txt) but not the orchestration, whose job description must pickle.

Spool files: a partition file holds its lines in stream order, each as `HEAD` (ordinal among the
events, line number, byte length) then the raw line; `instants-R` is the array of the stream's
instants for round R (8 bytes an event), `rank` the position in the stream of each ordinal when the
log is not in time order. A result file is frames (`FRAME`: byte length) of marshal'd or pickled
lists of (place..., seq, item) records, sorted.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from engine.model.events import EventError, parse_json
from engine.model.jsonio import Text
from engine.replay.lines import BLOCK, block_lines, line_blocks, read_line
from engine.replay.partition import NOT_YET, SKIPPED, partition_of
from engine.replay.records import Reject, Segment
from engine.replay.sort import instant_of

CHUNK = 20_000  # items per marshal/pickle frame of a result file: what the merge holds per partition
BATCH: Final = 4_096  # lines of a line iterable (not a binary file) spooled at a time
HEAD: Final = struct.Struct("<qqI")  # a spooled line: ordinal among the events, line number, byte length
FRAME: Final = struct.Struct("<Q")  # the byte length of a frame of a result file
_TICKET = re.compile(rb'"ticket"[ \t\r\n]*:[ \t\r\n]*"([^"]*)"')


@dataclass
class Spool:
    """What a pass left in the spool directory, and what it found on the way: the client's pass over
    the whole log (`spool_log`: one segment), or the workers' passes over byte ranges of a log file
    (`spool_segment`, one segment each) put together (`joined`)."""

    root: Path
    parts: int
    events: int = 0  # lines handed to partitions (each has an instant): the stream's indices
    lines: int = 0  # lines that are not blank
    ordered: bool = True  # the events' instants never go back: index = ordinal, no rank file
    text: bool = False  # the lines were str (an importer's), spooled as UTF-8 with surrogatepass
    rejects: list[Reject] = field(default_factory=list)  # lines with no instant, rejected here
    instants: array = field(default_factory=lambda: array("q"))  # the first round's, in stream order
    segments: list[tuple[int, int]] = field(default_factory=lambda: [(0, 0)])  # (first ordinal, lines before)


def part_file(root: Path, segment: int, part: int) -> Path:
    return root / f"seg-{segment}-part-{part}"


def ticket_of(line: bytes) -> str | None:
    """The top-level ticket of a line that may be an event, or None (nobody's: certainly refused).
    Exact for every valid event line, as engine.replay.sort.instant_of is for its instant."""
    ticket: Any = None
    if b"\\" not in line and line.count(b'"ticket"') == 1 and (match := _TICKET.search(line)):
        try:
            ticket = match.group(1).decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        try:
            obj = parse_json(line.decode("utf-8"))
        except (UnicodeDecodeError, EventError):
            return None
        ticket = obj.get("ticket") if isinstance(obj, dict) else None
    return ticket if isinstance(ticket, str) and ticket else None


def _line_groups(lines: Iterable[Text]) -> Iterator[list[Any]]:
    """The lines in groups: a binary file's blocks of whole lines (one read and split per MB), or
    `BATCH` items of any other iterable; the same lines, in order, as iterating it."""
    if isinstance(lines, (io.BufferedIOBase, io.RawIOBase)):
        for block in line_blocks(lines):
            yield block_lines(block)
        return
    group: list[Any] = []
    for raw in lines:
        group.append(raw)
        if len(group) >= BATCH:
            yield group
            group = []
    if group:
        yield group


def range_groups(handle: IO[bytes], start: int, end: int) -> Iterator[list[Any]]:
    """The lines of bytes start..end of a file (both at the start of a line, or end at its end), in
    groups of a block's whole lines, as `_line_groups` gives the whole file's."""
    handle.seek(start)
    rest = b""
    left = end - start
    while left > 0 and (block := handle.read(min(BLOCK, left))):
        left -= len(block)
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest += block
            continue
        yield block_lines(rest + block[:cut])
        rest = block[cut:]
    if rest:
        yield block_lines(rest)


def line_starts(handle: IO[bytes], start: int, end: int, count: int) -> list[int]:
    """Up to `count` + 1 offsets cutting bytes start..end of a file into about equal ranges of whole
    lines: `start`, the start of the line after each cut, and `end` (empty ranges dropped)."""
    cuts = [start]
    for k in range(1, count):
        handle.seek(max(start + (end - start) * k // count, cuts[-1]))
        handle.readline()  # to the end of the line the cut falls in
        where = min(handle.tell(), end)
        if where > cuts[-1]:
            cuts.append(where)
    if end > cuts[-1]:
        cuts.append(end)
    return cuts


def spool_log(lines: Iterable[Text], root: Path, parts: int, until: int | None) -> Spool:
    """The client's pass: partition the whole log by ticket into `root` (one segment), and write the
    stream's instants."""
    segment = spool_segment(_line_groups(lines), root, 0, parts, until)
    return joined(root, parts, [segment])


def spool_segment(groups: Iterable[list[Any]], root: Path, number: int, parts: int, until: int | None) -> Segment:
    """Partition lines by ticket into `root`'s part files of segment `number`, numbering its lines and
    events from 1 and 0; its instants and moves (whether each event moves time) go to files."""
    seg = Segment()
    ats, moves = array("q"), bytearray()
    previous = NOT_YET
    line_number = 0
    files = [open(part_file(root, number, p), "wb") for p in range(parts)]  # noqa: SIM115 - closed below, all
    try:
        pack = HEAD.pack
        for group in groups:
            pending: list[list[bytes]] = [[] for _ in range(parts)]  # each file written once a group
            for raw in group:
                line_number += 1
                if isinstance(raw, str):
                    seg.text = True
                    line = raw.encode("utf-8", "surrogatepass").rstrip(b"\r\n")
                else:
                    line = bytes(raw).rstrip(b"\r\n")
                if not line.strip(b" \t\r\n"):  # blank (read_line's test: these bytes are ASCII)
                    continue
                seg.lines += 1
                at = instant_of(line)
                if at is None:  # certainly not an event: its reject, as one process writes it
                    item = read_line(line_number, raw)
                    if isinstance(item, Reject):
                        seg.rejects.append(item)
                        continue
                    at = item[0] if item is not None else NOT_YET  # not expected: then a partition reads it
                ticket = ticket_of(line)
                if not ats:
                    seg.first = at
                if at < previous:
                    seg.ordered = False
                elif at > previous:
                    previous = at
                ats.append(at)
                moves.append(ticket is not None and (until is None or at <= until))
                part = 0 if ticket is None else partition_of(ticket, parts)
                pending[part] += (pack(len(ats) - 1, line_number, len(line)), line)
            for part, pieces in enumerate(pending):
                if pieces:
                    files[part].write(b"".join(pieces))
    finally:
        for handle in files:
            handle.close()
    seg.events, seg.numbered, seg.high = len(ats), line_number, previous
    write_array(root / f"seg-{number}-ats", ats)
    (root / f"seg-{number}-moves").write_bytes(moves)
    return seg


def joined(root: Path, parts: int, segments: list[Segment]) -> Spool:
    """The spool of consecutive segments: their counts summed, their rejects renumbered, whether
    the whole stream is in time order, and the stream's instants (and rank) written."""
    spool = Spool(root, parts, segments=[])
    ats, moves = array("q"), bytearray()
    high, numbered = NOT_YET, 0
    for number, seg in enumerate(segments):
        spool.segments.append((spool.events, numbered))
        if seg.events:
            spool.ordered = spool.ordered and seg.ordered and seg.first >= high
            high = max(high, seg.high)
        spool.events += seg.events
        spool.lines += seg.lines
        spool.text = spool.text or seg.text
        spool.rejects += [dataclasses.replace(r, line=r.line + numbered) if numbered else r for r in seg.rejects]
        numbered += seg.numbered
        ats.extend(read_array(root / f"seg-{number}-ats", seg.events))
        moves += (root / f"seg-{number}-moves").read_bytes()
    if spool.ordered:
        spool.instants = array("q", [at if move else NOT_YET for at, move in zip(ats, moves, strict=True)])
    else:  # stream order: by instant, then line (stable), as one process sorts
        order = sorted(range(len(ats)), key=ats.__getitem__)
        rank = array("q", bytes(8 * len(ats)))
        for position, k in enumerate(order):
            rank[k] = position
        write_array(root / "rank", rank)
        spool.instants = array("q", [ats[k] if moves[k] else NOT_YET for k in order])
    write_array(root / "instants-1", spool.instants)
    return spool


def write_array(path: Path, values: array) -> None:
    with open(path, "wb") as handle:
        values.tofile(handle)


def read_array(path: Path, size: int) -> array:
    values = array("q")
    with open(path, "rb") as handle:
        values.fromfile(handle, size)
    return values


def part_records(root: Path, segments: Sequence[tuple[int, int]], part: int) -> Iterator[tuple[int, int, bytes]]:
    """The (ordinal, line number, raw line) records of a partition, segment after segment, in the
    stream's numbering (`Spool.segments`: each segment's first ordinal and the lines before it)."""
    for number, (first, before) in enumerate(segments):
        yield from records(part_file(root, number, part), first, before)


def records(path: Path, first: int = 0, before: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """The (ordinal + `first`, line number + `before`, raw line) records of a part file, in the
    order written, read a block at a time."""
    size, unpack = HEAD.size, HEAD.unpack_from
    data = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(BLOCK):
            data += chunk
            pos, end = 0, len(data)
            while end - pos >= size:
                k, number, length = unpack(data, pos)
                stop = pos + size + length
                if stop > end:
                    break
                yield k + first, number + before, data[pos + size:stop]
                pos = stop
            data = data[pos:]


class PartReader:
    """A partition's own lines as events, in stream order, read and checked as one process does;
    keeps what it refuses (a reject, or nothing for an event after --until)."""

    def __init__(self, instants: array, until: int | None, text: bool) -> None:
        self.instants = instants
        self.until = until
        self.text = text
        self.rejects: list[Reject] = []
        self.refused: list[int] = []
        self.after_until = 0

    def events(self, items: Iterable[tuple[int, int, bytes]]) -> Iterator[tuple[int, Any]]:
        instants, until, text = self.instants, self.until, self.text
        for i, number, raw in items:
            if instants[i] == SKIPPED:
                continue
            item = read_line(number, raw.decode("utf-8", "surrogatepass") if text else raw)
            if isinstance(item, Reject):
                self.rejects.append(item)
                self.refused.append(i)
            elif item is not None:
                if until is not None and item[0] > until:
                    self.after_until += 1
                else:
                    yield i, item[2]


def write_items(path: Path, items: list, places: list, dumps: Callable[[Any], bytes]) -> None:
    """(place..., seq, item) records sorted by place, in frames. A lone run has no places: its
    items are in order already. `seq` keeps the order of equal places (the same ticket's)."""
    if not places:
        places = [(k,) for k in range(len(items))]
    order = sorted(range(len(items)), key=places.__getitem__)
    with open(path, "wb") as handle:
        for start in range(0, len(order), CHUNK):
            data = dumps([(*places[k], seq, items[k]) for seq, k in enumerate(order[start:start + CHUNK], start)])
            handle.write(FRAME.pack(len(data)) + data)


def frames(path: Path, loads: Callable[[bytes], Any]) -> Iterator[tuple]:
    """The records of a result file, one frame in memory at a time (a frame read whole, then
    loaded from bytes: marshal.load on a file reads it in small pieces, several times slower)."""
    with open(path, "rb") as handle:
        while head := handle.read(FRAME.size):
            yield from loads(handle.read(FRAME.unpack(head)[0]))


__all__ = ["CHUNK", "FRAME", "HEAD", "PartReader", "Segment", "Spool", "frames", "joined", "line_starts",
           "part_file", "part_records", "range_groups", "read_array", "records", "spool_log", "spool_segment",
           "ticket_of", "write_array", "write_items"]

"""The event log of `obligo report` and `obligo diff`: read once in time order, in bounded memory, and
again for a few tickets.

    EVENTS          a JSONL log (a file, `-` for standard input, or a pipe)
    --mapping NAME  an export through an import mapping (engine.ingest.import_stream), its event lines
                    kept in a temporary file and read as a log file is

A log file is read as it comes when a first pass finds it in time order, else sorted out of core
(engine.replay.log.entries_in_time_order), so memory does not follow its length. Standard input and
pipes cannot be read twice: they are copied to a temporary file as they are hashed, and the hash is
what the provenance states.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import ExitStack
from typing import IO, Any

from engine.model.paths import is_file


class LogInput:
    """The events as a command reads them: once in time order (`entries`: a log file read as it
    comes or sorted out of core; an import's events in memory, as the importer gives them), the
    rejects found on the way (complete once `entries` is read), and `of_tickets`: the events of some
    tickets again, in time order, for what is shown per ticket."""

    def __init__(self, entries: Iterable[Any], rejects: list[Any], of_tickets: Callable[[AbstractSet[str]], list[Any]],
                 import_rejects: list[str], digests: dict[str, str], mapping: str | None,
                 count: int | None = None, reading: ExitStack | None = None) -> None:
        self.entries = entries
        self.count = count  # how many entries, when known (an import's): the progress bar counts events
        self.reading = reading or ExitStack()  # the progress bar over a file's bytes: closed once it is read
        self.rejects = rejects
        self.of_tickets = of_tickets
        self.import_rejects = import_rejects
        self.digests = digests
        self.mapping = mapping


def read_input(args: argparse.Namespace, err: IO[str], stack: ExitStack, command: str) -> LogInput | int:
    """The command's input (`args.inputs`, `args.mapping`, `args.set`), or the exit code of a failed
    import (its message written to `err`, as `obligo import` writes it); raises OSError for a log
    that cannot be opened. `stack` keeps the files open (and the copy of a stream) until it closes."""
    if args.mapping:
        from engine.cli.import_ import imported

        result, code = imported(args.mapping, args.inputs, args.set, command, err)
        if result is None:
            return int(code)
        try:  # the event lines `obligo import` would write, kept in a file and read as a log is
            spool = stack.enter_context(tempfile.TemporaryFile(prefix=f"obligo-{command}-"))
            for line in result.lines():
                spool.write(line.encode("utf-8", "surrogatepass") + b"\n")
        finally:
            result.close()
        size = spool.tell()
        spool.seek(0)
        log = _file_input(spool, size, err, stack, {}, command)
        log.import_rejects = list(result.reject_lines())
        log.mapping = mapping_shown(args.mapping)
        return log
    path = args.inputs[0]
    digests: dict[str, str] = {}
    handle: Any = getattr(sys.stdin, "buffer", sys.stdin) if path == "-" else stack.enter_context(open(path, "rb"))
    if path == "-" or not handle.seekable():  # standard input, a pipe: read once, so kept in a file
        handle, digests[path] = _copy(handle, stack, command)
    size = handle.seek(0, 2)
    handle.seek(0)
    return _file_input(handle, size, err, stack, digests, command)


def _file_input(handle: IO[bytes], size: int, err: IO[str], stack: ExitStack, digests: dict[str, str],
                command: str) -> LogInput:
    from engine.cli.progress_file import ProgressFile
    from engine.replay.log import entries_in_time_order
    from engine.replay.sort import rewindable
    from engine.reports.progress import progress_bar

    start = handle.tell()
    reading = stack.enter_context(ExitStack())
    update = reading.enter_context(progress_bar(err, 2 * size, "reading", f"obligo {command}", count=False))
    source: Any = handle if update is None else ProgressFile(handle, update)  # the order check, then the events
    again, release = rewindable(source)
    stack.callback(release)
    rejects: list[Any] = []

    def chosen(tickets: AbstractSet[str]) -> list[Any]:
        handle.seek(start)
        return of_tickets(lines_of_tickets(handle, tickets), tickets)

    return LogInput(entries_in_time_order(again, rejects.append), rejects, chosen, [], digests, None, reading=reading)


_TICKET_KEY = re.compile(rb'"ticket"[ \t\r]*:[ \t\r]*"([^"]*)"')


def lines_of_tickets(handle: IO[bytes], tickets: AbstractSet[str]) -> Iterator[Any]:
    """What iter_log gives for the lines of `handle` from where it stands, but only for the lines that
    may be events of `tickets`: the others are not parsed. A line without a backslash holds each
    string as its bytes, so when none of its `"ticket": "..."` values (the event's own, or a nested
    one) is one of `tickets`, it is not one of their events. Any other line is read in full."""
    from engine.replay.lines import block_lines, line_blocks, read_line

    wanted = {ticket.encode("utf-8", "surrogatepass") for ticket in tickets}
    number = 0
    for block in line_blocks(handle):
        for raw in block_lines(block):
            number += 1
            if b"\\" not in raw and not any(value in wanted for value in _TICKET_KEY.findall(raw)):
                continue
            item = read_line(number, raw)
            if item is not None:
                yield item


def of_tickets(entries: Iterable[Any], tickets: AbstractSet[str]) -> list[Any]:
    """The entries of `tickets` among `entries` (rejects left out), in (time, line) order."""
    found = [item for item in entries if isinstance(item, tuple) and item[2].ticket in tickets]
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def _copy(stream: IO[Any], stack: ExitStack, command: str) -> tuple[IO[bytes], str]:
    """A stream that cannot be read twice (standard input, a pipe) copied to a temporary file
    (removed at the end), and its sha256 (the provenance's: the stream itself cannot be read again)."""
    copy = stack.enter_context(tempfile.TemporaryFile(prefix=f"obligo-{command}-"))
    digest = hashlib.sha256()
    while data := stream.read(1 << 20):
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        digest.update(data)
        copy.write(data)
    return copy, digest.hexdigest()


def mapping_shown(name: str) -> str:
    """The mapping as a report states it: its name or path and the sha256 of its file."""
    from pathlib import Path

    from engine.ingest.registry import builtin_names, builtin_path
    from engine.reports.provenance import sha256_file

    path = builtin_path(name) if name in builtin_names() and not is_file(name) else Path(name)
    kind = "built-in " if name in builtin_names() and not is_file(name) else ""
    return f"{kind}{name} sha256 {sha256_file(path)}"

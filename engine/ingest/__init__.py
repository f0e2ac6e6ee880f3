"""Importers: ticket-system exports (CSV, XES) -> INTERFACE events, through declarative mappings.

The one call others use (reports, explain, `replay --mapping`):

    result = import_events("servicenow", ["incident_event_log.csv.gz"], {"contract": "servicenow"})
    for line in result.lines(): ...        # JSON Lines, time order, byte-identical on every run
    result.events, result.rejects          # event dicts; ImportReject(file, line, column, code, reason)

`mapping` is a built-in name, a mapping file path, or a loaded `Mapping`. Raises `MappingError`
(with located diagnostics) for a bad mapping, `ValueError` for a bad override, `OSError` for an
input that cannot be opened and `ReaderError` for one that is not its format. See docs/IMPORT.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from engine.ingest.join import case_table, with_case_columns
from engine.ingest.mapping import Mapping, MappingError, with_overrides
from engine.ingest.readers import ReaderError, Row, read_rows
from engine.ingest.registry import builtin_names, resolve
from engine.ingest.transform import ImportReject, Keyed, Step, Transformer, step_order
from engine.model.diagnostics import errors_only
from engine.model.external import RUN_SIZE, Runs
from engine.model.paths import is_file


@dataclass
class ImportResult:
    events: list[dict[str, Any]]
    rejects: list[ImportReject]
    rows: int = 0
    tickets: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def lines(self) -> Iterator[str]:
        """The events as JSON Lines (without newline): the bytes `obligo import` writes."""
        for event in self.events:
            yield json.dumps(event, ensure_ascii=False)

    def reject_lines(self) -> Iterator[str]:
        for reject in self.rejects:
            yield json.dumps(reject.to_dict(), ensure_ascii=False)


class ImportStream:
    """An import whose events are read once, in time order, from temporary files: memory does not
    follow the export's length (`import_stream`). The rows are all read, and the counts, the
    rejects and `by_type` are complete, when it is made; `events` gives the events once.
    `close` (or reading `events` to the end) deletes the files."""

    def __init__(self, ordered: Runs[Keyed], rejects: list[ImportReject], rows: int, tickets: int, events: int,
                 by_type: dict[str, int]) -> None:
        self._ordered = ordered
        self.rejects = rejects
        self.rows = rows
        self.tickets = tickets
        self.count = events
        self.by_type = by_type

    @property
    def events(self) -> Iterator[dict[str, Any]]:
        for _, event in self._ordered.ordered():
            yield event

    lines = ImportResult.lines  # the same bytes as an import in memory
    reject_lines = ImportResult.reject_lines

    def close(self) -> None:
        self._ordered.close()


def load_mapping(mapping: str | Path | Mapping) -> Mapping:
    """A usable mapping, or MappingError with every diagnostic."""
    if isinstance(mapping, Mapping):
        return mapping
    loaded, diags = resolve(mapping)
    if loaded is None or errors_only(diags):
        raise MappingError(errors_only(diags) or diags)
    return loaded


def import_events(mapping: str | Path | Mapping, inputs: Sequence[str | Path],
                  overrides: AbcMapping[str, str] | None = None) -> ImportResult:
    """Every input file through `mapping` (see the module docstring), the events in memory."""
    stream = import_stream(mapping, inputs, overrides)
    try:
        events = list(stream.events)
    finally:
        stream.close()
    return ImportResult(events, stream.rejects, stream.rows, stream.tickets, stream.by_type)


def import_stream(mapping: str | Path | Mapping, inputs: Sequence[str | Path],
                  overrides: AbcMapping[str, str] | None = None, *, run_size: int = RUN_SIZE,
                  spool_dir: str | None = None) -> ImportStream:
    """`import_events` in bounded memory: the rows are reduced to steps and grouped by ticket, each
    ticket's events are made from its steps and sorted by time out of core (runs of `run_size` in
    temporary files under `spool_dir`); the events are then read from there, once.

    An export that lists each ticket's rows together (most do: ServiceNow, BPI, helpdesk) is read
    once, a ticket at a time. The first ticket found again further on shows it does not: when the
    inputs are files, they are then read again with the steps sorted by ticket out of core (the
    way any other input is read from the start)."""
    m = with_overrides(load_mapping(mapping), dict(overrides or {}))
    if all(is_file(str(path)) for path in inputs):
        made = _import(m, inputs, run_size, spool_dir, grouped=True)
        if made is not None:
            return made
    made = _import(m, inputs, run_size, spool_dir, grouped=False)
    assert made is not None  # only a grouped read gives up
    return made


def _import(m: Mapping, inputs: Sequence[str | Path], run_size: int, spool_dir: str | None,
            grouped: bool) -> ImportStream | None:
    """`import_stream`'s one read of the inputs; None when `grouped` and a ticket's rows are not together."""
    transformer = Transformer(m)
    in_time: Runs[Keyed] = Runs(_time_key, run_size, spool_dir)
    tickets = events = 0
    by_type: dict[str, int] = {}

    def emit(ticket: str, steps: list[Step]) -> None:
        nonlocal tickets, events
        tickets += 1
        for keyed in transformer.keyed_events(ticket, steps):
            in_time.add(keyed)
            events += 1
            kind = keyed[1]["type"]
            by_type[kind] = by_type.get(kind, 0) + 1

    steps = (step for index, path in enumerate(inputs) for step in transformer.steps(str(path), index, _rows(m, path)))
    try:
        if grouped:
            seen: set[str] = set()
            for ticket, together in groupby(steps, key=attrgetter("ticket")):
                if ticket in seen:
                    in_time.close()
                    return None
                seen.add(ticket)
                emit(ticket, sorted(together, key=step_order))
        else:
            by_ticket: Runs[Step] = Runs(step_order, run_size, spool_dir)
            try:
                for step in steps:
                    by_ticket.add(step)
                for ticket, together in groupby(by_ticket.ordered(), key=attrgetter("ticket")):
                    emit(ticket, list(together))
            finally:
                by_ticket.close()
    except BaseException:
        in_time.close()
        raise
    # the rejects are in (file, line) order already: files are read one after the other
    return ImportStream(in_time, transformer.rejects, transformer.rows, tickets, events, dict(sorted(by_type.items())))


def _rows(m: Mapping, path: str | Path) -> Iterator[Row]:
    rows = read_rows(path, m.format, m.delimiter, m.encoding)
    if m.join is not None:  # a per-ticket file beside the input (bpi2014's case attributes)
        rows = with_case_columns(rows, case_table(m.join, path, m.delimiter, m.encoding), m.ticket)
    return rows


def _time_key(keyed: Keyed) -> tuple[float, tuple[int, int], int]:
    return keyed[0]


__all__ = ["ImportReject", "ImportResult", "ImportStream", "Mapping", "MappingError", "ReaderError", "builtin_names",
           "import_events", "import_stream", "load_mapping"]

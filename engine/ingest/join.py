"""Joining a per-ticket file (case attributes) to the rows of an event export, before the transform.

Why: some exports split a ticket's history in two files. BPI Challenge 2014 gives its activities in
one CSV and each incident's impact, urgency, priority and open time in a second one
(`BPIC14_incident_case_attributes.csv.gz`), so the severity of an activity row is only known by
joining. A mapping's `join:` names that file (a bare file name, looked up in the folder of each
input, so `obligo import --mapping bpi2014 path/to/BPIC14_incident_log.csv.gz` finds it beside the
log) and its ticket column; each of its columns is added to every row of that ticket as
`case:<column>` (the prefix XES uses for trace attributes, so a mapping reads both alike). A row
whose ticket has no line in the joined file passes unchanged (its `case:` columns are then
missing); of two lines for one ticket the first counts. The joined file is small (one row per
ticket) and read whole; the export itself stays a stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.ingest.readers import Row, read_rows

PREFIX = "case:"


@dataclass(frozen=True)
class Join:
    """`join:` of a mapping: the file's name, its format and its ticket column."""

    file: str
    format: str
    ticket: str


def join_from_spec(spec: dict[str, Any] | None) -> Join | None:
    if spec is None:
        return None
    name = str(spec["file"])
    fmt = spec.get("format") or ("csv.gz" if name.endswith(".gz") else "csv")
    return Join(name, fmt, str(spec["ticket"]))


def joined_path(join: Join, input_path: str | Path) -> Path:
    """The joined file for one input: same folder, the mapping's file name."""
    return Path(input_path).parent / join.file


def case_table(join: Join, input_path: str | Path, delimiter: str = ",", encoding: str = "utf-8") -> dict[str, dict[str, str]]:
    """ticket -> its `case:` columns. Raises OSError (missing file) or ReaderError like any input."""
    table: dict[str, dict[str, str]] = {}
    for _, fields in read_rows(joined_path(join, input_path), join.format, delimiter, encoding):
        ticket = fields.get(join.ticket, "").strip()
        if ticket and ticket not in table:
            table[ticket] = {PREFIX + key: value for key, value in fields.items() if not key.startswith("\x00")}
    return table


def with_case_columns(rows: Iterator[Row], table: dict[str, dict[str, str]], ticket_column: str) -> Iterator[Row]:
    """The rows, each with its ticket's `case:` columns added (a row's own columns win)."""
    for line, fields in rows:
        case = table.get(fields.get(ticket_column, "").strip())
        if case:
            fields = {**case, **fields}
        yield line, fields


__all__ = ["PREFIX", "Join", "case_table", "join_from_spec", "joined_path", "with_case_columns"]

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
from pathlib import Path
from typing import Any

from engine.ingest.join import case_table, with_case_columns
from engine.ingest.mapping import Mapping, MappingError, with_overrides
from engine.ingest.readers import ReaderError, read_rows
from engine.ingest.registry import builtin_names, resolve
from engine.ingest.transform import ImportReject, Transformer
from engine.model.diagnostics import errors_only


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
    """Every input file through `mapping` (see the module docstring)."""
    m = with_overrides(load_mapping(mapping), dict(overrides or {}))
    transformer = Transformer(m)
    for index, path in enumerate(inputs):
        rows = read_rows(path, m.format, m.delimiter, m.encoding)
        if m.join is not None:  # a per-ticket file beside the input (bpi2014's case attributes)
            rows = with_case_columns(rows, case_table(m.join, path, m.delimiter, m.encoding), m.ticket)
        transformer.add(str(path), index, rows)
    events = transformer.events()
    by_type: dict[str, int] = {}
    for event in events:
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1
    rejects = transformer.rejects  # already in (file, line) order: files are read one after the other
    return ImportResult(events, rejects, transformer.rows, len(transformer.tickets), dict(sorted(by_type.items())))


__all__ = ["ImportReject", "ImportResult", "Mapping", "MappingError", "ReaderError", "builtin_names", "import_events",
           "load_mapping"]

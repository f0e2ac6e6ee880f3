"""Readers: an export file as a stream of rows `(line, fields)`, whatever its format.

Why a module of its own: the transform does not care whether a row came from a CSV line or an XES
`<event>`, and the hostile-input concerns (gzip, encodings, XML entity bombs) live in one place.

- CSV (plain or gzip) through the `csv` module; `line` is the file line where the record starts
  (the header is line 1), so a reject points at the line an auditor opens.
- XES (plain or gzip), streamed: the file is fed to the parser in chunks and each `<event>` is
  yielded as soon as it is complete, so a 65k-event log is never held whole. XES is user input, so
  it is parsed with `defusedxml`: an entity declaration (the "billion laughs" expansion), an
  external entity or an external DTD is refused with a located `ReaderError`, never expanded.
  An event's fields are its attributes (`concept:name`, `time:timestamp`, ...) plus its trace's
  attributes prefixed `case:` (`case:concept:name` is the case id), as pm4py names them; `line` is
  the line of the `<event>` tag.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from engine.model.errors import ObligoError

Row = tuple[int, dict[str, str]]
FORMATS = ("csv", "csv.gz", "xes", "xes.gz")
_CHUNK = 1 << 16
_XES_VALUES = {"string", "date", "int", "float", "boolean", "id"}


class ReaderError(ObligoError):
    """A file that cannot be read as its format (not gzip, not UTF-8, malformed or hostile XML):
    located at a line where one is known. The rows read before it stand."""

    code = "unreadable-input"

    def __init__(self, file: str, line: int | None, reason: str, code: str = "unreadable-input"):
        self.file, self.line, self.reason = file, line, reason
        self.code = code
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {reason}")


def _open_binary(path: Path, gzipped: bool) -> IO[bytes]:
    if gzipped:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile: a binary stream
    return open(path, "rb")


def read_rows(path: str | Path, fmt: str, delimiter: str = ",", encoding: str = "utf-8") -> Iterator[Row]:
    """The rows of one file in file order. Raises OSError for a missing file, ReaderError for one
    that is not what `fmt` says."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ReaderError(str(path), None, f"unknown input format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt.startswith("csv"):
        yield from _csv_rows(path, fmt.endswith(".gz"), delimiter, encoding)
    else:
        yield from _xes_rows(path, fmt.endswith(".gz"))


def _csv_rows(path: Path, gzipped: bool, delimiter: str, encoding: str) -> Iterator[Row]:
    with _open_binary(path, gzipped) as binary:
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.lstrip("\ufeff").strip() for h in header]
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if not record:  # a blank line
                    continue
                fields = dict(zip(header, record, strict=False))
                if len(record) != len(header):
                    fields["\x00width"] = f"{len(record)} fields, the header has {len(header)}"
                yield line, fields
        except UnicodeDecodeError as exc:
            raise ReaderError(str(path), reader.line_num + 1, f"not {encoding} text: {exc.reason}",
                              "invalid-encoding") from None
        except (gzip.BadGzipFile, EOFError, OSError) as exc:
            raise ReaderError(str(path), reader.line_num + 1, f"not a readable gzip file: {exc}") from None
        except csv.Error as exc:
            raise ReaderError(str(path), reader.line_num, f"malformed CSV: {exc}") from None


class _XesTarget:
    """Collects complete `<event>`s as the parser reports tags; an event waits in `pending` until its
    trace ends (the trace's own attributes may follow its events in the file), then moves to `done`."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.pending: list[Row] = []
        self.done: list[Row] = []
        self.stack: list[str] = []  # element names from the root
        self.trace: dict[str, str] = {}
        self.event: dict[str, str] | None = None
        self.event_line = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = tag.rsplit("}", 1)[-1]
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if name == "trace":
            self.trace = {}
        elif name == "event" and parent == "trace":
            self.event, self.event_line = {}, _safe_line(self.parser) or 0
        elif name in _XES_VALUES and "key" in attrib and "value" in attrib:
            if parent == "event" and self.event is not None and len(self.stack) == 4:
                self.event[attrib["key"]] = attrib["value"]
            elif parent == "trace" and len(self.stack) == 3:
                self.trace["case:" + attrib["key"]] = attrib["value"]

    def end(self, tag: str) -> None:
        name = self.stack.pop() if self.stack else tag
        if name == "event" and self.event is not None and self.stack and self.stack[-1] == "trace":
            self.pending.append((self.event_line, self.event))
            self.event = None
        elif name == "trace":
            for _, fields in self.pending:
                for key, value in self.trace.items():
                    fields.setdefault(key, value)
            self.done.extend(self.pending)
            self.pending = []

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _xes_rows(path: Path, gzipped: bool) -> Iterator[Row]:
    target = _XesTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    target.parser = parser
    with _open_binary(path, gzipped) as binary:
        try:
            while chunk := binary.read(_CHUNK):
                parser.feed(chunk)
                yield from _drain(target)
            parser.close()
            yield from _drain(target)
        except DefusedXmlException as exc:
            raise ReaderError(str(path), _safe_line(parser), f"refused XML: {_defused_reason(exc)}",
                              "hostile-xml") from None
        except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
            line = getattr(exc, "position", (None,))[0]
            raise ReaderError(str(path), line, f"malformed XML: {exc}") from None
        except (gzip.BadGzipFile, EOFError, OSError) as exc:
            raise ReaderError(str(path), None, f"not a readable gzip file: {exc}") from None


def _drain(target: _XesTarget) -> Iterator[Row]:
    out, target.done = target.done, []
    yield from out


def _safe_line(parser: Any) -> int | None:
    try:
        return int(parser.parser.CurrentLineNumber)
    except AttributeError:
        return None


def _defused_reason(exc: DefusedXmlException) -> str:
    kind = type(exc).__name__
    reasons = {
        "EntitiesForbidden": "an entity declaration (entity expansion, e.g. 'billion laughs', is not allowed in XES)",
        "ExternalReferenceForbidden": "a reference to an external entity or file",
        "DTDForbidden": "a document type declaration",
    }
    return reasons.get(kind, str(exc))


__all__ = ["FORMATS", "ReaderError", "Row", "read_rows"]

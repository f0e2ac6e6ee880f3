"""A mapping (docs/IMPORT.md): YAML, checked against engine/schemas/mapping.schema.json and a few
semantic rules, then turned into a typed, frozen `Mapping` the transform reads.

Why declarative: the decisions an audit depends on (which state pauses, which column is the
priority, which zone the times are in) must be readable and reviewable, not buried in a converter
script. Problems are `Diagnostic`s located `file:line:col` exactly like a contract's, because the
same loader (engine.language.load) and schema reporter (engine.language.schema) read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.ingest.join import Join, join_from_spec
from engine.language.load import Document, load_file, load_text
from engine.language.schema import schema_diagnostics
from engine.model.diagnostics import Diagnostic, did_you_mean, errors_only
from engine.model.errors import ObligoError

Scalar = str | bool | int | float | None


class MappingError(ObligoError):
    """A mapping that cannot be used; carries every diagnostic found."""

    code = "invalid-mapping"

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__(diagnostics[0].render() if diagnostics else "invalid mapping")


@dataclass(frozen=True)
class State:
    """What one value of the state column means: the status attribute, the event on entering it,
    an event emitted the first time a ticket reaches any state naming it, and events that depend
    on the previous value (`from: {Resolved: reopened}`)."""

    status: str | None = None
    event: str | None = None
    first: str | None = None
    after: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Attribute:
    name: str
    column: str
    type: str = "string"
    values: MappingProxyType[str, Scalar] | None = None


@dataclass(frozen=True)
class Severity:
    column: str | None = None
    values: MappingProxyType[str, Scalar] | None = None
    rows: str | None = None  # matrix: impact column
    columns: str | None = None  # matrix: urgency column
    matrix: MappingProxyType[str, MappingProxyType[str, Scalar]] | None = None


@dataclass(frozen=True)
class Mapping:
    id: str
    file: str
    format: str
    delimiter: str
    encoding: str
    missing: frozenset[str]
    contract: str
    ticket: str
    instant_column: str
    instant_format: str
    timezone: str
    opened_column: str | None
    order_column: str | None
    order_type: str
    clamp: bool
    state_column: str
    state_mode: str
    status_attribute: str
    unknown_state: str
    states: MappingProxyType[str, State]
    severity: Severity | None
    attributes: tuple[Attribute, ...]
    order_then: str | None = None  # order.then: tie-break column, compared as text
    join: Join | None = None  # a per-ticket file joined to every row (engine/ingest/join.py)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


OVERRIDABLE = ("contract", "timezone")


def load_mapping_file(path: str | Path, name: str | None = None) -> tuple[Mapping | None, list[Diagnostic]]:
    doc, diags = load_file(path, name)
    return _from_doc(doc, diags)


def load_mapping_text(text: str, file: str) -> tuple[Mapping | None, list[Diagnostic]]:
    doc, diags = load_text(text, file)
    return _from_doc(doc, diags)


def _from_doc(doc: Document | None, diags: list[Diagnostic]) -> tuple[Mapping | None, list[Diagnostic]]:
    if doc is None:
        return None, diags
    diags = [*diags, *schema_diagnostics(doc, "mapping")]
    if errors_only(diags):
        return None, diags
    diags.extend(_semantic(doc))
    if errors_only(diags):
        return None, sorted(diags, key=lambda d: (d.line or 0, d.col or 0))
    return _build(doc), diags


def _semantic(doc: Document) -> list[Diagnostic]:
    data: dict[str, Any] = doc.data
    out: list[Diagnostic] = []
    zone = data["instant"].get("timezone")
    if zone is not None:
        problem = zone_problem(zone)
        if problem:
            out.append(doc.diag("unknown-timezone", problem, ("instant", "timezone")))
    fmt = data["instant"]["format"]
    if fmt != "iso":
        if "%" not in fmt:
            out.append(doc.diag("instant-format", f"'{fmt}' is neither 'iso' nor a strptime pattern "
                                "(e.g. '%d/%m/%Y %H:%M')", ("instant", "format")))
        elif not any(code in fmt for code in ("%z", "%Z")) and zone is None:
            out.append(doc.diag("missing-timezone", "the instants carry no offset (%z): say which zone they are in "
                                "with `timezone:` (an IANA name)", ("instant",)))
        else:
            try:
                datetime.now().strftime(fmt)
            except ValueError as exc:
                out.append(doc.diag("instant-format", f"bad strptime pattern '{fmt}': {exc}", ("instant", "format")))
    states = data["states"]
    names = list(states["values"])
    for value, spec in states["values"].items():
        for previous in spec.get("from", {}):
            if previous not in states["values"]:
                out.append(doc.diag("unknown-state", f"'from' names state '{previous}', which is not under "
                                    f"states.values{did_you_mean(previous, names)}",
                                    ("states", "values", value, "from", previous), key=True))
    for value, spec in states["values"].items():
        for key in ("event", "first"):
            if spec.get(key) == "opened":
                out.append(doc.diag("opened-in-states", "'opened' comes from a ticket's first row, never from a state",
                                    ("states", "values", value, key)))
    for name, spec in (data.get("attributes") or {}).items():
        if spec.get("type") == "object":
            out.append(doc.diag("attribute-type", f"attribute '{name}': a column holds text, not an object; "
                                "use string, boolean, integer, number or instant", ("attributes", name, "type")))
    severity = data.get("severity")
    if severity is not None and "values" in severity and "column" not in severity:
        out.append(doc.diag("schema", "a severity given by `values` needs the `column` they are read from",
                            ("severity",)))
    if severity is not None and "matrix" in severity and "column" in severity:
        out.append(doc.diag("schema", "a severity matrix reads its own `rows` and `columns`; remove `column`",
                            ("severity", "column"), key=True))
    return out


def zone_problem(name: str) -> str | None:
    """None when `name` is an IANA zone this machine knows, else why not."""
    if name.startswith(("/", ".")) or ".." in name or name == "localtime":
        return f"'{name}' is not an IANA time zone name"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, a name too long for the file system
        return f"'{name}' is not an IANA time zone name this machine knows (e.g. Europe/Amsterdam, UTC)"
    return None


def _frozen(mapping: dict[str, Any] | None) -> MappingProxyType[str, Any] | None:
    return None if mapping is None else MappingProxyType({str(k): v for k, v in mapping.items()})


def _build(doc: Document) -> Mapping:
    data: dict[str, Any] = doc.data
    source = data["input"]
    order = data.get("order", {})
    states = data["states"]
    severity = data.get("severity")
    sev = None
    if severity is not None:
        matrix = severity.get("matrix")
        sev = Severity(
            column=severity.get("column"),
            values=_frozen(severity.get("values")),
            rows=matrix["rows"] if matrix else None,
            columns=matrix["columns"] if matrix else None,
            matrix=MappingProxyType({str(k): MappingProxyType({str(c): v for c, v in row.items()})
                                     for k, row in matrix["values"].items()}) if matrix else None,
        )
    return Mapping(
        id=data["id"],
        file=doc.file,
        format=source["format"],
        delimiter=source.get("delimiter", ","),
        encoding=source.get("encoding", "utf-8"),
        missing=frozenset(source.get("missing", [""])),
        contract=data["contract"],
        ticket=data["ticket"],
        instant_column=data["instant"]["column"],
        instant_format=data["instant"]["format"],
        timezone=data["instant"].get("timezone", "UTC"),
        opened_column=(data.get("opened_at") or {}).get("column"),
        order_column=order.get("column"),
        order_type=order.get("type", "number"),
        clamp=order.get("earlier_stamps", "keep") == "clamp",
        state_column=states["column"],
        state_mode=states.get("mode", "change"),
        status_attribute=states.get("attribute", "status"),
        unknown_state=states.get("unknown", "reject"),
        states=MappingProxyType({
            str(value): State(status=spec.get("status"), event=spec.get("event"), first=spec.get("first"),
                              after=MappingProxyType(dict(spec.get("from", {}))))
            for value, spec in states["values"].items()
        }),
        severity=sev,
        attributes=tuple(Attribute(name, spec["column"], spec.get("type", "string"), _frozen(spec.get("values")))
                         for name, spec in (data.get("attributes") or {}).items()),
        order_then=order.get("then"),
        join=join_from_spec(data.get("join")),
    )


def with_overrides(mapping: Mapping, overrides: dict[str, str]) -> Mapping:
    """`--set contract=ID` / `--set timezone=ZONE`; raises ValueError (a usage error) for anything else."""
    from dataclasses import replace

    for key, value in overrides.items():
        if key not in OVERRIDABLE:
            raise ValueError(f"--set {key}: only {', '.join(OVERRIDABLE)} can be set{did_you_mean(key, OVERRIDABLE)}")
        if key == "timezone" and (problem := zone_problem(value)):
            raise ValueError(f"--set timezone: {problem}")
        if key == "contract" and not value:
            raise ValueError("--set contract: expected a contract id")
    if "contract" in overrides:
        mapping = replace(mapping, contract=overrides["contract"])
    if "timezone" in overrides:
        mapping = replace(mapping, timezone=overrides["timezone"])
    return mapping


__all__ = ["OVERRIDABLE", "Attribute", "Mapping", "MappingError", "Severity", "State", "load_mapping_file",
           "load_mapping_text", "with_overrides", "zone_problem"]

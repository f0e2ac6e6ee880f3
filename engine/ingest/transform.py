"""Rows -> INTERFACE events (docs/INTERFACE.md "Events"), following a `Mapping`.

Why in two passes: an export lists a ticket's rows in its own order (ServiceNow's audit rows by
`sys_mod_count`), which is not always time order, and an `updated` event must carry only what
changed since the ticket's previous row. So each row is first reduced to a small `Step` (instant,
state, severity, attributes) or a reject, the steps are grouped by ticket and put in the mapping's
order, then each ticket's steps are compared pairwise to emit events.

Per ticket: the first step is `opened` (the mapping's contract; every known attribute, the status
and the severity), followed by the event its state names (a ticket opened as Resolved is also
`resolved`). Each later step emits, at its instant and in this order: `updated` with only the
attributes that changed (`null` for one that became missing), the state's `first` event the first
time the ticket reaches a state naming it, then the state's event (`from` the previous state, else
`event` on entering the state; in `every` mode on every row). Event ids are `<ticket>:<line>:<type>`,
the line being the row's line in its file (for a second input file, `<ticket>:<file#>.<line>:<type>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.ingest.mapping import Mapping
from engine.ingest.readers import Row

_MISSING = object()
_INSTANTS = 65_536  # distinct stamps whose parsed instant is kept (Transformer._instant)
_KINDS = {"integer": "a whole number", "number": "a number", "instant": "an instant of the mapping's format"}


def _finite(value: float) -> float:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


@dataclass(frozen=True)
class ImportReject:
    """A row that could not be mapped: which file and line, which column, a stable code, why."""

    file: str
    line: int
    column: str | None
    code: str
    reason: str
    input: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "code": self.code,
                "reason": self.reason, "input": self.input}


@dataclass
class Step:
    """One row reduced to what the events need."""

    ticket: str
    at: datetime  # aware, in the mapping's zone (or the offset written)
    opened: datetime | None
    order: Any
    place: tuple[int, int]  # (file index, line): the stable tie-break
    state: str | None
    attrs: dict[str, Any] = field(default_factory=dict)


Keyed = tuple[tuple[float, tuple[int, int], int], dict[str, Any]]  # (time-order key, event)


def step_order(step: Step) -> tuple[str, bool, Any, tuple[int, int]]:
    """A ticket's steps together (by ticket id), each ticket's in the mapping's `order` (rows without
    one after, in file order), ties in file order: what `Transformer.keyed_events` expects."""
    return step.ticket, step.order is None, step.order if step.order is not None else 0, step.place


def parse_instant(text: str, mapping: Mapping) -> datetime:
    """An instant of the export as an aware datetime; raises ValueError.

    A time written without an offset is read in the mapping's zone with `fold=0`: an ambiguous wall
    time (the hour repeated when DST ends) is its first occurrence, a nonexistent one (skipped when
    DST starts) gets the offset in force before the gap (zoneinfo's rule), i.e. lands one hour later
    on the wall clock."""
    if mapping.instant_format == "iso":
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    else:
        value = datetime.strptime(text.strip(), mapping.instant_format)
    if value.tzinfo is None:
        value = value.replace(tzinfo=mapping.zone, fold=0)
    if not 1900 <= value.astimezone(UTC).year <= 2199:
        raise ValueError("outside the years 1900-2199")
    return value


def _show(fields: dict[str, str]) -> str:
    return ",".join(v for k, v in fields.items() if k != "\x00width")


class Transformer:
    """Reduces rows to steps (collecting rejects), then gives the events of each ticket from its steps.

    What is kept here does not grow with the export: the rejects, the row count, and the instants
    of the last `_INSTANTS` distinct stamps (an export repeats its stamps: each text parsed once
    while it recurs). Grouping the steps by ticket and putting the events in time order is the
    caller's (engine.ingest.import_stream: out of core)."""

    def __init__(self, mapping: Mapping):
        self.m = mapping
        self.rejects: list[ImportReject] = []
        self.rows = 0
        self._instants: dict[str, datetime] = {}

    def _instant(self, text: str) -> datetime:
        value = self._instants.get(text)
        if value is None:
            if len(self._instants) >= _INSTANTS:
                self._instants.clear()
            value = self._instants[text] = parse_instant(text, self.m)
        return value

    def _value(self, fields: dict[str, str], column: str) -> Any:
        raw = fields.get(column)
        if raw is None:
            return _MISSING
        value = raw.strip()
        if value in self.m.missing or raw in self.m.missing:
            return _MISSING
        return value

    def steps(self, file: str, index: int, rows: Iterable[Row]) -> Iterator[Step]:
        """The steps of the rows of input file number `index`; the rows that cannot be mapped go to `rejects`."""
        for line, fields in rows:
            self.rows += 1
            step = self._step(file, index, line, fields)
            if step is not None:
                yield step

    def _reject(self, file: str, line: int, column: str | None, code: str, reason: str, fields: dict[str, str]) -> None:
        self.rejects.append(ImportReject(file, line, column, code, reason, _show(fields)))

    def _step(self, file: str, index: int, line: int, fields: dict[str, str]) -> Step | None:
        m = self.m
        if "\x00width" in fields:
            width = fields["\x00width"]
            self._reject(file, line, None, "import-bad-row", f"malformed row: {width}", fields)
            return None
        ticket = self._value(fields, m.ticket)
        if ticket is _MISSING:
            self._reject(file, line, m.ticket, "import-missing-ticket", f"no ticket id in column '{m.ticket}'", fields)
            return None
        raw_at = self._value(fields, m.instant_column)
        try:
            if raw_at is _MISSING:
                raise ValueError("missing")
            at = self._instant(raw_at)
        except ValueError as exc:
            self._reject(file, line, m.instant_column, "import-bad-instant",
                         f"'{fields.get(m.instant_column, '')}' is not an instant of format '{m.instant_format}' ({exc})",
                         fields)
            return None
        opened = None
        if m.opened_column is not None:
            raw_opened = self._value(fields, m.opened_column)
            if raw_opened is not _MISSING:
                try:
                    opened = self._instant(raw_opened)
                except ValueError as exc:
                    self._reject(file, line, m.opened_column, "import-bad-instant",
                                 f"'{raw_opened}' is not an instant of format '{m.instant_format}' ({exc})", fields)
                    return None
        order: Any = None
        if m.order_column is not None:
            raw_order = self._value(fields, m.order_column)
            try:
                if raw_order is _MISSING:
                    raise ValueError("missing")
                order = (float(raw_order) if m.order_type == "number"
                         else self._instant(raw_order).timestamp() if m.order_type == "time" else raw_order)
                if order != order:  # NaN orders nothing
                    raise ValueError("not a number")
                if m.order_then is not None:  # tie-break column (bpi2014: activity number within one second)
                    then = self._value(fields, m.order_then)
                    order = (order, "" if then is _MISSING else then)
            except ValueError:
                self._reject(file, line, m.order_column, "import-bad-order",
                             f"'{fields.get(m.order_column, '')}' is not an order value of type {m.order_type}", fields)
                return None
        state = self._value(fields, m.state_column)
        attrs: dict[str, Any] = {}
        if state is _MISSING:
            state = None
        elif state not in m.states:
            if m.unknown_state == "reject":
                self._reject(file, line, m.state_column, "import-unknown-state",
                             f"state '{state}' is not under the mapping's states.values", fields)
                return None
            state = None
        if state is not None and m.states[state].status is not None:
            attrs[m.status_attribute] = m.states[state].status
        if m.severity is not None:
            severity = self._severity(fields)
            if isinstance(severity, tuple):
                column, reason = severity
                self._reject(file, line, column, "import-unknown-severity", reason, fields)
                return None
            if severity is not _MISSING and severity is not None:
                attrs["severity"] = severity
        for attribute in m.attributes:
            value = self._value(fields, attribute.column)
            if value is _MISSING:
                continue
            if attribute.values is not None and value in attribute.values:
                value = attribute.values[value]
                if value is None:  # mapped to 'no value'
                    continue
            elif attribute.type == "boolean":
                if value.lower() not in ("true", "false"):
                    self._reject(file, line, attribute.column, "import-bad-value",
                                 f"'{value}' is not true or false (attribute {attribute.name})", fields)
                    return None
                value = value.lower() == "true"
            elif attribute.type in ("integer", "number", "instant"):
                try:
                    value = (int(value) if attribute.type == "integer" else self._instant(value).isoformat()
                             if attribute.type == "instant" else _finite(float(value)))
                except ValueError:
                    self._reject(file, line, attribute.column, "import-bad-value",
                                 f"'{value}' is not {_KINDS[attribute.type]} (attribute {attribute.name})", fields)
                    return None
            attrs[attribute.name] = value
        return Step(str(ticket), at, opened, order, (index, line), state, attrs)

    def _severity(self, fields: dict[str, str]) -> Any:
        """The severity, _MISSING, or (column, reason) for a value the mapping does not know."""
        sev = self.m.severity
        assert sev is not None
        if sev.matrix is not None and sev.rows is not None and sev.columns is not None:
            row, col = self._value(fields, sev.rows), self._value(fields, sev.columns)
            if row is _MISSING or col is _MISSING:
                return _MISSING
            if row not in sev.matrix:
                return sev.rows, f"'{row}' is not a row of the severity matrix"
            if col not in sev.matrix[row]:
                return sev.columns, f"'{col}' is not a column of the severity matrix (row '{row}')"
            return sev.matrix[row][col]
        assert sev.column is not None and sev.values is not None
        value = self._value(fields, sev.column)
        if value is _MISSING:
            return _MISSING
        if value not in sev.values:
            return sev.column, f"severity '{value}' is not under the mapping's severity.values"
        return sev.values[value]

    def keyed_events(self, ticket: str, steps: list[Step]) -> Iterator[Keyed]:
        """The events of one ticket (all its steps, in the mapping's order: `step_order`), each with
        its place in the export's time order: (instant, place, emission order). A ticket's events at
        one instant keep the place of the first of them, so they stay together and in order; a
        place is a row's, so no two tickets share one: sorting every ticket's keyed events by key
        gives the one order, however they are grouped."""
        group: dict[float, tuple[int, int]] = {}
        for seq, (at, place, event) in enumerate(self._ticket_events(ticket, steps)):
            stamp = at.timestamp()
            yield (stamp, group.setdefault(stamp, place), seq), event

    def _ticket_events(self, ticket: str, steps: list[Step]) -> Iterable[tuple[datetime, tuple[int, int], dict[str, Any]]]:
        m = self.m
        firsts: set[str] = set()
        current: dict[str, Any] = {}
        previous: str | None = None
        floor: datetime | None = None
        for n, step in enumerate(steps):
            at = step.at
            index, line = step.place
            where = f"{line}" if index == 0 else f"{index}.{line}"
            if n == 0:
                opened = step.opened if step.opened is not None and (step.opened <= at or m.clamp) else at
                floor = opened
                yield opened, step.place, {"id": f"{ticket}:{where}:opened", "ticket": ticket,
                                           "at": opened.isoformat(), "type": "opened", "contract": m.contract,
                                           "attrs": dict(sorted(step.attrs.items()))}
                current = dict(step.attrs)
            if m.clamp and floor is not None and at < floor:
                at = floor
            floor = at if floor is None or at > floor else floor
            stamp = at.isoformat()
            state = m.states.get(step.state) if step.state is not None else None
            if n == 0:
                pass
            else:
                status = m.status_attribute  # a state that names no status keeps the ticket's (bpi2014 "Caused By CI")
                if status not in step.attrs and status in current and (state is None or state.status is None):
                    step.attrs[status] = current[status]
                changed = {k: v for k, v in step.attrs.items() if current.get(k, _MISSING) != v or k not in current}
                changed.update({k: None for k in current if k not in step.attrs})
                if changed:
                    yield at, step.place, {"id": f"{ticket}:{where}:updated", "ticket": ticket, "at": stamp,
                                           "type": "updated", "attrs": dict(sorted(changed.items()))}
                current = dict(step.attrs)
            if state is not None:
                emitted = set()
                if state.first is not None and state.first not in firsts:
                    firsts.add(state.first)
                    emitted.add(state.first)
                    yield at, step.place, {"id": f"{ticket}:{where}:{state.first}", "ticket": ticket, "at": stamp,
                                           "type": state.first}
                kind = None
                if previous is not None and previous in state.after and previous != step.state:
                    kind = state.after[previous]
                elif state.event is not None and (m.state_mode == "every" or previous != step.state):
                    kind = state.event
                if kind is not None and kind != "updated" and kind not in emitted:
                    yield at, step.place, {"id": f"{ticket}:{where}:{kind}", "ticket": ticket, "at": stamp, "type": kind}
            if step.state is not None:
                previous = step.state


__all__ = ["ImportReject", "Keyed", "Step", "Transformer", "parse_instant", "step_order"]

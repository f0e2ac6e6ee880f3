"""The condition language: durable_rules' JSON condition syntax compiled to Python predicates.

A condition reads facts by dotted path (`event.attrs.channel`, `ticket.severity`,
`state.clock.response`). Paths are resolved once, at compile time, into small getter closures, so
evaluation does no string parsing. `$in`/`$nin` are sugar that `to_durable` expands into the
`$or`/`$and` forms durable_rules understands, so the same document can drive either backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

MISSING = None
COMPARISONS = ("$lt", "$lte", "$gt", "$gte", "$neq")
OPERATORS = {"$and", "$or", "$in", "$nin", "$ex", "$nex", "$mt", "$imt", *COMPARISONS}
STATE_FIELDS = ("clock", "breached", "timer", "obligation", "escalation", "vars", "open", "opened_severity")


class Facts(Protocol):
    """What a predicate reads: the event being applied, the ticket's attributes, the ticket state."""

    event: dict
    ticket: dict
    state: Any

    def is_open(self, calendar: str) -> bool | None: ...


Getter = Callable[[Facts], Any]
Predicate = Callable[[Facts], bool]


class ConditionError(ValueError):
    """A condition the compiler cannot accept; `path` says where inside the condition."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.path = path


def _walk(root: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(root, dict):
            return MISSING
        root = root.get(part)
        if root is None:
            return MISSING
    return root


def compile_getter(path: str) -> Getter:
    """Turn `event.attrs.x` / `ticket.x` / `state.clock.response` into a getter closure."""
    parts = tuple(path.split("."))
    root, rest = parts[0], parts[1:]
    if not rest and root != "ticket":
        raise ConditionError(f"fact path '{path}' is incomplete; expected event.<field>, ticket.<attr> or state.<field>")
    if root == "event":
        if len(rest) == 1:
            key = rest[0]
            return lambda f: f.event.get(key)
        if len(rest) == 2:
            outer, inner = rest

            def event_field(f: Facts) -> Any:
                sub = f.event.get(outer)
                return sub.get(inner) if isinstance(sub, dict) else MISSING
            return event_field
        return lambda f: _walk(f.event, rest)
    if root == "ticket":
        if rest == ("id",):
            return lambda f: f.state.ticket
        if len(rest) == 1:
            key = rest[0]
            return lambda f: f.ticket.get(key)
        return lambda f: _walk(f.ticket, rest)
    if root == "state":
        return _state_getter(path, rest)
    raise ConditionError(f"unknown fact root '{root}' in '{path}'; expected event, ticket or state")


def _state_getter(path: str, rest: tuple[str, ...]) -> Getter:
    kind = rest[0]
    if kind == "opened_severity" and len(rest) == 1:
        return lambda f: f.state.opened_severity
    if len(rest) != 2:
        raise ConditionError(f"fact path '{path}' should be state.<{'|'.join(STATE_FIELDS)}>.<name>")
    name = rest[1]
    if kind == "clock":
        def clock_status(f: Facts) -> Any:
            clock = f.state.clocks.get(name)
            return clock.status if clock is not None else MISSING
        return clock_status
    if kind == "breached":
        def breached(f: Facts) -> Any:
            clock = f.state.clocks.get(name)
            return True if clock is not None and clock.breached else MISSING
        return breached
    if kind == "timer":
        return lambda f: True if f.state.timers and name in f.state.timers else MISSING
    if kind == "obligation":
        return lambda f: True if f.state.obligations and name in f.state.obligations else MISSING
    if kind == "vars":
        return lambda f: f.state.vars.get(name) if f.state.vars else MISSING
    if kind == "open":  # is the calendar (an id, `region` or `24x7`) open at the instant being evaluated?
        return lambda f: f.is_open(name)
    if kind == "escalation":
        if name == "level":
            return lambda f: f.state.escalation_level
        if name == "node":
            return lambda f: f.state.escalation_node
        raise ConditionError(f"unknown escalation field '{name}' in '{path}'; expected level or node")
    raise ConditionError(f"unknown state field '{kind}' in '{path}'; expected one of {', '.join(STATE_FIELDS)}")


def _same(a: Any, b: Any) -> bool:
    """Equality that does not let True == 1 or '1' == 1 pass."""
    return a == b and (type(a) is bool) == (type(b) is bool)


def _comparison(op: str, getter: Getter, value: Any) -> Predicate:
    def compare(f: Facts) -> bool:
        actual = getter(f)
        if actual is None:
            return False
        if op == "$neq":
            return not _same(actual, value)
        if (type(actual) is bool) != (type(value) is bool):  # True > 0 is no more meaningful than True == 1
            return False
        try:
            if op == "$lt":
                return actual < value
            if op == "$lte":
                return actual <= value
            if op == "$gt":
                return actual > value
            return actual >= value
        except TypeError:
            return False
    return compare


def _single(mapping: Any, op: str, path: tuple) -> tuple[str, Any]:
    if not isinstance(mapping, dict) or len(mapping) != 1:
        raise ConditionError(f"'{op}' takes a mapping with exactly one field, e.g. {{{op}: {{ticket.severity: P1}}}}", path)
    return next(iter(mapping.items()))


def compile_condition(cond: Any, path: tuple = ()) -> Predicate:
    """Compile a condition mapping; raises ConditionError naming the offending part."""
    if not isinstance(cond, dict) or not cond:
        raise ConditionError("a condition must be a non-empty mapping", path)
    parts = [_compile_key(key, value, (*path, key)) for key, value in cond.items()]
    return _all_of(parts)


def _all_of(parts: list[Predicate]) -> Predicate:
    """AND of predicates, unrolled for the common small cases (this is the hot path)."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda f: a(f) and b(f)
    if len(parts) == 3:
        a, b, c = parts
        return lambda f: a(f) and b(f) and c(f)
    return lambda f: all(p(f) for p in parts)


def _any_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda f: a(f) or b(f)
    return lambda f: any(p(f) for p in parts)


def _compile_key(key: str, value: Any, path: tuple) -> Predicate:
    if key in ("$and", "$or"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"'{key}' takes a non-empty list of conditions", path)
        subs = [compile_condition(c, (*path, i)) for i, c in enumerate(value)]
        return _all_of(subs) if key == "$and" else _any_of(subs)
    if key in COMPARISONS:
        field, expected = _single(value, key, path)
        return _comparison(key, _getter(field, path), expected)
    if key in ("$ex", "$nex"):
        field, _ = _single(value, key, path)
        getter = _getter(field, path)
        if key == "$ex":
            return lambda f: getter(f) is not None
        return lambda f: getter(f) is None
    if key in ("$mt", "$imt"):
        field, pattern = _single(value, key, path)
        try:
            regex = re.compile(str(pattern), re.IGNORECASE if key == "$imt" else 0)
        except re.error as exc:
            raise ConditionError(f"invalid regular expression {pattern!r}: {exc}", path) from None
        getter = _getter(field, path)
        return lambda f: isinstance(v := getter(f), str) and regex.fullmatch(v) is not None
    if key in ("$in", "$nin"):
        field, options = _single(value, key, path)
        if not isinstance(options, list):
            raise ConditionError(f"'{key}' takes a list of values, got {options!r}", path)
        getter = _getter(field, path)
        if all(isinstance(o, str) for o in options):  # strings only: a set lookup is exact (no True == 1)
            members = frozenset(options)
            # only a string can equal a string option (and a dict/list fact is not hashable)
            if key == "$in":
                return lambda f: isinstance(v := getter(f), str) and v in members
            return lambda f: (v := getter(f)) is not None and not (isinstance(v, str) and v in members)
        if key == "$in":
            return lambda f: (v := getter(f)) is not None and any(_same(v, o) for o in options)
        return lambda f: (v := getter(f)) is not None and not any(_same(v, o) for o in options)
    if key.startswith("$"):
        raise ConditionError(f"unknown operator '{key}'; expected one of {', '.join(sorted(OPERATORS))}", path)
    getter = _getter(key, path)
    if isinstance(value, (dict, list)):
        raise ConditionError(f"equality on '{key}' takes a single value; use $in for a list", path)
    if value is None:
        raise ConditionError(f"'{key}: null' never matches (a missing field equals nothing); "
                             f"use {{$nex: {{{key}: 1}}}} for 'absent'", path)
    if isinstance(value, str):  # a string only equals a string: plain == is exact
        return lambda f: getter(f) == value
    if value is True:
        return lambda f: getter(f) is True
    if value is False:
        return lambda f: getter(f) is False
    return lambda f: _same(getter(f), value)


def _getter(field: str, path: tuple) -> Getter:
    try:
        return compile_getter(field)
    except ConditionError as exc:
        raise ConditionError(str(exc), path) from None


def condition_fields(cond: Any) -> list[str]:
    """The fact paths a condition reads, in order of first appearance (for traces and refraction)."""
    out: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("$and", "$or"):
                    for sub in value:
                        visit(sub)
                elif key.startswith("$"):
                    if isinstance(value, dict):
                        out.extend(k for k in value if k not in out)
                elif key not in out:
                    out.append(key)
        elif isinstance(node, list):
            for sub in node:
                visit(sub)

    visit(cond)
    return out


def to_durable(cond: Any) -> Any:
    """The durable_rules JSON form of a condition: `$in`/`$nin` expanded, the rest unchanged."""
    if isinstance(cond, list):
        return [to_durable(c) for c in cond]
    if not isinstance(cond, dict):
        return cond
    terms = []
    for key, value in cond.items():
        if key in ("$and", "$or"):
            terms.append({key: [to_durable(c) for c in value]})
        elif key == "$in":
            (field, options), = value.items()
            terms.append({"$or": [{field: o} for o in options]})
        elif key == "$nin":
            (field, options), = value.items()
            terms.append({"$and": [{"$neq": {field: o}} for o in options]})
        else:
            terms.append({key: value})
    return terms[0] if len(terms) == 1 else {"$and": terms}

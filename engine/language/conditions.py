"""The condition language: durable_rules' JSON condition syntax compiled to Python predicates.

A condition reads facts by dotted path (`event.attrs.channel`, `ticket.severity`,
`state.clock.response`). Paths are resolved once, at compile time, into small generated functions, so
evaluation does no string parsing. `$in`/`$nin` are sugar that `to_durable` expands into the
`$or`/`$and` forms durable_rules understands, so the same document can drive either backend.

`$mt`/`$imt` patterns run on RE2 (the `google-re2` package), as OPA's `regex.match` does: matching
is linear in the text whatever the pattern, where Python's backtracking `re` never finishes
`(a+)+$` on 48 characters. RE2 has no backreferences or lookaround; such a pattern is refused when
the contract is validated (`bad-regex`).
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Callable
from types import FunctionType
from typing import Any, Protocol

import re2

from engine.model.errors import ObligoError

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


class ConditionError(ObligoError, ValueError):
    """A condition the compiler cannot accept; `path` says where inside the condition, `code` is the
    diagnostic code the validator reports it under."""

    code = "invalid-condition"

    def __init__(self, message: str, path: tuple = (), code: str = "bad-condition"):
        super().__init__(message)
        self.path = path
        self.code = code


REGEX_SYNTAX = ("RE2 syntax (as OPA's regex.match): no backreferences (\\1), no lookaround "
                "((?=, (?!, (?<=, (?<!), repetition counts {n} of at most 1000")
_REGEX_MEMORY = 1 << 20  # bytes per pattern (RE2 default 8 MiB); a contract may hold thousands of patterns
_SURROGATE = re.compile("[\ud800-\udfff]")


def _quoted(text: str) -> str:
    """'text' as the author wrote it (backslashes single), or its repr when it holds a line break or control."""
    return f"'{text}'" if text.isprintable() else repr(text)


class Regex:
    """A `$mt`/`$imt` pattern compiled by RE2; `fullmatch` takes time linear in the text.

    Raises ConditionError (code `bad-regex`) for a pattern RE2 cannot compile: backreferences,
    lookaround, or a pattern whose program exceeds its memory budget (`_REGEX_MEMORY`).
    """

    __slots__ = ("pattern", "ignore_case", "_regex")

    def __init__(self, pattern: str, ignore_case: bool = False):
        self.pattern = pattern
        self.ignore_case = ignore_case
        options = re2.Options()
        options.case_sensitive = not ignore_case
        options.log_errors = False  # RE2 would print every refused pattern on stderr
        options.never_capture = True  # only "does it match" is asked
        options.max_mem = _REGEX_MEMORY
        try:
            self._regex = re2.compile(pattern, options)
        except re2.error as exc:
            reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            hint = (f"a pattern may compile to at most {_REGEX_MEMORY // 1024} KiB" if "too large" in reason
                    else f"expected {REGEX_SYNTAX}")
            raise ConditionError(f"invalid regular expression {_quoted(pattern)}: {reason}; {hint}",
                                 code="bad-regex") from None
        except UnicodeEncodeError:  # a lone surrogate in the pattern
            raise ConditionError(f"invalid regular expression {_quoted(pattern)}: not valid Unicode text",
                                 code="bad-regex") from None

    def fullmatch(self, text: str) -> bool:
        """Does the whole of `text` match? A lone surrogate (JSON "\\ud800") reads as U+FFFD."""
        try:
            return self._regex.fullmatch(text) is not None
        except UnicodeEncodeError:
            return self._regex.fullmatch(_SURROGATE.sub("\ufffd", text)) is not None

    def __reduce__(self) -> tuple:
        return (Regex, (self.pattern, self.ignore_case))

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r}{', ignore_case=True' if self.ignore_case else ''})"


def _walk(root: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(root, dict):
            return MISSING
        root = root.get(part)
        if root is None:
            return MISSING
    return root


def _same(a: Any, b: Any) -> bool:
    """Equality that does not let True == 1 or '1' == 1 pass."""
    return a == b and (type(a) is bool) == (type(b) is bool)


def _any_same(value: Any, options: tuple) -> bool:
    return any(_same(value, o) for o in options)


def _compare(op: str, actual: Any, value: Any) -> bool:
    """`$lt`/`$lte`/`$gt`/`$gte`/`$neq`: a missing fact never compares; neither do bool and number."""
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


_HELPERS = {"_walk": _walk, "_same": _same, "_any_same": _any_same, "_compare": _compare}
_LOCALS = (("ev", "f.event"), ("tk", "f.ticket"), ("st", "f.state"))


class _Source:
    """The Python source of one compiled condition or getter, and the constants it uses.

    Conditions are compiled to one Python function each (not a tree of closures) because matching
    runs several times per event: one call instead of five or more. Nothing from the contract
    enters the source text: every literal, field name and pattern is a named constant (`_k0`...),
    and the text itself is built only from this module's fixed fragments.
    """

    def __init__(self) -> None:
        self.consts: dict[str, Any] = {}
        self.temps = 0

    def const(self, value: Any) -> str:
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"_v{self.temps}"

    def function(self, expr: str, kind: str) -> Callable[[Facts], Any]:
        binds = "".join(f"    {name} = {source}\n" for name, source in _LOCALS if re.search(rf"\b{name}\b", expr))
        text = f"def {kind}(f):\n{binds}    return {expr}\n"
        namespace: dict[str, Any] = {**_HELPERS, **self.consts}
        exec(compile(text, f"<obligo {kind}>", "exec"), namespace)  # noqa: S102 - our own fixed fragments only
        fn = namespace[kind]
        fn.source = text  # for debugging: what the condition became
        fn.consts = self.consts  # with its code, what `generated_parts` needs to rebuild it
        return fn


def generated_parts(fn: Any) -> tuple[str, bytes, str, dict[str, Any]] | None:
    """(name, marshalled code, source, constants) of a function `_Source` generated, None for any
    other object. A generated function has no module to be pickled by reference from; a cached
    compiled contract (engine.language.cache) stores these parts instead, and `rebuilt` makes the
    function again without compiling its text (marshal: this interpreter's format, which the
    cache's key names)."""
    consts = getattr(fn, "consts", None)
    if type(fn) is not FunctionType or not isinstance(consts, dict):
        return None
    return fn.__name__, marshal.dumps(fn.__code__), getattr(fn, "source", ""), consts


def rebuilt(name: str, code: bytes, source: str, consts: dict[str, Any]) -> Callable[[Facts], Any]:
    """The function `generated_parts` took apart: the same code over the same helpers and constants."""
    fn = FunctionType(marshal.loads(code), {**_HELPERS, **consts}, name)
    fn.source = source  # type: ignore[attr-defined]
    fn.consts = consts  # type: ignore[attr-defined]
    return fn


def compile_getter(path: str) -> Getter:
    """Turn `event.attrs.x` / `ticket.x` / `state.clock.response` into a getter function."""
    gen = _Source()
    return gen.function(_getter_expr(path, gen), "getter")


def compile_match(cond: Any, paths: list[str], wrap: Callable[[Any], Any],
                  wrapped: set[str]) -> Callable[[Facts], tuple | None]:
    """One function for a rule's match: None when `cond` (None: always) does not hold, else the
    tuple of the values of `paths`; those in `wrapped` pass through `wrap` unless they are plain
    scalars (str, int, float, bool, None: the usual case, no call). Matching runs several times per
    event: one call for condition and values, not two."""
    gen = _Source()
    return gen.function(_match_expr(cond, paths, wrap, wrapped, gen), "match")


def compile_matches(specs: list[tuple[Any, list[str], set[str]]],
                    wrap: Callable[[Any], Any]) -> Callable[[Facts], list[tuple | None]]:
    """`compile_match` of several (cond, paths, wrapped) at once: one function returning the list
    of their results. An agenda first matches every rule of its trigger: one call, not one per rule."""
    gen = _Source()
    items = [_match_expr(cond, paths, wrap, wrapped, gen) for cond, paths, wrapped in specs]
    return gen.function("[" + "".join(f"{item}, " for item in items) + "]", "matches")


def _match_expr(cond: Any, paths: list[str], wrap: Callable[[Any], Any], wrapped: set[str], gen: _Source) -> str:
    values = _values_expr(paths, wrap, wrapped, gen)
    if cond is None:
        return values
    return f"({values} if ({_condition_expr(cond, (), gen)}) else None)"


def _values_expr(paths: list[str], wrap: Callable[[Any], Any], wrapped: set[str], gen: _Source) -> str:
    fn, scalars = gen.const(wrap), gen.const(frozenset({str, int, float, bool, type(None)}))
    items = []
    for path in paths:
        expr = _getter_expr(path, gen)
        if path in wrapped:
            v = gen.temp()
            expr = f"({v} if type(({v} := {expr})) in {scalars} else {fn}({v}))"
        items.append(expr)
    return "(" + "".join(f"{item}, " for item in items) + ")"


def _getter_expr(path: str, gen: _Source) -> str:
    parts = tuple(path.split("."))
    root, rest = parts[0], parts[1:]
    if not rest and root != "ticket":
        raise ConditionError(f"fact path '{path}' is incomplete; expected event.<field>, ticket.<attr> or state.<field>")
    if root == "event":
        if len(rest) == 1:
            return f"ev.get({gen.const(rest[0])})"
        if len(rest) == 2:
            v = gen.temp()
            return f"({v}.get({gen.const(rest[1])}) if isinstance(({v} := ev.get({gen.const(rest[0])})), dict) else None)"
        return f"_walk(ev, {gen.const(rest)})"
    if root == "ticket":
        if rest == ("id",):
            return "st.ticket"
        if len(rest) == 1:
            return f"tk.get({gen.const(rest[0])})"
        return f"_walk(tk, {gen.const(rest)})"
    if root == "state":
        return _state_expr(path, rest, gen)
    raise ConditionError(f"unknown fact root '{root}' in '{path}'; expected event, ticket or state")


def _state_expr(path: str, rest: tuple[str, ...], gen: _Source) -> str:
    kind = rest[0]
    if kind == "opened_severity" and len(rest) == 1:
        return "st.opened_severity"
    if len(rest) != 2:
        raise ConditionError(f"fact path '{path}' should be state.<{'|'.join(STATE_FIELDS)}>.<name>")
    if kind == "escalation":
        if rest[1] == "level":
            return "st.escalation_level"
        if rest[1] == "node":
            return "st.escalation_node"
        raise ConditionError(f"unknown escalation field '{rest[1]}' in '{path}'; expected level or node")
    if kind not in STATE_FIELDS or kind == "opened_severity":
        raise ConditionError(f"unknown state field '{kind}' in '{path}'; expected one of {', '.join(STATE_FIELDS)}")
    name = gen.const(rest[1])
    if kind == "clock":
        v = gen.temp()
        return f"({v}.status if ({v} := st.clocks.get({name})) is not None else None)"
    if kind == "breached":
        v = gen.temp()
        return f"(True if ({v} := st.clocks.get({name})) is not None and {v}.breached else None)"
    if kind == "timer":
        return f"(True if st.timers and {name} in st.timers else None)"
    if kind == "obligation":
        return f"(True if st.obligations and {name} in st.obligations else None)"
    if kind == "vars":
        return f"(st.vars.get({name}) if st.vars else None)"
    return f"f.is_open({name})"  # open: is that calendar (an id, `region` or `24x7`) open at this instant?


def _single(mapping: Any, op: str, path: tuple) -> tuple[str, Any]:
    if not isinstance(mapping, dict) or len(mapping) != 1:
        raise ConditionError(f"'{op}' takes a mapping with exactly one field, e.g. {{{op}: {{ticket.severity: P1}}}}", path)
    return next(iter(mapping.items()))


def compile_condition(cond: Any, path: tuple = ()) -> Predicate:
    """Compile a condition mapping; raises ConditionError naming the offending part."""
    gen = _Source()
    return gen.function(_condition_expr(cond, path, gen), "condition")


def _condition_expr(cond: Any, path: tuple, gen: _Source) -> str:
    if not isinstance(cond, dict) or not cond:
        raise ConditionError("a condition must be a non-empty mapping", path)
    return _joined([_key_expr(key, value, (*path, key), gen) for key, value in cond.items()], "and")


def _joined(parts: list[str], op: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {op} ".join(parts) + ")"


def _key_expr(key: str, value: Any, path: tuple, gen: _Source) -> str:
    if key in ("$and", "$or"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"'{key}' takes a non-empty list of conditions", path)
        subs = [_condition_expr(c, (*path, i), gen) for i, c in enumerate(value)]
        return _joined(subs, key[1:])
    if key in COMPARISONS:
        field, expected = _single(value, key, path)
        return f"_compare({gen.const(key)}, {_getter(field, path, gen)}, {gen.const(expected)})"
    if key in ("$ex", "$nex"):
        field, _ = _single(value, key, path)
        return f"({_getter(field, path, gen)} is {'not ' if key == '$ex' else ''}None)"
    if key in ("$mt", "$imt"):
        field, pattern = _single(value, key, path)
        try:
            regex = Regex(str(pattern), ignore_case=key == "$imt")
        except ConditionError as exc:
            raise ConditionError(str(exc), (*path, field), exc.code) from None
        v = gen.temp()
        return f"(isinstance(({v} := {_getter(field, path, gen)}), str) and {gen.const(regex)}.fullmatch({v}))"
    if key in ("$in", "$nin"):
        field, options = _single(value, key, path)
        if not isinstance(options, list):
            raise ConditionError(f"'{key}' takes a list of values, got {options!r}", path)
        getter, v = _getter(field, path, gen), gen.temp()
        if all(isinstance(o, str) for o in options):  # strings only: a set lookup is exact (no True == 1)
            # only a string can equal a string option (and a dict/list fact is not hashable)
            members = gen.const(frozenset(options))
            if key == "$in":
                return f"(isinstance(({v} := {getter}), str) and {v} in {members})"
            return f"(({v} := {getter}) is not None and not (isinstance({v}, str) and {v} in {members}))"
        found = f"_any_same({v}, {gen.const(tuple(options))})"
        return f"(({v} := {getter}) is not None and {'' if key == '$in' else 'not '}{found})"
    if key.startswith("$"):
        raise ConditionError(f"unknown operator '{key}'; expected one of {', '.join(sorted(OPERATORS))}", path)
    getter = _getter(key, path, gen)
    if isinstance(value, (dict, list)):
        raise ConditionError(f"equality on '{key}' takes a single value; use $in for a list", path)
    if value is None:
        raise ConditionError(f"'{key}: null' never matches (a missing field equals nothing); "
                             f"use {{$nex: {{{key}: 1}}}} for 'absent'", path)
    if isinstance(value, str):  # a string only equals a string: plain == is exact
        return f"({getter} == {gen.const(value)})"
    if value is True or value is False:
        return f"({getter} is {value})"
    return f"_same({getter}, {gen.const(value)})"


def _getter(field: str, path: tuple, gen: _Source) -> str:
    try:
        return _getter_expr(field, gen)
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
    terms: list[dict[str, Any]] = []
    for key, value in cond.items():
        if key in ("$and", "$or"):
            terms.append({key: [to_durable(c) for c in value]})
        elif key == "$in":
            (field, options), = value.items()
            terms.append({"$or": [{field: o} for o in options]})
        elif key == "$nin":
            (field, options), = value.items()
            # `$nin: []` holds for any present value; durable_rules 2.0.28 loops on, or ignores the
            # terms before, an empty `$and` (tests/language/test_durable_oracle.py)
            terms.append({"$and": [{"$neq": {field: o}} for o in options]} if options else {"$ex": {field: 1}})
        else:
            terms.append({key: value})
    return terms[0] if len(terms) == 1 else {"$and": terms}

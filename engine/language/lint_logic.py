"""Condition algebra for the static checks: can a condition ever hold, and does it surely hold?

A condition (durable_rules JSON, engine.language.conditions) is read as a disjunction of
conjunctions of atoms `(fact path, operator, operand)`. Whether one atom holds for one value is
asked of the real compiler (`compile_condition` on a one-atom condition, evaluated on a synthetic
ticket), so the checks share the runtime's semantics exactly (no True == 1, a missing fact never
compares, RE2 patterns...). Fact paths with a finite declared domain (severities, plans, regions,
attributes with `values`, booleans) are decided by trying every value; other paths are free: a
conjunction over them is refused only for what needs no domain (two different equalities, an
equality outside an `$in`, presence and absence, an empty range). Two patterns are assumed to be
able to match the same text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from engine.language.attributes import attribute_specs
from engine.language.conditions import COMPARISONS, compile_condition
from engine.model.vocabulary import CHANNELS

MAX_CONJUNCTIONS = 512  # a condition whose disjunctive form is larger is assumed satisfiable
_FIELD_OPS = frozenset({*COMPARISONS, "$ex", "$nex", "$mt", "$imt", "$in", "$nin"})
_ORDER = ("$lt", "$lte", "$gt", "$gte")

Domains = Mapping[str, tuple]  # fact path -> every value it can take (None: absent)


class Atom(NamedTuple):
    field: str
    op: str  # "=" for a plain equality
    operand: Any


def dnf(cond: Any) -> list[list[Atom]] | None:
    """The condition as a list of conjunctions (None: too large to expand, or not a condition)."""
    if cond is None:
        return [[]]
    if not isinstance(cond, dict):
        return None
    out: list[list[Atom]] | None = [[]]
    for key, value in cond.items():
        if key == "$and":
            parts: list[list[Atom]] | None = [[]]
            for sub in value if isinstance(value, list) else [None]:
                parts = _and(parts, dnf(sub))
        elif key == "$or":
            parts = []
            for sub in value if isinstance(value, list) else [None]:
                alt = dnf(sub)
                if alt is None or parts is None:
                    parts = None
                    continue
                parts = parts + alt
        elif key in _FIELD_OPS:
            if not isinstance(value, dict) or len(value) != 1:
                return None
            (field, operand), = value.items()
            parts = [[Atom(field, key, operand)]]
        else:
            parts = [[Atom(key, "=", value)]]
        out = _and(out, parts)
        if out is None or len(out) > MAX_CONJUNCTIONS:
            return None
    return out


def _and(a: list[list[Atom]] | None, b: list[list[Atom]] | None) -> list[list[Atom]] | None:
    if a is None or b is None or len(a) * len(b) > MAX_CONJUNCTIONS:
        return None
    return [x + y for x in a for y in b]


class _Facts:
    """A synthetic fact set: the value under test is `ticket.v` (absent when None)."""

    __slots__ = ("event", "ticket", "state")

    def __init__(self, value: Any):
        self.event: dict = {}
        self.ticket: dict = {} if value is None else {"v": value}
        self.state: Any = None

    def is_open(self, calendar: str) -> bool | None:  # pragma: no cover - never read: atoms read ticket.v only
        return None


class Solver:
    """Answers for one contract's checks; compiled one-atom predicates are kept for the run only."""

    def __init__(self, domains: Domains):
        self.domains = domains
        self._predicates: dict[tuple[str, str], Any] = {}
        self._answers: dict[tuple[tuple[str, str], Any, type], bool] = {}  # values are hashable (domains)

    def narrowed(self, field: str, values: tuple) -> Solver:
        """The same solver with one more finite domain (e.g. `event.type`: a rule's trigger events)."""
        other = Solver({**self.domains, field: values})
        other._predicates, other._answers = self._predicates, self._answers
        return other

    def holds(self, atom: Atom, value: Any) -> bool:
        """Does `atom` hold when its fact has `value`? (the compiled condition decides)"""
        key = (atom.op, repr(atom.operand))
        cacheable = _hashable(value)
        answer = self._answers.get((key, value, type(value))) if cacheable else None
        if answer is not None:
            return answer
        pred = self._predicates.get(key)
        if pred is None:
            cond = {"ticket.v": atom.operand} if atom.op == "=" else {atom.op: {"ticket.v": atom.operand}}
            try:
                pred = compile_condition(cond)
            except ValueError:  # refused operand (reported elsewhere): undecided, assume it can hold
                pred = _yes
            self._predicates[key] = pred
        answer = bool(pred(_Facts(value)))
        if cacheable:
            self._answers[(key, value, type(value))] = answer
        return answer

    def possible(self, conjunctions: list[list[Atom]] | None, env: Mapping[str, Any] | None = None) -> bool:
        """Can one of the conjunctions hold, with the paths in `env` fixed and those with a domain finite?"""
        if conjunctions is None:
            return True
        return any(self._conjunction(c, env or {}) for c in conjunctions)

    def _conjunction(self, atoms: list[Atom], env: Mapping[str, Any]) -> bool:
        by_field: dict[str, list[Atom]] = {}
        for atom in atoms:
            by_field.setdefault(atom.field, []).append(atom)
        for field, group in by_field.items():
            if field in env:
                ok = all(self.holds(a, env[field]) for a in group)
            elif field in self.domains:
                ok = any(all(self.holds(a, v) for a in group) for v in self.domains[field])
            else:
                ok = self._free(group)
            if not ok:
                return False
        return True

    def _free(self, atoms: list[Atom]) -> bool:
        """Can atoms on a fact with no finite domain hold together?"""
        if any(a.op in ("=", "$in") for a in atoms):
            candidates = [a.operand for a in atoms if a.op == "="]
            candidates += [v for a in atoms if a.op == "$in" and isinstance(a.operand, list) for v in a.operand]
            return any(all(self.holds(a, v) for a in atoms) for v in candidates)
        if any(a.op == "$nex" for a in atoms):
            return all(a.op == "$nex" for a in atoms)  # every other operator needs the fact present
        bounds = [a for a in atoms if a.op in _ORDER]
        kinds = {_kind(a.operand) for a in bounds}
        if len(kinds) > 1 or None in kinds:
            return False  # a number and a text bound (or a bound on true/false) never hold together
        low = [(a.operand, a.op == "$gt") for a in bounds if a.op in ("$gt", "$gte")]
        high = [(a.operand, a.op == "$lt") for a in bounds if a.op in ("$lt", "$lte")]
        if low and high:
            lo, lo_strict = max(low)
            hi, hi_strict = min(high, key=lambda b: (b[0], not b[1]))
            if lo > hi or (lo == hi and (lo_strict or hi_strict)):
                return False
        return True

    def certain(self, cond: Any, env: Mapping[str, Any]) -> bool | None:
        """Three-valued truth of `cond` with the paths in `env` fixed: True/False when they decide it,
        None when it depends on another fact (short-circuits: it runs per target per combination)."""
        if cond is None:
            return True
        if not isinstance(cond, dict):
            return None
        unknown = False
        for key, value in cond.items():
            result = self._term(key, value, env)
            if result is False:
                return False
            unknown = unknown or result is None
        return None if unknown else True

    def _term(self, key: str, value: Any, env: Mapping[str, Any]) -> bool | None:
        if key in ("$and", "$or") and isinstance(value, list):
            decided = key == "$or"  # the value that decides: one True for $or, one False for $and
            unknown = False
            for sub in value:
                result = self.certain(sub, env)
                if result is decided:
                    return decided
                unknown = unknown or result is None
            return None if unknown else not decided
        if key in _FIELD_OPS and isinstance(value, dict) and len(value) == 1:
            (field, operand), = value.items()
            return self.holds(Atom(field, key, operand), env[field]) if field in env else None
        if not key.startswith("$"):
            return self.holds(Atom(key, "=", value), env[key]) if key in env else None
        return None


def _yes(facts: Any) -> bool:
    return True


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else None


@dataclass(frozen=True)
class Vocabulary:
    """The finite domains a contract declares, by fact path (each with None: the fact absent)."""

    domains: dict[str, tuple]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Vocabulary:
        severities = tuple(s.get("id") for s in data.get("severities") or [] if isinstance(s, dict))
        values: dict[str, tuple] = {"severity": severities}
        for name, spec in attribute_specs(data.get("attributes")).items():
            if spec.values is not None:
                values[name] = spec.values
            elif spec.type == "boolean":
                values[name] = (True, False)
        for name, section in (("plan", "plans"), ("region", "regions")):
            if name not in values and isinstance(data.get(section), dict) and data[section]:
                values[name] = tuple(data[section])
        values.setdefault("channel", CHANNELS)
        domains = {f"{prefix}{name}": (*vals, None) for name, vals in values.items()
                   for prefix in ("ticket.", "event.attrs.", "event.prev.") if all(_hashable(v) for v in vals)}
        domains["state.opened_severity"] = (*severities, None)
        return cls(domains)

"""Declared ticket attributes: what a contract's rules may read, and what values events may give them.

A contract lists the attributes its rules read under `attributes:` (name -> {type, values,
description}); the engine's own facts (vocabulary.BUILTIN_TICKET_ATTRIBUTES, EVENT_ATTRIBUTES,
EVENT_FIELDS) need no declaration. Two uses of the one declaration:

- validation (`attribute_diagnostics`, called by check.py): a condition, reason placeholder or
  `{ref: ...}` reading a `ticket.` / `event.attrs.` / `event.prev.` name that is neither declared
  nor built in is `unknown-attribute`, located at the offending key, with a did-you-mean; a
  condition comparing a declared attribute with a literal of the wrong type or outside its `values`
  is `attribute-value`. Included rule documents are checked after expansion, located in their file.
  A contract with no `attributes:` section gets the same findings as warnings (it still loads):
  an undeclared read is then probably a typo, but older contracts must keep working.
- runtime (`engine.model.attribute_values.event_attribute_problem`, called by CompiledContract.attribute_problem): an event
  giving a declared attribute a value of the wrong type or outside `values` is rejected
  (`invalid-attribute`); undeclared attributes stay free-form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.language.expand import Expanded, Origin
from engine.model.attribute_values import TYPE_TEXT as _A
from engine.model.attribute_values import has_type as _has_type
from engine.model.attribute_values import show_value as _show
from engine.model.attribute_values import value_problem
from engine.model.diagnostics import Diagnostic, did_you_mean
from engine.model.vocabulary import BUILTIN_TICKET_ATTRIBUTES, EVENT_ATTRIBUTES, EVENT_FIELDS

# the `{fact.path}` placeholders of a reason (the pattern of compile.compile_template)
_PLACEHOLDER = re.compile(r"\{([a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_${}-]+)+)\}")
_VALUE_OPS = ("=", "$neq", "$in", "$nin")
_ORDER_OPS = ("$lt", "$lte", "$gt", "$gte")
_FIELD_OPS = (*_VALUE_OPS[1:], *_ORDER_OPS, "$ex", "$nex", "$mt", "$imt")
# Values check.py already checks (severities, channels, exclusion categories; plans and regions
# when the contract has those tables), not reported twice.
_CHECKED_ELSEWHERE = ("ticket.severity", "ticket.channel", "ticket.category")


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One declared (or built-in) attribute: its type and, if given, the values it may take."""

    name: str
    type: str
    values: tuple | None = None

    def problem(self, value: Any) -> str | None:
        return value_problem(self, value)


def attribute_specs(section: Any) -> dict[str, AttributeSpec]:
    """The `attributes:` section (schema-checked) as specs by name; anything malformed is skipped."""
    out: dict[str, AttributeSpec] = {}
    for name, spec in (section or {}).items() if isinstance(section, dict) else ():
        if isinstance(spec, dict) and isinstance(spec.get("type"), str):
            values = spec.get("values")
            out[name] = AttributeSpec(name, spec["type"], tuple(values) if isinstance(values, list) else None)
    return out


# --- validation ---------------------------------------------------------------------------------

def attribute_diagnostics(exp: Expanded) -> list[Diagnostic]:
    """Every undeclared read and every literal a declared attribute cannot take, in the contract
    and in the rule documents it includes (after expansion)."""
    return _Reads(exp).run()


class _Reads:
    def __init__(self, exp: Expanded):
        self.exp = exp
        data = exp.data
        section = data.get("attributes")
        self.declared = section is not None
        self.specs = attribute_specs(section)
        severities = tuple(s.get("id") for s in data.get("severities") or [] if isinstance(s, dict))
        self.builtin = {name: AttributeSpec(name, kind, severities if name == "severity" else None)
                        for name, kind in BUILTIN_TICKET_ATTRIBUTES.items()}
        self.event_only = {name: AttributeSpec(name, kind) for name, kind in EVENT_ATTRIBUTES.items()}
        self.elsewhere = {*_CHECKED_ELSEWHERE, *(f"ticket.{name[:-1]}" for name in ("plans", "regions") if data.get(name))}
        self.out: list[Diagnostic] = []
        self.warned: set[str] = set()

    def run(self) -> list[Diagnostic]:
        root, d = Origin(self.exp.doc, ()), self.exp.data
        self.section(root)
        for i, t in enumerate(_items(d.get("targets"))):
            self.condition(root, ("targets", i, "match"), t.get("match"))
        for i, rc in enumerate(_items(d.get("reclassification"))):
            self.condition(root, ("reclassification", i, "match"), rc.get("match"))
            self.template(root, ("reclassification", i, "reason"), rc.get("reason"))
        changes = sc if isinstance(sc := d.get("severity_changes"), dict) else {}
        for i, r in enumerate(_items(changes.get("refuse"))):
            self.condition(root, ("severity_changes", "refuse", i, "when"), r.get("when"))
            self.template(root, ("severity_changes", "refuse", i, "reason"), r.get("reason"))
        for i, r in enumerate(_items(d.get("refusals"))):
            self.condition(root, ("refusals", i, "when"), r.get("when"))
            self.template(root, ("refusals", i, "reason"), r.get("reason"))
        for i, g in enumerate(_items(d.get("escalation"))):
            self.condition(root, ("escalation", i, "applies"), g.get("applies"))
            for j, edge in enumerate(_items(g.get("edges"))):
                self.condition(root, ("escalation", i, "edges", j, "match"), edge.get("match"))
        for _rid, rule, origin in self.exp.rules:
            when = w if isinstance(w := rule.get("when"), dict) else {}
            self.condition(origin, ("when", "match"), when.get("match"))
            for j, action in enumerate(rule.get("then") or []):
                for kind, args in action.items() if isinstance(action, dict) else ():
                    if not isinstance(args, dict):
                        continue
                    self.template(origin, ("then", j, kind, "reason"), args.get("reason"))
                    for key in ("to", "exclusion", "from"):
                        ref = args.get(key)
                        if isinstance(ref, dict) and isinstance(ref.get("ref"), str):
                            self.read(origin, (*("then", j, kind, key), "ref"), ref["ref"], key=False)
        return self.out

    def section(self, root: Origin) -> None:
        """The declarations themselves: no built-in redeclared, `values` of the declared type."""
        for name, spec in self.specs.items():
            where = ("attributes", name)
            if name in self.builtin:
                self.out.append(root.diag("builtin-attribute", f"'{name}' is built in (ticket.{name} is kept by the "
                                          "engine); remove it from `attributes:`", where, key=True))
                continue
            if spec.values is not None and spec.type in ("boolean", "object"):
                self.out.append(root.diag("attribute-value", f"a {spec.type} attribute takes no `values`",
                                          (*where, "values"), key=True))
                continue
            for i, value in enumerate(spec.values or ()):
                if not _has_type(value, spec.type):
                    self.out.append(root.diag("attribute-value", f"value {_show(value)} of '{name}' is not "
                                              f"{_A[spec.type]} (its type is {spec.type})", (*where, "values", i)))

    def template(self, origin: Origin, sub: tuple, text: Any) -> None:
        if isinstance(text, str):
            for m in _PLACEHOLDER.finditer(text):
                self.read(origin, sub, m.group(1), key=False)

    def condition(self, origin: Origin, sub: tuple, cond: Any) -> None:
        for where, field, op, operand in _reads(cond, sub):
            spec = self.read(origin, where, field, key=True)
            if spec is not None and field not in self.elsewhere:
                self.operand(origin, where, field, spec, op, operand)

    def read(self, origin: Origin, where: tuple, field: str, key: bool) -> AttributeSpec | None:
        """The spec of the attribute `field` reads (None if it reads none); reports an unknown one."""
        if "${" in field:
            return None
        parts = field.split(".")
        if parts[0] == "event" and len(parts) >= 2:
            if parts[1] not in EVENT_FIELDS:
                self.unknown(origin, where, key, field, f"unknown event field '{parts[1]}' in '{field}'"
                             f"{did_you_mean(parts[1], EVENT_FIELDS)}", error=True)
                return None
            if parts[1] not in ("attrs", "prev") or len(parts) < 3:
                return None
            prefix, name, rest = f"event.{parts[1]}.", parts[2], parts[3:]
            extra = self.event_only if parts[1] == "attrs" else {}
        elif parts[0] == "ticket" and len(parts) >= 2:
            prefix, name, rest, extra = "ticket.", parts[1], parts[2:], {}
        else:
            return None  # state.* and malformed paths: the condition compiler checks those
        spec = self.builtin.get(name) or self.specs.get(name) or extra.get(name)
        if spec is None:
            names = [*self.builtin, *self.specs, *extra]
            how = "declared under `attributes:`" if self.declared else \
                "declared (this contract has no `attributes:` section: declare what its rules read)"
            hint = did_you_mean(name, names)  # on the bare names: the shared prefix would make all look close
            if hint.startswith("; did you mean '"):
                hint = f"; did you mean '{prefix}{hint.split(chr(39))[1]}'?"
            self.unknown(origin, where, key, name, f"'{prefix}{name}' is not {how}{hint}", error=self.declared)
            return None
        if rest and spec.type != "object":
            self.unknown(origin, where, key, field, f"'{prefix}{name}' is {_A[spec.type]}: it has no field "
                         f"'{rest[0]}'", error=True)
            return None
        return None if rest else spec

    def unknown(self, origin: Origin, where: tuple, key: bool, name: str, message: str, error: bool) -> None:
        if not error:
            if name in self.warned:
                return  # one warning per undeclared name, at its first read
            self.warned.add(name)
        diag = origin.diag("unknown-attribute", message, where, key=key)
        self.out.append(diag if error else Diagnostic(diag.code, diag.message, diag.file, diag.line, diag.col,
                                                      diag.path, "warning"))

    def operand(self, origin: Origin, where: tuple, field: str, spec: AttributeSpec, op: str, operand: Any) -> None:
        if op in ("$mt", "$imt"):
            if spec.type not in ("string", "instant"):
                self.out.append(origin.diag("attribute-value", f"'{field}' is {_A[spec.type]}: a pattern never "
                                            "matches it", where, key=True))
            return
        if op in _ORDER_OPS:
            if spec.type in ("boolean", "object") or (operand is not None and not _has_type(operand, spec.type)):
                self.out.append(origin.diag("attribute-value", f"'{field}' is {_A[spec.type]}: {op} "
                                            f"{_show(operand)} never holds", where, key=True))
            return
        if op not in _VALUE_OPS:
            return
        listed = op in ("$in", "$nin") and isinstance(operand, list)
        for i, value in enumerate(operand if listed else [operand]):
            if value is None or (isinstance(value, str) and "${" in value):
                continue
            problem = spec.problem(value)
            if problem is not None:
                self.out.append(origin.diag("attribute-value", f"'{field}' never equals {_show(value)}: {problem}",
                                            (*where, i) if listed else where, key=not listed))


def _items(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _reads(cond: Any, path: tuple) -> Iterator[tuple[tuple, str, str, Any]]:
    """(path of the key, fact path, operator, operand) for every fact a condition reads."""
    if isinstance(cond, list):
        for i, sub in enumerate(cond):
            yield from _reads(sub, (*path, i))
        return
    if not isinstance(cond, dict):
        return
    for key, value in cond.items():
        if not isinstance(key, str):
            continue
        if key in ("$and", "$or"):
            yield from _reads(value, (*path, key))
        elif key in _FIELD_OPS:
            for field, operand in value.items() if isinstance(value, dict) else ():
                if isinstance(field, str):
                    yield (*path, key, field), field, key, operand
        elif not key.startswith("$"):
            yield (*path, key), key, "=", value

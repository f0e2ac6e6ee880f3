"""Static checks of rules and the other conditions: never fires, conflicting clock targets, values
and recipients the contract does not declare.

Every rule fires when its trigger event comes and its `match` holds (all matching rules fire, by
salience: no rule hides another), so for rules the checks are: a condition that cannot hold given
the declared values and the trigger events (`rule-never-fires`); two rules on one event that start
the same clock with different targets under conditions that can hold together (`rule-conflict`);
literals of severities, channels, categories or parties the contract does not declare in places
the earlier checks do not cover (`undeclared-severity`, `undeclared-channel`, `undeclared-category`,
`undeclared-party`);
a `notify` to someone who is neither a party nor an escalation level (`unknown-recipient`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.language.attributes import attribute_specs
from engine.language.expand import Origin
from engine.language.lint_finding import Finding, warn
from engine.language.lint_logic import Solver, dnf

_SEVERITY_FACTS = ("event.from", "event.to", "state.opened_severity")


def _events(on: Any) -> tuple[str, ...]:
    return (on,) if isinstance(on, str) else tuple(e for e in on or () if isinstance(e, str))


def conditions(exp: Any) -> Iterator[tuple[Origin, tuple, Any, tuple[str, ...], Any, str]]:
    """(origin, path of the condition, condition, trigger events, clause, subject) of every rule-like entry."""
    root, d = Origin(exp.doc, ()), exp.data
    cid = d.get("id")  # reclassifications and refusals are named as the rules they compile to
    for i, rc in enumerate(d.get("reclassification") or []):
        yield root, ("reclassification", i, "match"), rc.get("match"), _events(rc.get("on")), rc.get("clause"), \
            f"{cid}.{rc.get('id')}"
    changes = d.get("severity_changes") or {}
    for i, r in enumerate(changes.get("refuse") or []):
        yield root, ("severity_changes", "refuse", i, "when"), r.get("when"), ("updated",), changes.get("clause"), \
            f"severity_changes.refuse[{i}]"
    for i, r in enumerate(d.get("refusals") or []):
        yield root, ("refusals", i, "when"), r.get("when"), _events(r.get("on")), r.get("clause"), \
            f"{cid}.{r.get('id')}"
    for rid, rule, origin in exp.rules:
        when = rule.get("when") or {}
        yield origin, ("when", "match"), when.get("match"), _events(when.get("event")), rule.get("clause"), rid


def rule_findings(exp: Any, solver: Solver) -> Iterator[Finding]:
    for origin, where, cond, events, clause, subject in conditions(exp):
        if cond is None:
            continue
        narrowed = solver.narrowed("event.type", events) if events else solver
        if not narrowed.possible(dnf(cond)):
            on = ", ".join(events)
            empty = [a.field for c in dnf(cond) or [] for a in c if a.op == "$in" and a.operand == []]
            why = f" (`$in` on {empty[0]} is an empty list: a parameter that switches it off?)" if empty else ""
            yield Finding(warn(origin.diag("rule-never-fires", f"'{subject}' never fires: its condition cannot hold "
                                            f"on {on} given the declared values{why}", where), clause,
                                "fix the condition (two values for one fact? a value outside the declared `values`?) "
                                "or remove the rule"), subject)
    yield from _conflicts(exp, solver)
    yield from _values(exp)
    yield from _recipients(exp)


def _starts(rule: dict) -> Iterator[tuple[str, Any]]:
    for action in rule.get("then") or []:
        for kind, args in action.items() if isinstance(action, dict) else ():
            if kind == "start_clock" and isinstance(args, dict) and isinstance(args.get("clock"), str):
                yield args["clock"], args.get("target")


def _conflicts(exp: Any, solver: Solver) -> Iterator[Finding]:
    starts = []
    for rid, rule, origin in exp.rules:
        when = rule.get("when") or {}
        for clock, target in _starts(rule):
            starts.append((rid, rule, origin, set(_events(when.get("event"))), when.get("match"), clock, target))
    for n, (rid, rule, origin, events, cond, clock, target) in enumerate(starts):
        for oid, _other, _o, oevents, ocond, oclock, otarget in starts[:n]:
            shared = tuple(sorted(events & oevents))
            if oid == rid or oclock != clock or str(target) == str(otarget) or not shared:
                continue
            both = {"$and": [c for c in (cond, ocond) if c is not None]} if cond or ocond else None
            if solver.narrowed("event.type", shared).possible(dnf(both)):
                mine, theirs = _target_text(target), _target_text(otarget)
                yield Finding(warn(origin.diag("rule-conflict", f"rules '{oid}' and '{rid}' both start clock '{clock}' "
                                                f"on {', '.join(shared)} with different targets ({theirs} and {mine}) "
                                                "when their conditions can hold together", ("when",), key=True),
                                    rule.get("clause"),
                                    "make the conditions exclusive, or give both the same target"), rid)


def _target_text(target: Any) -> str:
    return "the target table" if target is None else str(target)


def _literals(cond: Any, path: tuple) -> Iterator[tuple[tuple, str, Any]]:
    """(path, fact, literal) of every equality / $in / $nin / $neq literal of a condition."""
    if isinstance(cond, list):
        for i, sub in enumerate(cond):
            yield from _literals(sub, (*path, i))
    if not isinstance(cond, dict):
        return
    for key, value in cond.items():
        if key in ("$and", "$or"):
            yield from _literals(value, (*path, key))
        elif key in ("$in", "$nin", "$neq") and isinstance(value, dict):
            for field, options in value.items():
                if isinstance(options, list):
                    for i, option in enumerate(options):
                        yield (*path, key, field, i), field, option
                else:
                    yield (*path, key, field), field, options
        elif not key.startswith("$"):
            yield (*path, key), key, value


def _values(exp: Any) -> Iterator[Finding]:
    d = exp.data
    severities = {s.get("id") for s in d.get("severities") or []}
    specs = attribute_specs(d.get("attributes"))
    declared = {f"ticket.{n}": (n, set(specs[n].values or ())) for n in ("channel", "category")
                if n in specs and specs[n].values is not None}
    parties = {str(p) for p in d.get("parties") or {}}
    root = Origin(exp.doc, ())
    sites = [(o, w, c, cl, s) for o, w, c, _e, cl, s in conditions(exp)]
    sites += [(root, ("targets", i, "match"), t.get("match"), t.get("clause"), str(t.get("id")))
              for i, t in enumerate(d.get("targets") or [])]
    for i, g in enumerate(d.get("escalation") or []):
        sites.append((root, ("escalation", i, "applies"), g.get("applies"), g.get("clause"), str(g.get("id"))))
        sites += [(root, ("escalation", i, "edges", j, "match"), e.get("match"), g.get("clause"), str(g.get("id")))
                  for j, e in enumerate(g.get("edges") or [])]
    for origin, where, cond, clause, subject in sites:
        for path, field, value in _literals(cond, where):
            if field in _SEVERITY_FACTS and isinstance(value, str) and value not in severities:
                yield Finding(warn(origin.diag("undeclared-severity", f"'{field}' never equals '{value}': the "
                                                f"contract's severities are {', '.join(map(str, severities))}", path),
                                    clause, "use one of the declared severity ids (in quotes if it is a number)"), subject)
            elif field == "event.party" and isinstance(value, str) and value not in parties:
                yield Finding(warn(origin.diag("undeclared-party", f"'event.party' never equals '{value}': the "
                                                f"contract's parties are {', '.join(sorted(parties))}", path), clause,
                                    "use a key of `parties:` (obligations name their party by it)"), subject)
            elif field in declared and value not in declared[field][1]:
                name, allowed = declared[field]
                yield Finding(warn(origin.diag(f"undeclared-{name}", f"'{field}' never equals {value!r}: its declared "
                                                f"values are {', '.join(map(str, sorted(allowed)))}", path), clause,
                                    f"use a declared value, or add {value!r} to `attributes: {name}: values`"), subject)
    if "ticket.category" in declared:
        allowed = declared["ticket.category"][1]
        for category, spec in (d.get("exclusions") or {}).items():
            if category not in allowed:
                yield Finding(warn(root.diag("undeclared-category", f"exclusion '{category}' never applies: it is not "
                                              "one of the declared values of `category`", ("exclusions", category),
                                              key=True), spec.get("clause") if isinstance(spec, dict) else None,
                                    "add it to `attributes: category: values`, or remove the exclusion"), category)


def _recipients(exp: Any) -> Iterator[Finding]:
    d = exp.data
    known = {str(p) for p in d.get("parties") or {}}
    for g in d.get("escalation") or []:
        for node, spec in (g.get("nodes") or {}).items():
            known.add(str(node))
            if isinstance(spec, dict) and isinstance(spec.get("role"), str):
                known.add(spec["role"])
    for _rid, rule, origin in exp.rules:
        for j, action in enumerate(rule.get("then") or []):
            args = action.get("notify") if isinstance(action, dict) else None
            to = args.get("to") if isinstance(args, dict) else None
            if isinstance(to, str) and "{" not in to and to not in known:
                yield Finding(warn(origin.diag("unknown-recipient", f"notify to '{to}': neither a party nor an "
                                                "escalation level of this contract", ("then", j, "notify", "to")),
                                    rule.get("clause"), f"add '{to}' under `parties:` (or as an escalation level), or "
                                    "notify a declared party"), to)

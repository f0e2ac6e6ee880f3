"""Semantic checks of an expanded contract: references, clauses, conditions, escalation graphs.

Runs after the JSON Schema passed, so shapes are right; this finds what a schema cannot: names
that point nowhere (with a did-you-mean), cited clause ids the contract does not declare under its
own `clauses:`, declared clauses neither encoded nor listed under `not_encoded`, cyclic or
disconnected escalation graphs. A contract is checked against itself alone: nothing outside the
contract and the rule documents it includes is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from engine.calendars.business import calendar_from_spec, load_zone, parse_hours
from engine.language.attributes import attribute_diagnostics
from engine.language.compile import compile_template
from engine.language.conditions import ConditionError, compile_condition
from engine.language.escalation import graph_problems
from engine.language.expand import _PARAM, _WHOLE, Expanded, Origin
from engine.language.load import Document
from engine.language.schema import schema_diagnostics
from engine.model.diagnostics import Diagnostic, did_you_mean, with_note
from engine.model.durations import DurationTooLong, parse_duration
from engine.model.vocabulary import CATEGORIES, CHANNELS, CLOCKS, EXTERNAL_EVENTS, INTERNAL_EVENTS


class _Checker:
    def __init__(self, exp: Expanded):
        self.exp = exp
        self.data = exp.data
        self.root = Origin(exp.doc, ())
        clauses = self.data.get("clauses")
        self.clauses: dict[str, Any] = clauses if isinstance(clauses, dict) else {}
        self.out: list[Diagnostic] = []
        self.reported: set[Diagnostic] = set()
        self.calendars = set((self.data.get("calendars") or {}).keys()) | {"24x7"}
        self.severities = [s.get("id") for s in self.data.get("severities") or []]
        self.known_values = {
            "ticket.plan": set((self.data.get("plans") or {}).keys()),
            "ticket.severity": set(self.severities),
            "ticket.region": set((self.data.get("regions") or {}).keys()),
            "ticket.channel": set(CHANNELS),
            "ticket.category": set(CATEGORIES),
        }
        self.cited: dict[str, list[Origin]] = {}

    def err(self, origin: Origin, code: str, message: str, sub: tuple = (), key: bool = False,
            clause: Any = None, hint: str | None = None) -> None:
        found = with_note(origin.diag(code, message, sub, key), clause if isinstance(clause, str) else None, hint)
        if found not in self.reported:  # e.g. the two rules of one include citing the same `with:` clause
            self.reported.add(found)
            self.out.append(found)

    # --- references -------------------------------------------------------------------------
    def calendar_ref(self, origin: Origin, sub: tuple, name: Any, allow_region: bool = True) -> None:
        if name is None or (allow_region and name == "region") or name in self.calendars or _unresolved(name):
            return
        options = self.calendars | ({"region"} if allow_region else set())
        self.err(origin, "unknown-calendar", f"unknown calendar '{name}'{did_you_mean(name, options)}", sub)

    def duration(self, origin: Origin, sub: tuple, text: Any) -> None:
        if text is None or text == "none" or _unresolved(text):
            return
        try:
            parse_duration(str(text))
        except ValueError as exc:
            self.err(origin, _duration_code(exc), str(exc), sub)

    def condition(self, origin: Origin, sub: tuple, cond: Any) -> None:
        if cond is None or _unresolved(cond):
            return
        try:
            compile_condition(cond)
        except ConditionError as exc:
            self.err(origin, exc.code, str(exc), (*sub, *exc.path))
            return
        for path, field, value in _equalities(cond, sub):
            known = self.known_values.get(field)
            what = field.split(".")[1]
            if known and isinstance(value, str) and value not in known:
                self.err(origin, f"unknown-{what}", f"unknown {what} '{value}'{did_you_mean(value, known)}", path)
            elif known and value is not None and not isinstance(value, str):
                # `{ticket.severity: 1}`: YAML reads an unquoted 1 as a number, which never equals the text "1"
                text, kind = (str(value).lower(), "true/false") if isinstance(value, bool) else (str(value), "number")
                self.err(origin, f"unknown-{what}", f"{what} {text} is written as a {kind} and never equals the text "
                         f"'{text}'; write it in quotes: \"{text}\"", path)

    def reason(self, origin: Origin, sub: tuple, text: Any) -> None:
        """`{fact.path}` placeholders of a reason read facts as conditions do: an unknown root or field is
        located here, not raised by the compiler."""
        if not isinstance(text, str) or _unresolved(text):
            return
        try:
            compile_template(text)
        except ConditionError as exc:
            self.err(origin, "bad-placeholder", f"reason placeholder: {exc}", sub)

    def severity(self, origin: Origin, sub: tuple, value: Any, allow_next: bool = False) -> None:
        if isinstance(value, dict) or (allow_next and value == "next") or value in self.severities or _unresolved(value):
            return
        self.err(origin, "unknown-severity", f"unknown severity '{value}'{did_you_mean(value, self.severities)}", sub)

    def cite(self, origin: Origin, sub: tuple, clause: Any) -> None:
        if clause is not None and not isinstance(clause, str):  # the schema passed: a parameter's value put it here
            self.err(origin, "schema", f"'clause' is {json.dumps(clause, default=str)}; expected a clause id (after "
                     "the parameters' values were put in)", sub)
            return
        if not isinstance(clause, str) or (_unresolved(clause) and sub[:1] != ("assumptions",)):  # never substituted
            return
        self.cited.setdefault(clause, []).append(Origin(origin.doc, (*origin.path, *sub)))
        self.declared(origin, sub, clause)

    def declared(self, origin: Origin, sub: tuple, clause: str) -> None:
        """`unknown-clause` at the citation unless the contract lists `clause` under `clauses:`."""
        if clause not in self.clauses:
            self.err(origin, "unknown-clause", f"clause '{clause}' is not declared under the contract's `clauses:`"
                     f"{did_you_mean(clause, self.clauses)}", sub)

    # --- sections ---------------------------------------------------------------------------
    def run(self) -> list[Diagnostic]:
        d, root = self.data, self.root
        start, end = d.get("effective_from"), d.get("effective_to")
        if isinstance(start, str) and isinstance(end, str) and end < start:  # YYYY-MM-DD: text order is date order
            self.err(root, "effective-range", f"effective_to {end} is before effective_from {start}: this version "
                     "would never be in force", ("effective_to",), hint="effective_to is the last day in force")
        for name, spec in (d.get("calendars") or {}).items():
            if isinstance(spec, dict):
                self.cite(root, ("calendars", name, "clause"), spec.get("clause"))
            try:
                calendar_from_spec(spec)
            except ValueError as exc:
                part = _calendar_part(spec)
                self.err(root, "bad-calendar", f"calendar '{name}': {exc}", ("calendars", name, *part),
                         clause=spec.get("clause") if isinstance(spec, dict) else None, hint=_CALENDAR_HINTS.get(
                             part[:1], "fix the calendar: an IANA time zone, opening hours, a holidays country"))
        for region, cal in (d.get("regions") or {}).items():
            self.calendar_ref(root, ("regions", region), cal, allow_region=False)
        for name, plan in (d.get("plans") or {}).items():
            self.cite(root, ("plans", name, "clause"), plan.get("clause"))
        seen_sev = set()
        for i, sev in enumerate(d.get("severities") or []):
            self.cite(root, ("severities", i, "clause"), sev.get("clause"))
            if sev.get("id") in seen_sev:
                self.err(root, "duplicate-id", f"severity '{sev.get('id')}' is defined twice", ("severities", i, "id"))
            seen_sev.add(sev.get("id"))
        self.targets()
        self.obligations()
        for cat, spec in (d.get("exclusions") or {}).items():
            self.cite(root, ("exclusions", cat, "clause"), spec.get("clause"))
            if cat not in CATEGORIES:
                self.err(root, "unknown-category", f"unknown exclusion category '{cat}'{did_you_mean(cat, CATEGORIES)}",
                         ("exclusions", cat), key=True)
        for i, rc in enumerate(d.get("reclassification") or []):
            sub = ("reclassification", i)
            self.cite(root, (*sub, "clause"), rc.get("clause"))
            self.events(root, (*sub, "on"), rc.get("on"))
            self.condition(root, (*sub, "match"), rc.get("match"))
            self.severity(root, (*sub, "to"), rc.get("to"))
        changes = d.get("severity_changes") or {}
        if changes.get("clause") is not None:
            self.cite(root, ("severity_changes", "clause"), changes.get("clause"))
        for i, refusal in enumerate(changes.get("refuse") or []):
            self.condition(root, ("severity_changes", "refuse", i, "when"), refusal.get("when"))
            self.reason(root, ("severity_changes", "refuse", i, "reason"), refusal.get("reason"))
        for i, refusal in enumerate(d.get("refusals") or []):
            self.cite(root, ("refusals", i, "clause"), refusal.get("clause"))
            self.events(root, ("refusals", i, "on"), refusal.get("on"))
            if "opened" in ([refusal.get("on")] if isinstance(refusal.get("on"), str) else refusal.get("on") or []):
                self.err(root, "bad-refusal", "an 'opened' event cannot be refused (there is no ticket yet)",
                         ("refusals", i, "on"))
            self.condition(root, ("refusals", i, "when"), refusal.get("when"))
            self.reason(root, ("refusals", i, "reason"), refusal.get("reason"))
        self.escalation()
        self.warn_at()
        self.rules()
        self.unique_ids()
        self.assumptions()
        self.coverage()
        return self.out

    def targets(self) -> None:
        for i, t in enumerate(self.data.get("targets") or []):
            sub = ("targets", i)
            self.cite(self.root, (*sub, "clause"), t.get("clause"))
            self.condition(self.root, (*sub, "match"), t.get("match"))
            self.calendar_ref(self.root, (*sub, "calendar"), t.get("calendar"))
            rows = t.get("severities") or {}
            for sev in rows:
                if sev not in self.severities:
                    self.err(self.root, "unknown-severity",
                             f"unknown severity '{sev}'{did_you_mean(sev, self.severities)}", (*sub, "severities", sev),
                             key=True)
            if "all" in t:
                rows = {"all": t["all"]}
            for sev, value in rows.items():
                where = (*sub, "severities", sev) if sev != "all" else (*sub, "all")
                if isinstance(value, dict):
                    self.duration(self.root, (*where, "duration"), value.get("duration"))
                    self.calendar_ref(self.root, (*where, "calendar"), value.get("calendar"))
                else:
                    self.duration(self.root, where, value)

    def warn_at(self) -> None:
        """The built-in `warn_at` parameter (warning ratios of a target) is compiled as numbers: check it
        after overrides, so `warn_at: 1e999` (text to YAML) or `[x]` is located, not a crash."""
        value = self.exp.params.get("warn_at")
        ratios = value if isinstance(value, list) else [value]
        if value is None or all(isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r < 1 for r in ratios):
            return
        self.err(self.root, "bad-parameter", f"warn_at is {value!r}; expected a ratio or a list of ratios between 0 and 1 "
                 "(exclusive), e.g. [0.8]", ("parameters", "warn_at", "value"))

    def obligations(self) -> None:
        parties = (self.data.get("parties") or {}).keys()
        for i, ob in enumerate(self.data.get("obligations") or []):
            sub = ("obligations", i)
            self.cite(self.root, (*sub, "clause"), ob.get("clause"))
            if ob.get("party") not in parties:
                self.err(self.root, "unknown-party",
                         f"unknown party '{ob.get('party')}'{did_you_mean(ob.get('party'), parties)}", (*sub, "party"),
                         clause=ob.get("clause"), hint="name a key of `parties:` (role -> display name), or add it there")
            self.duration(self.root, (*sub, "due"), ob.get("due"))
            self.calendar_ref(self.root, (*sub, "calendar"), ob.get("calendar"))

    def escalation(self) -> None:
        for i, graph in enumerate(self.data.get("escalation") or []):
            sub = ("escalation", i)
            self.cite(self.root, (*sub, "clause"), graph.get("clause"))
            self.condition(self.root, (*sub, "applies"), graph.get("applies"))
            for j, edge in enumerate(graph.get("edges") or []):
                self.condition(self.root, (*sub, "edges", j, "match"), edge.get("match"))
            for message, where, hint in graph_problems(graph):
                self.err(self.root, "escalation-graph", f"escalation graph '{graph.get('id')}': {message}",
                         (*sub, *where), clause=graph.get("clause"), hint=hint)

    def events(self, origin: Origin, sub: tuple, events: Any) -> None:
        if not isinstance(events, (str, list)):  # e.g. an include parameter given as 12 or null
            self.err(origin, "unknown-event", f"expected an event type or a list of event types, got {events!r}", sub)
            return
        for j, name in enumerate([events] if isinstance(events, str) else events):
            if not isinstance(name, str):
                self.err(origin, "unknown-event", f"expected an event type, got {name!r}", (*sub, j))
            elif name not in EXTERNAL_EVENTS and name not in INTERNAL_EVENTS and not _unresolved(name):
                where = sub if isinstance(events, str) else (*sub, j)
                self.err(origin, "unknown-event",
                         f"unknown event type '{name}'{did_you_mean(name, EXTERNAL_EVENTS + INTERNAL_EVENTS)}", where)

    def rules(self) -> None:
        obligations = [o.get("id") for o in self.data.get("obligations") or []]
        graphs = [g.get("id") for g in self.data.get("escalation") or []]
        for _rid, rule, origin in self.exp.rules:
            self.cite(*self.clause_site(origin), rule.get("clause"))
            when = rule.get("when") or {}
            self.events(origin, ("when", "event"), when.get("event"))
            self.condition(origin, ("when", "match"), when.get("match"))
            for j, action in enumerate(rule.get("then") or []):
                for kind, args in action.items():
                    self.action(origin, ("then", j, kind), kind, args, obligations, graphs)

    def clause_site(self, origin: Origin) -> tuple[Origin, tuple]:
        """Where a rule's clause was written: for an included rule whose `clause: "${name}"` takes an
        include parameter, the include's `with: {name: ...}` in the contract; else the rule's own line."""
        raw = _at(origin.doc.data, origin.path)
        written = raw.get("clause") if isinstance(raw, dict) else None
        whole = _WHOLE.match(written) if isinstance(written, str) else None
        if origin.include and whole:
            given = _at(self.exp.doc.data, (*origin.include, "with"))
            if isinstance(given, dict) and whole.group(1) in given:
                return self.root, (*origin.include, "with", whole.group(1))
        return origin, ("clause",)

    def action(self, origin: Origin, sub: tuple, kind: str, args: Any, obligations: list, graphs: list) -> None:
        if isinstance(args, dict):
            self.reason(origin, (*sub, "reason"), args.get("reason"))
        if isinstance(args, dict) and "clock" in args:
            allowed = CLOCKS if kind == "start_clock" else (*CLOCKS, "all")
            names = args["clock"] if isinstance(args["clock"], list) and kind != "start_clock" else [args["clock"]]
            for i, name in enumerate(names):
                if name not in allowed and not _unresolved(name):
                    where = (*sub, "clock", i) if names is args["clock"] else (*sub, "clock")
                    self.err(origin, "unknown-clock", f"unknown clock '{name}'{did_you_mean(name, allowed)}", where)
        if kind == "start_clock":
            self.duration(origin, (*sub, "target"), args.get("target"))
            self.calendar_ref(origin, (*sub, "calendar"), args.get("calendar"))
        elif kind == "start_timer":
            self.duration(origin, (*sub, "after"), args.get("after"))
            self.calendar_ref(origin, (*sub, "calendar"), args.get("calendar"))
        elif kind in ("obligation", "fulfil"):
            name = args.get("id") if isinstance(args, dict) else args
            if name not in obligations:
                self.err(origin, "unknown-obligation", f"unknown obligation '{name}'{did_you_mean(name, obligations)}",
                         (*sub, "id") if isinstance(args, dict) else sub)
            if isinstance(args, dict):
                self.duration(origin, (*sub, "due"), args.get("due"))
                self.calendar_ref(origin, (*sub, "calendar"), args.get("calendar"))
        elif kind in ("downgrade", "reclassify"):
            self.severity(origin, (*sub, "to"), args.get("to"), allow_next=kind == "downgrade")
        elif kind == "escalate":
            if not graphs:
                self.err(origin, "unknown-graph", "escalate needs an `escalation` graph in the contract", sub)
            elif args.get("graph") is not None and args["graph"] not in graphs:
                self.err(origin, "unknown-graph",
                         f"unknown escalation graph '{args['graph']}'{did_you_mean(args['graph'], graphs)}", (*sub, "graph"))
        elif kind == "exclude" and isinstance(args.get("exclusion"), str):
            if args["exclusion"] not in (self.data.get("exclusions") or {}):
                self.err(origin, "unknown-exclusion", f"unknown exclusion '{args['exclusion']}'"
                         f"{did_you_mean(args['exclusion'], self.data.get('exclusions') or {})}", (*sub, "exclusion"))

    def unique_ids(self) -> None:
        seen: dict[str, Origin] = {}
        for rid, _rule, origin in self.exp.rules:
            if rid in seen:
                self.err(origin, "duplicate-id", f"rule id '{rid}' is already used", ("id",))
            seen[rid] = origin
        for section in ("targets", "obligations", "reclassification", "escalation", "refusals"):
            ids: set = set()
            for i, item in enumerate(self.data.get(section) or []):
                if item.get("id") in ids:
                    self.err(self.root, "duplicate-id", f"{section} id '{item.get('id')}' is used twice", (section, i, "id"))
                ids.add(item.get("id"))

    def assumptions(self) -> None:
        names = set((self.data.get("parameters") or {}).keys()) | self.calendars
        for i, a in enumerate(self.data.get("assumptions") or []):
            self.cite(self.root, ("assumptions", i, "clause"), a.get("clause"))
            param = a.get("parameter")
            if param is not None and param not in names:
                self.err(self.root, "unknown-parameter",
                         f"assumption names unknown parameter '{param}'{did_you_mean(param, names)}",
                         ("assumptions", i, "parameter"))

    def coverage(self) -> None:
        declared: dict[str, int] = {}
        for i, item in enumerate(self.data.get("not_encoded") or []):
            clause = item.get("clause")
            if isinstance(clause, str) and not _unresolved(clause):
                self.declared(self.root, ("not_encoded", i, "clause"), clause)
            declared[clause] = i
        citing = {c: [o for o in origins if o.path[:1] != ("assumptions",)] for c, origins in self.cited.items()}
        encoded = {c: origins[0] for c, origins in citing.items() if origins}
        for clause, i in declared.items():
            if clause in encoded:
                origin = encoded[clause]
                self.err(self.root, "encoded-and-not-encoded",
                         f"clause '{clause}' is listed in not_encoded but also encoded at "
                         f"{origin.doc.file}:{origin.doc.locate(origin.path)[0]}", ("not_encoded", i, "clause"))
        for clause in self.clauses:
            if clause not in encoded and clause not in declared:
                self.err(self.root, "clause-not-covered",
                         f"clause '{clause}' is neither encoded (cited by a rule, target, calendar...) nor listed "
                         "in not_encoded", ("clauses", clause), key=True, clause=clause,
                         hint="cite it (`clause:`) where it is encoded, or list it under `not_encoded:` with the reason")


_CALENDAR_HINTS = {
    ("timezone",): "use an IANA time zone name, e.g. Europe/Paris",
    ("hours",): "give opening hours, e.g. {mon-fri: ['09:00-17:00']}; a calendar never open makes every target on "
                "it never due (use 24x7 for always open)",
    ("holidays",): "use a country (and subdivision) code the holidays library knows, e.g. FR or GB/ENG, or dates",
}


def _at(data: Any, path: tuple) -> Any:
    """The value at a JSON path of a loaded document (None when the path does not lead anywhere)."""
    for step in path:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data


def _duration_code(exc: ValueError) -> str:
    """`duration-too-long` for a well-formed duration over the one-year bound, else `bad-duration`."""
    return "duration-too-long" if isinstance(exc, DurationTooLong) else "bad-duration"


def _calendar_part(spec: Any) -> tuple:
    """Where inside a calendar spec `calendar_from_spec` failed: the time zone, one hours key, holidays."""
    if not isinstance(spec, dict):
        return ()
    zone = spec.get("timezone")
    zone_path: tuple = ("timezone", "default") if isinstance(zone, dict) else ("timezone",)
    try:
        load_zone(zone.get("default") if isinstance(zone, dict) else zone)
    except ValueError:
        return zone_path
    hours = spec.get("hours")
    if not isinstance(hours, dict):
        return ("hours",)
    for key, value in hours.items():
        try:
            parse_hours({key: value})
        except ValueError:
            return ("hours", key)
    if not any(parse_hours(hours)):  # every interval parses, yet the calendar is never open
        return ("hours",)
    return ("holidays",) if "holidays" in spec else ()


def _unresolved(value: Any) -> bool:
    """Does `value` (or anything inside it) still hold a `${name}` that expansion could not resolve?

    Such a parameter is unknown or missing and `expand` has reported it; checking the value again
    (as a duration, an event type, a calendar...) would only add a second error for one mistake.
    """
    if isinstance(value, str):
        return _PARAM.search(value) is not None
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    if isinstance(value, dict):
        return any(_unresolved(k) or _unresolved(v) for k, v in value.items())
    return False


def _equalities(cond: Any, path: tuple) -> Iterator[tuple[tuple, str, Any]]:
    """(path, field, literal) for every equality / $in / $nin literal in a condition."""
    if isinstance(cond, list):
        for i, sub in enumerate(cond):
            yield from _equalities(sub, (*path, i))
        return
    if not isinstance(cond, dict):
        return
    for key, value in cond.items():
        if key in ("$and", "$or"):
            yield from _equalities(value, (*path, key))
        elif key in ("$in", "$nin", "$neq") and isinstance(value, dict):
            for field, options in value.items():
                for i, option in enumerate(options if isinstance(options, list) else [options]):
                    yield ((*path, key, field, i) if isinstance(options, list) else (*path, key, field)), field, option
        elif not key.startswith("$"):
            yield (*path, key), key, value


def semantic_diagnostics(exp: Expanded) -> list[Diagnostic]:
    """All semantic problems of an expanded contract, in file order."""
    out = _Checker(exp).run() + attribute_diagnostics(exp)
    return sorted(out, key=lambda d: (d.file or "", d.line or 0, d.col or 0, d.code))


def _literal(value: Any) -> bool:
    """False for values still holding a `${param}` (a rule document is checked before its include)."""
    return not (isinstance(value, str) and "${" in value)


def rule_document_diagnostics(doc: Any) -> list[Diagnostic]:
    """What can be checked in a reusable rule document on its own: event types, conditions, durations
    and clock names that are literal (parameters are checked where the document is included)."""
    out: list[Diagnostic] = []
    for i, rule in enumerate(doc.data.get("rules") or []):
        where = ("rules", i)
        when = rule.get("when") or {}
        events = when.get("event")
        for j, name in enumerate([events] if isinstance(events, str) else events or []):
            if _literal(name) and name not in EXTERNAL_EVENTS and name not in INTERNAL_EVENTS:
                path = (*where, "when", "event") if isinstance(events, str) else (*where, "when", "event", j)
                out.append(doc.diag("unknown-event", f"unknown event type '{name}'"
                                    f"{did_you_mean(name, EXTERNAL_EVENTS + INTERNAL_EVENTS)}", path))
        cond = when.get("match")
        if cond is not None and "${" not in repr(cond):
            try:
                compile_condition(cond)
            except ConditionError as exc:
                out.append(doc.diag(exc.code, str(exc), (*where, "when", "match", *exc.path)))
        for j, action in enumerate(rule.get("then") or []):
            for kind, args in action.items():
                if not isinstance(args, dict):
                    continue
                sub = (*where, "then", j, kind)
                clock = args.get("clock")
                allowed = CLOCKS if kind == "start_clock" else (*CLOCKS, "all")
                for i, name in enumerate(clock if isinstance(clock, list) else [clock]):
                    if name is not None and _literal(name) and name not in allowed:
                        # not `where`: that is the rule's path, which the rule's later actions still need
                        at = (*sub, "clock", i) if isinstance(clock, list) else (*sub, "clock")
                        out.append(doc.diag("unknown-clock", f"unknown clock '{name}'{did_you_mean(name, allowed)}",
                                            at))
                for key in {"start_clock": ("target",), "start_timer": ("after",)}.get(kind, ()):
                    if isinstance(args.get(key), str) and _literal(args[key]):
                        try:
                            parse_duration(args[key])
                        except ValueError as exc:
                            out.append(doc.diag(_duration_code(exc), str(exc), (*sub, key)))
    return out


def substituted_schema_diagnostics(exp: Expanded) -> list[Diagnostic]:
    """The JSON Schema again after `${param}` substitution: a parameter whose value does not fit
    where it is used (a list where a calendar name belongs) is a `schema` error located at the
    `${...}` that put it there, before any check that expects the right shape."""
    doc = exp.doc
    out = [_after_substitution(d) for d in schema_diagnostics(replace(doc, data=exp.data), "contract")]
    rules = Document(doc.file, {"id": "rules", "rules": [rule for _, rule, _ in exp.rules]})  # one validation
    for d in schema_diagnostics(rules, "rules"):
        if len(d.path) >= 2 and d.path[0] == "rules" and isinstance(d.path[1], int):
            out.append(_after_substitution(exp.rules[d.path[1]][2].diag(d.code, d.message, d.path[2:])))
    return out


def _after_substitution(d: Diagnostic) -> Diagnostic:
    return replace(d, message=f"{d.message} (after the parameters' values were put in)")

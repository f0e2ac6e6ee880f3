"""Compile a validated, expanded contract into the backend-neutral form the runtime evaluates.

The compiled form is data: rules indexed by trigger event and pre-sorted by salience, conditions
turned into predicates (the original durable_rules JSON is kept beside them for other backends),
targets as lookup tables, calendars built on demand per time zone and memoised per contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.calendars.business import BusinessCalendar, calendar_from_spec, holiday_country_attribute, timezone_attribute
from engine.language.attributes import AttributeSpec, attribute_specs, event_attribute_problem
from engine.language.conditions import (
    Facts,
    Getter,
    Predicate,
    compile_condition,
    compile_getter,
    compile_match,
    compile_matches,
    condition_fields,
)
from engine.language.escalation import EscalationGraph, compile_graph
from engine.language.expand import Expanded
from engine.model.durations import Duration, parse_duration

ALWAYS = "24x7"
_PLACEHOLDER = re.compile(r"\{([a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_${}-]+)+)\}")


@dataclass(frozen=True)
class Template:
    """A reason text with `{fact.path}` placeholders, rendered without eval."""

    text: str
    getters: tuple[tuple[str, Getter], ...] = ()

    def render(self, facts: Facts) -> str:
        if not self.getters:
            return self.text
        out = self.text
        for placeholder, getter in self.getters:
            value = getter(facts)
            out = out.replace(placeholder, "?" if value is None else _text(value))
        return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_template(text: str) -> Template:
    getters = tuple((m.group(0), compile_getter(m.group(1))) for m in _PLACEHOLDER.finditer(text))
    return Template(text, getters)


@dataclass(frozen=True)
class Value:
    """An action argument: a literal, or a fact read at firing time (`{ref: event.prev.severity}`)."""

    literal: Any = None
    getter: Getter | None = None

    def get(self, facts: Facts) -> Any:
        return self.getter(facts) if self.getter is not None else self.literal


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    args: dict[str, Any]
    reason: Template | None = None
    writes: tuple[str, ...] = ()  # fact paths (prefixes) this action may change, for the agenda


def _writes(kind: str, args: Any) -> tuple[str, ...]:
    """Fact paths an action may change: a rule reading none of them keeps its match after it fires."""
    if kind in ("start_clock", "stop_clock", "pause_clock", "resume_clock", "reschedule_clock"):
        clock = args.get("clock") if isinstance(args, dict) else None
        if clock is None or clock == "all":
            return ("state.clock.", "state.breached.")
        names = clock if isinstance(clock, list) else [clock]
        return tuple(path for name in names for path in (f"state.clock.{name}", f"state.breached.{name}"))
    if kind in ("reclassify", "downgrade"):
        return ("ticket.severity",)
    if kind == "escalate":
        return ("state.escalation.",)
    if kind == "set":
        return tuple(f"state.vars.{k}" for k in args)
    if kind in ("obligation", "fulfil"):
        name = args.get("id") if isinstance(args, dict) else args
        return (f"state.obligation.{name}",)
    if kind in ("start_timer", "cancel_timer"):
        name = args.get("timer") if isinstance(args, dict) else args
        return (f"state.timer.{name}",)
    return ()


def _overlaps(writes: tuple[str, ...], reads: tuple[str, ...]) -> bool:
    return any(r.startswith(w) or w.startswith(r) for w in writes for r in reads)


Match = Callable[[Facts], tuple | None]
# Fact paths whose getters only ever return None, a string, a bool or an int: nothing to freeze.
_SCALAR_READS = ("state.clock.", "state.breached.", "state.timer.", "state.obligation.", "state.escalation.",
                 "state.open.")


def freeze(value: Any) -> Any:
    """A hashable stand-in for a fact value (dicts and lists become sorted/ordered tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def match_function(condition: dict | None, reads: tuple[tuple[str, Getter], ...]) -> Match:
    """A rule's match: None when its condition does not hold, else its activation (the refraction
    key): the values the condition read, as one hashable tuple.

    Compiled once per rule into one function, which freezes only the values that may be dicts or
    lists (a clock status, a timer's presence... are always scalar, the common case).
    """
    cond, paths, wrapped = _match_spec(condition, reads)
    return compile_match(cond, paths, freeze, wrapped)


def _match_spec(condition: dict | None, reads: tuple[tuple[str, Getter], ...]) -> tuple[Any, list[str], set[str]]:
    """(condition, paths read, paths whose values may need freezing) for compile_match(es)."""
    paths = [path for path, _ in reads]
    return condition, paths, {p for p in paths if not p.startswith(_SCALAR_READS)}


@dataclass(frozen=True)
class Rule:
    """One compiled rule. `condition` keeps the durable_rules JSON for a second backend."""

    id: str
    clause: str
    salience: int
    order: int
    events: tuple[str, ...]
    condition: dict | None
    reads: tuple[tuple[str, Getter], ...]
    actions: tuple[ActionSpec, ...]
    description: str = ""
    file: str | None = None
    line: int | None = None
    match: Match = field(init=False, repr=False, compare=False)  # derived from `condition` and `reads`

    def __post_init__(self) -> None:
        object.__setattr__(self, "match", match_function(self.condition, self.reads))


@dataclass(frozen=True)
class TargetRow:
    duration: Duration | None  # None: the contract sets no clock for this severity
    calendar: str


@dataclass(frozen=True)
class Target:
    id: str
    clock: str
    clause: str
    predicate: Predicate | None
    rows: dict[str, TargetRow]
    default: TargetRow | None  # the row of severities `rows` does not list (None: not covered)


@dataclass(frozen=True)
class Obligation:
    id: str
    clause: str
    party: str
    what: str
    due: Duration | None
    calendar: str
    consequence: str = ""


@dataclass(frozen=True)
class SeverityRefusal:
    """One `severity_changes.refuse` entry: a change its condition holds for is refused."""

    predicate: Predicate
    reason: Template | None
    condition: dict  # the durable_rules JSON, for the decision log and a second backend


@dataclass(frozen=True)
class SeverityPolicy:
    """How a severity change asked by an `updated` event is decided and recorded: refused when a
    `refuse` entry holds, else applied; either way one action citing `clause` (None: the definition
    clause of the severity changed to)."""

    rule: str
    clause: str | None = None
    refusals: tuple[SeverityRefusal, ...] = ()

    def refusal(self, facts: Facts) -> SeverityRefusal | None:
        return next((r for r in self.refusals if r.predicate(facts)), None)


@dataclass(frozen=True)
class EventRefusal:
    """One `refusals` entry: an event of these types its condition holds for is not applied (one
    `refused` action citing `clause`), e.g. a close without the customer's consent."""

    rule: str
    clause: str
    predicate: Predicate | None
    reason: Template | None
    condition: dict | None


@dataclass
class CompiledContract:
    """Everything the runtime needs for one contract; no reference back to YAML."""

    id: str
    version: str
    title: str
    source: str
    file: str
    data: dict
    params: dict[str, Any]
    severities: tuple[str, ...]
    regions: dict[str, str]
    calendar_specs: dict[str, Any]
    targets: dict[str, tuple[Target, ...]]
    obligations: dict[str, Obligation]
    exclusions: dict[str, str]
    graphs: tuple[EscalationGraph, ...]
    rules: tuple[Rule, ...]
    rules_by_event: dict[str, tuple[Rule, ...]]
    # per trigger, per rule index: the indices of the rules (same list) whose match a firing may change
    affects: dict[str, tuple[tuple[int, ...], ...]]
    # per trigger, per rule index: where the agenda resumes its scan after that rule fired (the
    # rules before it kept their match, and none of them was ready to fire)
    rescan: dict[str, tuple[int, ...]]
    # per trigger, one function returning the `Rule.match` of each of its rules (same list)
    matches: dict[str, Callable[[Facts], list[tuple | None]]]
    warn_at: tuple[float, ...]
    severity_policy: SeverityPolicy | None = None
    severity_clauses: dict[str, str] = field(default_factory=dict)  # severity -> the clause defining it
    refusals: dict[str, tuple[EventRefusal, ...]] = field(default_factory=dict)  # event type -> its refusals
    # per trigger, (rules_by_event, matches, affects, rescan) of it: what the agenda reads, in one look-up
    agendas: dict[str, tuple] = field(init=False, repr=False, compare=False)
    _calendars: dict[tuple, tuple[BusinessCalendar, str]] = field(default_factory=dict, repr=False)
    _fixed: dict[str, tuple[BusinessCalendar, str]] = field(default_factory=dict, repr=False)
    _zone_attrs: dict[str, str | None] = field(default_factory=dict, repr=False)
    _country_attrs: dict[str, str | None] = field(default_factory=dict, repr=False)
    _usable: set[tuple[str, str, str]] = field(default_factory=set, repr=False)  # attribute values checked good
    _attributes: dict[str, AttributeSpec] = field(default_factory=dict, repr=False)  # declared `attributes:`

    def __post_init__(self) -> None:
        self.agendas = {event: (rules, self.matches[event], self.affects[event], self.rescan[event])
                        for event, rules in self.rules_by_event.items()}
        self._zone_attrs = {name: timezone_attribute(spec) for name, spec in self.calendar_specs.items()}
        self._country_attrs = {name: holiday_country_attribute(spec) for name, spec in self.calendar_specs.items()}
        self._attributes = attribute_specs(self.data.get("attributes"))

    def calendar(self, name: str, attrs: dict) -> tuple[BusinessCalendar, str] | None:
        """(calendar, label) for a reference: an id, `24x7`, or `region` (= regions[ticket.region])."""
        if name == "region":
            name = self.regions.get(attrs.get("region"))
            if name is None:
                return None
        fixed = self._fixed.get(name)  # a calendar that reads no ticket attribute: one lookup
        if fixed is not None:
            return fixed
        if name == ALWAYS:
            key = (ALWAYS, None, None)
        else:
            if name not in self.calendar_specs:
                return None
            attr, country_attr = self._zone_attrs.get(name), self._country_attrs.get(name)
            key = (name, attrs.get(attr) if attr else None, attrs.get(country_attr) if country_attr else None)
        cached = self._calendars.get(key)
        if cached is None:
            cached = self._build_calendar(*key)
            self._calendars[key] = cached
            if name == ALWAYS or not (self._zone_attrs.get(name) or self._country_attrs.get(name)):
                self._fixed[name] = cached
        return cached

    def _build_calendar(self, name: str, zone: str | None, country: str | None) -> tuple[BusinessCalendar, str]:
        if name == ALWAYS:
            return BusinessCalendar.always_open(), ALWAYS
        # a bad `timezone` / `country` attribute never gets here: the event that set it was
        # rejected (attribute_problem), as a silently substituted calendar is a silently wrong SLA
        cal = calendar_from_spec(self.calendar_specs[name], zone or None, country or None)
        return cal, f"{name} ({cal.describe()})"

    def attribute_problem(self, attrs: dict, opened: bool = False) -> tuple[str, str] | None:
        """(reject code, reason) when `attrs` (an event's) set a severity this contract does not
        define, a zone or holiday country attribute that one of its calendars cannot use, or a value its
        `attributes:` declaration does not allow (attributes.event_attribute_problem). Only
        `opened` may leave the severity unset (null): a change always goes to a defined severity."""
        if "severity" in attrs and not (opened and attrs["severity"] is None):
            severity = attrs["severity"]
            if type(severity) is not str or severity not in self.severities:
                hint = f' (a number: write "{severity}")' if str(severity) in self.severities else ""
                return "unknown-severity", (f"severity {severity!r} is not defined by contract {self.id!r}{hint}; "
                                            f"expected one of {', '.join(self.severities)}")
        for name, spec in self.calendar_specs.items():
            zone_attr, country_attr = self._zone_attrs.get(name), self._country_attrs.get(name)
            for attr, code in ((zone_attr, "unknown-timezone"), (country_attr, "unknown-country")):
                if attr is None or attrs.get(attr) is None:
                    continue
                value = attrs[attr]
                if (name, code, value) in self._usable:
                    continue
                try:
                    if code == "unknown-timezone":
                        calendar_from_spec(spec, value, None)
                    else:
                        calendar_from_spec(spec, None, value)
                except (ValueError, TypeError) as exc:
                    return code, f"attrs.{attr} {value!r} cannot be used by calendar {name!r}: {exc}"
                if type(value) is str:
                    self._usable.add((name, code, value))
        return event_attribute_problem(self._attributes, attrs) if self._attributes else None

    def target(self, clock: str, severity: Any, facts: Facts) -> tuple[Target, TargetRow] | None:
        """First target entry for `clock` whose condition holds and which covers `severity`."""
        for target in self.targets.get(clock, ()):
            row = target.rows.get(severity, target.default)  # the cheap test first: conditions are pure
            if row is not None and (target.predicate is None or target.predicate(facts)):
                return target, row
        return None

    def change_clause(self, to: str) -> str:
        """The clause an applied or refused severity change cites."""
        policy = self.severity_policy
        if policy is not None and policy.clause is not None:
            return policy.clause
        return self.severity_clauses.get(to, "")

    def next_severity(self, severity: Any) -> str | None:
        if severity in self.severities:
            i = self.severities.index(severity)
            if i + 1 < len(self.severities):
                return self.severities[i + 1]
        return None


def _row(value: Any, default_calendar: str) -> TargetRow:
    if isinstance(value, dict):
        duration = value.get("duration")
        calendar = value.get("calendar", default_calendar)
    else:
        duration, calendar = value, default_calendar
    return TargetRow(None if duration in (None, "none") else parse_duration(str(duration)), calendar)


def _value(arg: Any) -> Value:
    if isinstance(arg, dict) and set(arg) == {"ref"}:
        return Value(getter=compile_getter(arg["ref"]))
    return Value(literal=arg)


def _action(kind: str, args: Any) -> ActionSpec:
    if not isinstance(args, dict):
        return ActionSpec(kind, {"name": args}, None, _writes(kind, args))
    compiled: dict[str, Any] = {}
    for key, value in args.items():
        if key == "reason":
            continue
        if key in ("target", "after", "due") and isinstance(value, str):
            compiled[key] = parse_duration(value)
        elif key in ("to", "exclusion", "from"):
            compiled[key] = _value(value)
        else:
            compiled[key] = value
    reason = compile_template(args["reason"]) if isinstance(args.get("reason"), str) else None
    return ActionSpec(kind, compiled, reason, _writes(kind, args))


def _rule(rid: str, spec: dict, order: int, file: str | None, line: int | None) -> Rule:
    when = spec["when"]
    events = when["event"]
    events = (events,) if isinstance(events, str) else tuple(events)
    cond = when.get("match")
    reads = tuple((path, compile_getter(path)) for path in condition_fields(cond)) if cond else ()
    actions = tuple(_action(kind, args) for item in spec["then"] for kind, args in item.items())
    return Rule(
        id=rid,
        clause=spec["clause"],
        salience=int(spec.get("salience", 0)),
        order=order,
        events=events,
        condition=cond,
        reads=reads,
        actions=actions,
        description=spec.get("description", ""),
        file=file,
        line=line,
    )


def compile_contract(exp: Expanded) -> CompiledContract:
    """Build the runtime form; call only on a contract that validated without errors."""
    d = exp.data
    contract_id = d["id"]
    targets: dict[str, list[Target]] = {}
    for t in d.get("targets") or []:
        default_cal = t.get("calendar", "region")
        rows = {sev: _row(v, default_cal) for sev, v in (t.get("severities") or {}).items()}
        default = _row(t["all"], default_cal) if "all" in t else None
        pred = compile_condition(t["match"]) if t.get("match") else None
        targets.setdefault(t["clock"], []).append(Target(t["id"], t["clock"], t["clause"], pred, rows, default))
    obligations = {
        o["id"]: Obligation(o["id"], o["clause"], o["party"], o["what"],
                            parse_duration(o["due"]) if o.get("due") else None, o.get("calendar", "region"),
                            o.get("consequence", ""))
        for o in d.get("obligations") or []
    }
    rules: list[Rule] = []
    for i, rc in enumerate(d.get("reclassification") or []):
        spec = {
            "id": rc["id"], "clause": rc["clause"], "salience": 100, "description": rc.get("description", ""),
            "when": {"event": rc["on"], **({"match": rc["match"]} if rc.get("match") else {})},
            "then": [{"reclassify": {"to": rc["to"], **({"reason": rc["reason"]} if rc.get("reason") else {})}}],
        }
        line = exp.doc.locate(("reclassification", i))[0]
        rules.append(_rule(f"{contract_id}.{rc['id']}", spec, len(rules), exp.doc.file, line))
    for rid, spec, origin in exp.rules:
        rules.append(_rule(rid, spec, len(rules), origin.doc.file, origin.doc.locate(origin.path)[0]))
    by_event: dict[str, list[Rule]] = {}
    for rule in rules:
        for event in rule.events:
            by_event.setdefault(event, []).append(rule)
    ordered = {k: tuple(sorted(v, key=lambda r: (-r.salience, r.order))) for k, v in by_event.items()}
    affects = {event: tuple(tuple(j for j, other in enumerate(rules)
                                  if _overlaps(tuple(w for a in rule.actions for w in a.writes),
                                               tuple(p for p, _ in other.reads)))
                            for rule in rules)
               for event, rules in ordered.items()}
    rescan = {event: tuple(min(j + 1, min(hit, default=j + 1)) for j, hit in enumerate(per_rule))
              for event, per_rule in affects.items()}
    changes = d.get("severity_changes") or {}
    policy = SeverityPolicy(
        rule=f"{contract_id}.severity-changes", clause=changes.get("clause"),
        refusals=tuple(SeverityRefusal(compile_condition(r["when"]),
                                       compile_template(r["reason"]) if r.get("reason") else None, r["when"])
                       for r in changes.get("refuse") or []))
    refusals: dict[str, list[EventRefusal]] = {}
    for r in d.get("refusals") or []:
        refusal = EventRefusal(f"{contract_id}.{r['id']}", r["clause"],
                               compile_condition(r["when"]) if r.get("when") else None,
                               compile_template(r["reason"]) if r.get("reason") else None, r.get("when"))
        for kind in [r["on"]] if isinstance(r["on"], str) else r["on"]:
            refusals.setdefault(kind, []).append(refusal)
    warn = exp.params.get("warn_at", [])
    warn = [warn] if isinstance(warn, (int, float)) else list(warn or [])
    return CompiledContract(
        id=contract_id,
        version=str(d.get("version")),
        title=d.get("title", ""),
        source=d.get("source", ""),
        file=exp.doc.file,
        data=d,
        params=exp.params,
        severities=tuple(s["id"] for s in d["severities"]),
        regions=dict(d.get("regions") or {}),
        calendar_specs=dict(d.get("calendars") or {}),
        targets={k: tuple(v) for k, v in targets.items()},
        obligations=obligations,
        exclusions={k: v["clause"] for k, v in (d.get("exclusions") or {}).items()},
        graphs=tuple(compile_graph(g) for g in d.get("escalation") or []),
        rules=tuple(rules),
        rules_by_event=ordered,
        affects=affects,
        rescan=rescan,
        matches={event: compile_matches([_match_spec(r.condition, r.reads) for r in rules], freeze)
                 for event, rules in ordered.items()},
        warn_at=tuple(sorted(float(x) for x in warn)),
        severity_policy=policy,
        severity_clauses={s["id"]: s["clause"] for s in d["severities"]},
        refusals={kind: tuple(v) for kind, v in refusals.items()},
    )

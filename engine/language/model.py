"""The compiled contract: typed, frozen data the runtime evaluates and the views and scenarios read.

Nothing here knows YAML: `engine.language.compile` builds these objects from an expanded contract,
and this module imports only the model, the calendars, compiled conditions and escalation graphs,
so evaluation (engine.runtime) never pulls in the front end (loader, schema, yaml, jsonschema).
Calendars are built at compile time; a calendar whose zone or holiday country comes from a ticket
attribute keeps its built default and re-localises it per attribute value (memoised).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from engine.calendars.business import BusinessCalendar, localise
from engine.language.conditions import Facts, Getter, Predicate, compile_getter, compile_match
from engine.language.escalation import EscalationGraph
from engine.model.attribute_values import event_attribute_problem
from engine.model.durations import Duration

ALWAYS: Final = "24x7"
_PLACEHOLDER: Final = re.compile(r"\{([a-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_${}-]+)+)\}")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Value:
    """An action argument: a literal, or a fact read at firing time (`{ref: event.prev.severity}`)."""

    literal: Any = None
    getter: Getter | None = None

    def get(self, facts: Facts) -> Any:
        return self.getter(facts) if self.getter is not None else self.literal


@dataclass(frozen=True, slots=True)
class ActionSpec:
    kind: str
    args: dict[str, Any]
    reason: Template | None = None
    writes: tuple[str, ...] = ()  # fact paths (prefixes) this action may change, for the agenda


Match = Callable[[Facts], tuple | None]
# What the agenda reads of one trigger, in one look-up: its rules, the function matching them all,
# which rules each one's actions may re-activate, and where the scan resumes after each (agenda.py).
# Typed whole so that the compiled build unpacks and indexes it natively.
Agenda = tuple[tuple["Rule", ...], Callable[[Facts], list[tuple | None]], tuple[tuple[int, ...], ...], tuple[int, ...]]
# Fact paths whose getters only ever return None, a string, a bool or an int: nothing to freeze.
_SCALAR_READS: Final = ("state.clock.", "state.breached.", "state.timer.", "state.obligation.", "state.escalation.",
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
    cond, paths, wrapped = match_spec(condition, reads)
    return compile_match(cond, paths, freeze, wrapped)


def match_spec(condition: dict | None, reads: tuple[tuple[str, Getter], ...]) -> tuple[Any, list[str], set[str]]:
    """(condition, paths read, paths whose values may need freezing) for compile_match(es)."""
    paths = [path for path, _ in reads]
    return condition, paths, {p for p in paths if not p.startswith(_SCALAR_READS)}


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class TargetRow:
    duration: Duration | None  # None: the contract sets no clock for this severity
    calendar: str
    text: str | None = None  # the duration as written (after parameters), for `show`


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    clock: str
    clause: str
    predicate: Predicate | None
    rows: dict[str, TargetRow]
    default: TargetRow | None  # the row of severities `rows` does not list (None: not covered)
    condition: dict | None = None  # the `match` durable_rules JSON the predicate was compiled from


@dataclass(frozen=True, slots=True)
class Obligation:
    id: str
    clause: str
    party: str
    what: str
    due: Duration | None
    calendar: str
    consequence: str = ""
    due_text: str | None = None  # `due` as written, for `show` (None: a standing obligation)


@dataclass(frozen=True, slots=True)
class SeverityRefusal:
    """One `severity_changes.refuse` entry: a change its condition holds for is refused."""

    predicate: Predicate
    reason: Template | None
    condition: dict  # the durable_rules JSON, for the decision log and a second backend


@dataclass(frozen=True, slots=True)
class SeverityPolicy:
    """How a severity change asked by an `updated` event is decided and recorded: refused when a
    `refuse` entry holds, else applied; either way one action citing `clause` (None: the definition
    clause of the severity changed to)."""

    rule: str
    clause: str | None = None
    refusals: tuple[SeverityRefusal, ...] = ()
    declared: bool = False  # the contract has a `severity_changes` section (else the default policy)

    def refusal(self, facts: Facts) -> SeverityRefusal | None:
        return next((r for r in self.refusals if r.predicate(facts)), None)


@dataclass(frozen=True, slots=True)
class EventRefusal:
    """One `refusals` entry: an event of these types its condition holds for is not applied (one
    `refused` action citing `clause`), e.g. a close without the customer's consent."""

    rule: str
    clause: str
    predicate: Predicate | None
    reason: Template | None
    condition: dict | None


@dataclass(frozen=True, slots=True)
class Calendar:
    """A named calendar, built at compile time. `zone_attr` / `country_attr` name the ticket
    attributes that re-localise it per ticket; the other fields say how it was written, for `show`."""

    id: str
    calendar: BusinessCalendar  # the calendar of a ticket without those attributes
    clause: str | None = None
    zone_attr: str | None = None
    country_attr: str | None = None
    timezone: str | None = None  # the fixed zone, or the default of `zone_attr`; None for 24x7
    hours: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (weekday or range, intervals) as written
    holiday_country: str | None = None  # the fixed holiday country, or the default of `country_attr`
    holiday_subdivision: str | None = None
    holiday_dates: tuple[str, ...] = ()  # YYYY-MM-DD
    has_holidays: bool = False
    always_open: bool = False  # written as `24x7`
    label: str = field(init=False, compare=False)
    _variants: dict[tuple[Any, Any], tuple[BusinessCalendar, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.id} ({self.calendar.describe()})")

    @property
    def reads_attributes(self) -> bool:
        return self.zone_attr is not None or self.country_attr is not None

    def localised(self, zone: Any = None, country: Any = None) -> BusinessCalendar:
        """The calendar in `zone` / with the holidays of `country` (None: its own); ValueError or
        TypeError when one of them cannot be used."""
        return localise(self.calendar, zone, country)

    def for_ticket(self, attrs: Mapping[str, Any]) -> tuple[BusinessCalendar, str]:
        """(calendar, label) for a ticket's attributes, memoised per (zone, country) value."""
        key = (attrs.get(self.zone_attr) if self.zone_attr else None,
               attrs.get(self.country_attr) if self.country_attr else None)
        found = self._variants.get(key)
        if found is None:
            # a bad zone or country attribute never gets here: the event that set it was rejected
            # (attribute_problem), as a silently substituted calendar is a silently wrong SLA
            cal = self.localised(key[0] or None, key[1] or None)
            found = (cal, f"{self.id} ({cal.describe()})")
            self._variants[key] = found
        return found


@dataclass(frozen=True, slots=True)
class Clause:
    """One declared clause: its id, its text, and where it is in the source (if given)."""

    id: str
    text: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    """One `attributes` declaration: a ticket or event attribute the rules read."""

    name: str
    type: str
    values: tuple[Any, ...] | None = None  # the only values allowed (None: any of the type)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter, with the value the contract declares (overrides are in `params`)."""

    name: str
    value: Any
    description: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    title: str
    clause: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Severity:
    id: str
    name: str
    definition: str
    clause: str


@dataclass(frozen=True, slots=True)
class Exclusion:
    category: str
    clause: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Reclassification:
    """A `reclassification` entry as written (it also compiles to a rule of salience 100)."""

    id: str
    on: str | tuple[str, ...]
    to: str
    clause: str
    condition: dict | None = None
    reason: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Assumption:
    clause: str
    seed: str
    choice: str
    parameter: str | None = None


@dataclass(frozen=True, slots=True)
class NotEncoded:
    clause: str
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class CompiledContract:
    """Everything the runtime needs for one contract, and the typed terms `show` and `test` read;
    no reference back to YAML."""

    id: str
    version: str
    title: str
    source: str
    file: str
    params: Mapping[str, Any]  # effective parameter values (declared, then overridden)
    severities: tuple[str, ...]
    regions: Mapping[str, str]
    calendars: Mapping[str, Calendar]
    targets: Mapping[str, tuple[Target, ...]]  # per clock, in definition order
    obligations: Mapping[str, Obligation]
    exclusions: Mapping[str, str]  # category -> clause
    graphs: tuple[EscalationGraph, ...]
    rules: tuple[Rule, ...]
    rules_by_event: Mapping[str, tuple[Rule, ...]]
    # per trigger, per rule index: the indices of the rules (same list) whose match a firing may change
    affects: Mapping[str, tuple[tuple[int, ...], ...]]
    # per trigger, per rule index: where the agenda resumes its scan after that rule fired (the
    # rules before it kept their match, and none of them was ready to fire)
    rescan: Mapping[str, tuple[int, ...]]
    # per trigger, one function returning the `Rule.match` of each of its rules (same list)
    matches: Mapping[str, Callable[[Facts], list[tuple | None]]]
    warn_at: tuple[float, ...]
    severity_policy: SeverityPolicy | None = None
    severity_clauses: Mapping[str, str] = field(default_factory=dict)  # severity -> the clause defining it
    refusals: Mapping[str, tuple[EventRefusal, ...]] = field(default_factory=dict)  # event type -> its refusals
    # the terms as written, for `show` and scenario coverage
    effective_from: str | None = None
    effective_to: str | None = None
    parties: Mapping[str, str] = field(default_factory=dict)
    clauses: Mapping[str, Clause] = field(default_factory=dict)
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()
    plans: Mapping[str, Plan] = field(default_factory=dict)
    severity_terms: tuple[Severity, ...] = ()  # most severe first
    target_list: tuple[Target, ...] = ()  # every target, in definition order
    exclusion_list: tuple[Exclusion, ...] = ()
    reclassifications: tuple[Reclassification, ...] = ()
    event_refusals: tuple[EventRefusal, ...] = ()  # in definition order (`refusals` is per event type)
    assumptions: tuple[Assumption, ...] = ()
    not_encoded: tuple[NotEncoded, ...] = ()
    included: tuple[str, ...] = ()  # the rule documents it includes, as read (resolved paths), in order
    # per trigger, (rules_by_event, matches, affects, rescan) of it: what the agenda reads, in one look-up
    agendas: dict[str, Agenda] = field(init=False, repr=False)
    # calendar references that read no ticket attribute -> (calendar, label): one look-up
    _fixed: Mapping[str, tuple[BusinessCalendar, str]] = field(init=False, repr=False)
    _usable: set[tuple[str, str, Any]] = field(default_factory=set, init=False, repr=False)  # attribute values checked good
    # declared text and boolean attributes -> (that Python type, the values of it they allow; None:
    # any): most events' values are checked with one look-up (`attribute_problem`)
    _quick_values: Mapping[str, tuple[type, frozenset | None]] = field(init=False, repr=False)
    # (calendar id, calendar, attribute, reject code) for each calendar that reads a zone or a
    # holiday country from the ticket: what `attribute_problem` checks besides the severity
    _calendar_attrs: tuple[tuple[str, Any, str, str], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "agendas", {
            event: (rules, self.matches[event], self.affects[event], self.rescan[event])
            for event, rules in self.rules_by_event.items()})
        fixed = {name: (cal.calendar, cal.label) for name, cal in self.calendars.items() if not cal.reads_attributes}
        fixed[ALWAYS] = (BusinessCalendar.always_open(), ALWAYS)
        object.__setattr__(self, "_fixed", fixed)
        quick_types = {"string": str, "boolean": bool}
        object.__setattr__(self, "_quick_values", {
            name: (kind, None if a.values is None else frozenset(v for v in a.values if type(v) is kind))
            for name, a in self.attributes.items() if (kind := quick_types.get(a.type)) is not None})
        object.__setattr__(self, "_calendar_attrs", tuple(
            (name, cal, attr, code) for name, cal in self.calendars.items()
            for attr, code in ((cal.zone_attr, "unknown-timezone"), (cal.country_attr, "unknown-country"))
            if attr is not None))

    def calendar(self, name: str, attrs: Mapping[str, Any]) -> tuple[BusinessCalendar, str] | None:
        """(calendar, label) for a reference: an id, `24x7`, or `region` (= regions[ticket.region])."""
        if name == "region":
            region = attrs.get("region")  # absent, or any value an event gave: only text names a region
            named = self.regions.get(region) if isinstance(region, str) else None
            if named is None:
                return None
            name = named
        fixed = self._fixed.get(name)  # a calendar that reads no ticket attribute: one lookup
        if fixed is not None:
            return fixed
        cal = self.calendars.get(name)
        return None if cal is None else cal.for_ticket(attrs)

    def attribute_problem(self, attrs: dict, opened: bool = False) -> tuple[str, str] | None:
        """(reject code, reason) when `attrs` (an event's) set a severity this contract does not
        define, or a zone or holiday country attribute that one of its calendars cannot use. Only
        `opened` may leave the severity unset (null): a change always goes to a defined severity."""
        if "severity" in attrs and not (opened and attrs["severity"] is None):
            severity = attrs["severity"]
            if type(severity) is not str or severity not in self.severities:
                hint = f' (a number: write "{severity}")' if str(severity) in self.severities else ""
                return "unknown-severity", (f"severity {severity!r} is not defined by contract {self.id!r}{hint}; "
                                            f"expected one of {', '.join(self.severities)}")
        for name, cal, attr, code in self._calendar_attrs:
            value = attrs.get(attr)
            if value is None or (name, code, value) in self._usable:
                continue
            try:
                if code == "unknown-timezone":
                    cal.localised(value, None)
                else:
                    cal.localised(None, value)
            except (ValueError, TypeError) as exc:
                return code, f"attrs.{attr} {value!r} cannot be used by calendar {name!r}: {exc}"
            if type(value) is str:
                self._usable.add((name, code, value))
        # a declared attribute (`attributes:`) given a wrong type or value: invalid-attribute
        declared = self.attributes
        if not declared:
            return None
        quick_values = self._quick_values
        for name, value in attrs.items():
            quick = quick_values.get(name)
            if quick is not None and type(value) is quick[0] and (quick[1] is None or value in quick[1]):
                continue  # a declared text or boolean attribute: one look-up
            if name not in declared:
                continue  # undeclared: free
            problem = event_attribute_problem(declared, {name: value})
            if problem is not None:
                return problem
        return None

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

"""Why a ticket's clocks were met or breached: `explain(contracts, events, ticket)`.

Auditors ask "why was this breached?" and no SLA product answers it well: the answer is the chain
start -> opening intervals counted -> pauses -> target changes -> due -> verdict, each step with
the event, rule and clause behind it. This module derives that chain for one ticket (or a few:
`explain_tickets`, for the HTML report's breached tickets) by replaying only that ticket's events
through an `Engine` with a `ListTracer`, then walking the clock actions the engine emitted and
counting the running stretches on the calendar in force with `BusinessCalendar.open_intervals`.

Why this is faithful: tickets never read each other's state (docs/INTERFACE.md "Time"), and an
engine fed only some tickets' events fires their deadlines at the same instants; the stream's time
at the end (`until`, else the stream's last event, rejected or not) is applied with
`Engine.advance`. Two judgement calls: an event id that another ticket used earlier in the stream
(the replay ignores it as a duplicate) is not detected here, and the end of the stream is the last
*parsed* event's instant (a replay ends at the last *accepted* one; they differ only when the last
events of the log are rejected). Neither occurs in generated or imported logs.

The numbers are the engine's, not a second model: `elapsed` of a cycle is the sum of its counted
intervals, which equals the `elapsed` of its `breach` / `stop_clock` actions (tests check that on
every seed scenario and on generated logs); where they would differ, `notes` says so.

API for the HTML report (K3) and any caller: `explain(...)` -> `TicketExplanation`,
`explain_tickets(...)` -> `{ticket: TicketExplanation}`; every class is a frozen dataclass of
JSON values (instants as RFC 3339 UTC text, durations as integer seconds): `to_dict()` is
`json.dumps`-ready and `TicketExplanation.from_dict` reads it back. Cycles are numbered per ticket
x clock from 1 in `start_clock` order, like the report's CSV (engine.reports.cycles).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.calendars.business import BusinessCalendar
from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.model.diagnostics import did_you_mean
from engine.model.durations import parse_duration
from engine.model.errors import ObligoError
from engine.model.events import Event, EventError, format_instant, parse_event
from engine.runtime.clocks import budget_of
from engine.runtime.engine import DuplicateEvent, Engine
from engine.runtime.trace import ListTracer

__all__ = [
    "CalendarInfo", "Cause", "Counted", "Cycle", "DueChange", "EventNote", "Pause", "TargetChange",
    "TicketExplanation", "UnknownTicket", "Verdict", "Warning", "business_time", "explain", "explain_tickets",
]

CLOCK_ACTIONS = frozenset({"start_clock", "pause_clock", "resume_clock", "reschedule_clock", "warn", "breach",
                           "stop_clock"})
SEVERITY_ACTIONS = frozenset({"reclassify", "downgrade", "reclassify_refused"})


class UnknownTicket(ObligoError, LookupError):
    """The events hold no event of the ticket asked for; `hint` is a did-you-mean or the choices."""

    code = "unknown-ticket"

    def __init__(self, ticket: str, known: Iterable[str]):
        self.ticket = ticket
        self.hint = did_you_mean(ticket, known)
        super().__init__(f"no event of ticket {ticket!r} in the log{self.hint}")


# --------------------------------------------------------------------------- the explanation


@dataclass(frozen=True)
class CalendarInfo:
    """The calendar a stretch was counted on: its id in the contract, zone and opening hours."""

    id: str
    zone: str | None  # None for 24x7
    hours: str  # BusinessCalendar.describe(): "Europe/Amsterdam Mon-Fri 08:00-18:00"


@dataclass(frozen=True)
class Cause:
    """What made an action happen: the event (None for a deadline or timer) and the rule, with the
    clause the action cites and the clause the rule itself cites."""

    at: str
    event: str | None
    event_type: str | None  # `opened`, ...; for a deadline: `deadline`
    rule: str
    clause: str  # the clause the action cites (for a clock: its target's clause)
    rule_clause: str | None = None  # the clause of the rule that fired (its include or definition)
    rule_description: str = ""
    reason: str = ""  # the action's own reason text


@dataclass(frozen=True)
class Counted:
    """One opening interval that counted: [start, end) in UTC and its business seconds."""

    start: str
    end: str
    seconds: int
    calendar: str
    zone: str | None = None  # the calendar's zone (None for 24x7), to show local times
    after_breach: bool = False  # counted after the clock was already breached


@dataclass(frozen=True)
class Pause:
    """A stretch the clock did not count: from which event to which, and the business seconds (on
    the calendar(s) in force) it moved `due` by. `end` None: still paused at the end."""

    start: str
    end: str | None
    seconds: int
    paused_by: Cause
    resumed_by: Cause | None


@dataclass(frozen=True)
class TargetChange:
    """A severity change that gave the clock another target: before and after."""

    at: str
    severity_before: str | None
    severity_after: str | None
    target_before: str
    target_after: str
    calendar_before: str
    calendar_after: str
    due_before: str | None  # None: the clock was paused (no due)
    due_after: str | None
    elapsed: int  # business seconds counted when it changed
    cause: Cause
    severity_clause: str | None = None  # the clause of the reclassify/downgrade that changed the severity
    exceeded: bool = False  # the new target was already used up: breach at the change


@dataclass(frozen=True)
class DueChange:
    """One `due` the clock had (None while paused) and the action that set it."""

    at: str
    action: str  # start_clock, pause_clock, resume_clock, reschedule_clock, breach
    due: str | None
    why: str
    cause: Cause


@dataclass(frozen=True)
class Warning:
    at: str
    ratio: float
    due: str | None


@dataclass(frozen=True)
class Verdict:
    """How the cycle ended. `status`: met, breached, running, paused, excluded, or superseded (the
    clock was started again before it stopped). `elapsed`/`paused` are the engine's (the action's
    fields) when it stopped or breached, else counted up to the end of the stream."""

    status: str
    at: str | None  # when it stopped (met, breached and stopped, excluded, superseded), else None
    due: str | None  # the last due (for a breach: the instant it was breached)
    elapsed: int
    paused: int
    budget: int  # business seconds the target grants
    target: str
    breached_at: str | None = None
    breach_elapsed: int | None = None  # the breach action's `elapsed` and `paused`
    breach_paused: int | None = None
    stopped_by: Cause | None = None
    text: str = ""


@dataclass(frozen=True)
class Cycle:
    clock: str
    cycle: int
    contract: str
    version: str
    started: str
    start: Cause
    severity: str | None
    target: str
    calendar: CalendarInfo
    first_due: str | None
    counted: list[Counted]
    pauses: list[Pause]
    target_changes: list[TargetChange]
    dues: list[DueChange]
    warnings: list[Warning]
    verdict: Verdict
    elapsed: int  # sum of `counted` (to the stop, or to the end of the stream)
    paused: int  # sum of `pauses`
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventNote:
    """One event of the ticket as the engine took it: applied, rejected (with why) or duplicate."""

    id: str
    at: str
    type: str
    status: str
    reason: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketExplanation:
    ticket: str
    contract: str | None
    version: str | None
    until: str | None  # the stream's time at the end (deadlines up to it fired)
    events: list[EventNote]
    cycles: list[Cycle]
    actions: list[dict[str, Any]]  # every action of the ticket, as its JSON line

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketExplanation:
        return _build(cls, data)

    def cycles_of(self, clock: str) -> list[Cycle]:
        return [c for c in self.cycles if c.clock == clock]


def _build(cls: Any, data: Any) -> Any:
    """A dataclass (nested, lists, optionals) from `to_dict`'s JSON form."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin is list:
        (item,) = typing.get_args(cls)
        return [_build(item, x) for x in data]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        return _build(options[0], data)
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _build(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})
    return data


# --------------------------------------------------------------------------- evaluation


def explain(contracts: Mapping[str, CompiledContract], events: Iterable[Event | Mapping[str, Any]], ticket: str,
            *, until: int | None = None) -> TicketExplanation:
    """How every clock cycle of `ticket` went, from a stream of events (the whole log; only this
    ticket's events are evaluated). `until`: fire deadlines up to it (default: the stream's last
    event). Raises UnknownTicket (with a did-you-mean) when no event names the ticket."""
    found = explain_tickets(contracts, events, [ticket], until=until, known=True)
    return found[ticket]


def explain_tickets(contracts: Mapping[str, CompiledContract], events: Iterable[Event | Mapping[str, Any]],
                    tickets: Iterable[str], *, until: int | None = None,
                    known: bool = False) -> dict[str, TicketExplanation]:
    """`explain` for several tickets in one pass over the events and one engine. Tickets with no
    event are left out, or with `known=True` raise UnknownTicket for the first of them."""
    wanted = set(tickets)
    chosen: list[Event] = []
    seen: set[str] = set()
    end: int | None = None
    for item in events:
        event = item if isinstance(item, Event) else _parse(item)
        if event is None:
            continue
        end = event.at if end is None else max(end, event.at)
        seen.add(event.ticket)
        if event.ticket in wanted:
            chosen.append(event)
    if known:
        for name in sorted(wanted - seen):
            raise UnknownTicket(name, seen)
    if until is not None:
        end = until
        chosen = [e for e in chosen if e.at <= until]
    chosen.sort(key=lambda e: e.at)
    return _evaluate(dict(contracts), chosen, sorted(wanted & seen), end)


def _parse(item: Mapping[str, Any]) -> Event | None:
    try:
        return parse_event(dict(item))
    except EventError:
        return None  # a reject of the replay: it belongs to no ticket we can name for sure


@dataclass
class _Step:
    """The actions of one engine call and each ticket's attributes around it."""

    actions: list[Action]
    event: Event | None
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]


def _evaluate(contracts: dict[str, CompiledContract], events: list[Event], tickets: list[str],
              end: int | None) -> dict[str, TicketExplanation]:
    tracer = ListTracer()
    engine = Engine(contracts, tracer)
    notes: dict[str, list[EventNote]] = {t: [] for t in tickets}
    steps: list[_Step] = []
    for event in events:
        before = _attrs(engine, event.ticket)
        status, reason = "applied", ""
        try:
            out = engine.process(event)
        except DuplicateEvent as exc:
            out, status, reason = [], "duplicate", str(exc)
        except EventError as exc:
            out, status, reason = [], "rejected", f"{exc.code}: {exc}"
        notes[event.ticket].append(EventNote(event.id, format_instant(event.at), event.type, status, reason,
                                             dict(event.attrs)))
        steps.append(_Step(out, event, before, _attrs(engine, event.ticket)))
    if end is not None:
        steps.append(_Step(engine.advance(end), None, {}, {}))
    per_ticket: dict[str, list[tuple[Action, dict[str, Any]]]] = {t: [] for t in tickets}
    for step in steps:
        for action in step.actions:
            by_event = step.event is not None and action.event == step.event.id
            attrs = (step.after if by_event else step.before).get(action.ticket) or _attrs(engine, action.ticket).get(
                action.ticket, {})
            per_ticket[action.ticket].append((action, attrs))
    rules: dict[tuple[str, str, str | None, int], dict[str, Any]] = {}
    for record in tracer.records:
        rules.setdefault((record["ticket"], record["rule"], record["event"], record["at"]), record)
    types_ = {e.id: e.type for e in events}
    result: dict[str, TicketExplanation] = {}
    for ticket in tickets:
        state = engine.tickets.get(ticket)
        contract = contracts.get(state.contract) if state is not None else None
        walker = _Walker(contract, rules, types_, end)
        for action, attrs in per_ticket[ticket]:
            walker.feed(action, attrs)
        result[ticket] = TicketExplanation(
            ticket=ticket, contract=contract.id if contract else None, version=contract.version if contract else None,
            until=format_instant(end) if end is not None else None, events=notes[ticket], cycles=walker.finish(),
            actions=[a.to_dict() for a, _ in per_ticket[ticket]])
    return result


def _attrs(engine: Engine, ticket: str) -> dict[str, dict[str, Any]]:
    state = engine.tickets.get(ticket)
    return {ticket: dict(state.attrs)} if state is not None else {}


# --------------------------------------------------------------------------- walking the clock actions


def business_time(seconds: int) -> str:
    """Business time for people: '8 h', '6 h 30 min', '45 min', '20 s' (hours are not days:
    a business day's length depends on the calendar)."""
    if seconds < 60:
        return f"{seconds} s"
    h, m = divmod(seconds // 60, 60)
    text = " ".join(p for p in (f"{h} h" if h else "", f"{m} min" if m else "") if p)
    return text + (f" {seconds % 60} s" if seconds % 60 else "")


class _Open:
    """A cycle being walked: the running stretch or pause in progress and what was gathered."""

    def __init__(self, number: int, action: Action, start: Cause, calendar: BusinessCalendar | None,
                 info: CalendarInfo):
        self.number = number
        self.first = action
        self.start = start
        self.calendar = calendar
        self.info = info
        self.start_info = info  # the calendar at the start (a target change may swap `info`)
        self.target = action.target or ""
        self.severity = action.severity
        self.due: int | None = action.due
        self.run_since: int | None = action.at
        self.paused_at: int | None = None
        self.pause_seconds = 0  # of the pause in progress (split at target changes)
        self.paused_by: Cause | None = None
        self.counted: list[tuple[int, int, CalendarInfo]] = []
        self.pauses: list[Pause] = []
        self.changes: list[TargetChange] = []
        self.dues: list[DueChange] = []
        self.warnings: list[Warning] = []
        self.breach: Action | None = None
        self.notes: list[str] = []

    def elapsed(self, now: int) -> int:
        done = sum(e - s for s, e, _ in self.counted)
        if self.run_since is not None and self.calendar is not None:
            done += self.calendar.between(self.run_since, now)
        return done

    def paused(self, now: int) -> int:
        total = sum(p.seconds for p in self.pauses) + self.pause_seconds
        if self.paused_at is not None and self.calendar is not None:
            total += self.calendar.between(self.paused_at, now)
        return total

    def close_run(self, now: int) -> None:
        if self.run_since is not None and self.calendar is not None:
            for s, e in self.calendar.open_intervals(self.run_since, now):
                self.counted.append((s, e, self.info))
        self.run_since = None

    def close_pause(self, now: int, resumed_by: Cause | None, still: bool = False) -> None:
        if self.paused_at is None or self.paused_by is None:
            return
        seconds = self.pause_seconds + (self.calendar.between(self.paused_at, now) if self.calendar else 0)
        start = self.paused_by.at
        self.pauses.append(Pause(start, None if still else format_instant(now), seconds, self.paused_by, resumed_by))
        self.paused_at, self.pause_seconds, self.paused_by = None, 0, None


class _Walker:
    """Folds one ticket's actions (in emission order) into cycles."""

    def __init__(self, contract: CompiledContract | None, rules: Mapping[tuple[str, str, str | None, int], dict],
                 types_: Mapping[str, str], end: int | None):
        self.contract = contract
        self.rules = rules
        self.types = types_
        self.end = end
        self.open: dict[str, _Open] = {}
        self.count: dict[str, int] = {}
        self.done: list[Cycle] = []
        self.severity_actions: list[Action] = []

    def cause(self, action: Action) -> Cause:
        record = self.rules.get((action.ticket, action.rule, action.event, action.at))
        description = ""
        if self.contract is not None:
            rule = next((r for r in self.contract.rules if r.id == action.rule), None)
            description = rule.description if rule is not None else ""
        event_type = self.types.get(action.event) if action.event is not None else "deadline"
        if action.event is None and record is not None and record.get("trigger") not in (None, "breach", "warn"):
            event_type = str(record["trigger"])
        return Cause(format_instant(action.at), action.event, event_type, action.rule, action.clause,
                     record["clause"] if record is not None else None, description, action.reason)

    def calendar(self, action: Action, attrs: Mapping[str, Any]) -> tuple[BusinessCalendar | None, CalendarInfo]:
        name = action.calendar or ""
        found = self.contract.calendar(name, attrs) if self.contract is not None else None
        if found is None:
            return None, CalendarInfo(name, None, "(calendar not found)")
        cal = found[0]
        return cal, CalendarInfo(name, None if cal.is_always_open else cal.timezone, cal.describe())

    def feed(self, action: Action, attrs: Mapping[str, Any]) -> None:
        if action.action in SEVERITY_ACTIONS:
            self.severity_actions.append(action)
            return
        if action.action not in CLOCK_ACTIONS or action.clock is None:
            return
        name, kind, at = action.clock, action.action, action.at
        cycle = self.open.get(name)
        if kind == "start_clock":
            if cycle is not None:
                self.close(cycle, at, "superseded", None)
            n = self.count.get(name, 0) + 1
            self.count[name] = n
            cal, info = self.calendar(action, attrs)
            cause = self.cause(action)
            cycle = _Open(n, action, cause, cal, info)
            cycle.dues.append(DueChange(cause.at, kind, _instant(action.due),
                                        f"started on {_what(cause)}: {action.target} on {info.id} from "
                                        f"{cause.at}", cause))
            self.open[name] = cycle
            return
        if cycle is None:
            return
        cause = self.cause(action)
        if kind == "pause_clock":
            used = cycle.elapsed(at)
            cycle.close_run(at)
            cycle.paused_at, cycle.paused_by = at, cause
            cycle.dues.append(DueChange(cause.at, kind, None, f"paused on {_what(cause)} with {business_time(used)} "
                                        f"counted: no due while paused", cause))
            cycle.due = None
        elif kind == "resume_clock":
            pausing = cycle.paused(at)
            before = len(cycle.pauses)
            cycle.close_pause(at, cause)
            moved = cycle.pauses[-1].seconds if len(cycle.pauses) > before else 0
            cycle.run_since = at
            cycle.due = action.due
            cycle.dues.append(DueChange(cause.at, kind, _instant(action.due),
                                        f"resumed on {_what(cause)}: the pause moved the due later by "
                                        f"{business_time(moved)} of business time (paused {business_time(pausing)} in all)",
                                        cause))
        elif kind == "reschedule_clock":
            self.retarget(cycle, action, attrs, cause)
        elif kind == "warn":
            cycle.warnings.append(Warning(cause.at, float(action.elapsed_ratio or 0.0), _instant(action.due)))
        elif kind == "breach":
            if cycle.breach is None:
                cycle.breach = action
                self.check(cycle, action, "breach")
            cycle.dues.append(DueChange(cause.at, kind, _instant(action.due),
                                        f"breached: {business_time(action.elapsed or 0)} counted, the target "
                                        f"{action.target} ran out", cause))
        elif kind == "stop_clock":
            self.check(cycle, action, "stop_clock")
            status = "excluded" if action.excluded else "met" if action.met else "breached"
            self.close(cycle, at, status, action)

    def retarget(self, cycle: _Open, action: Action, attrs: Mapping[str, Any], cause: Cause) -> None:
        at = action.at
        elapsed = cycle.elapsed(at)
        running = cycle.run_since is not None
        if running:
            cycle.close_run(at)
        elif cycle.paused_at is not None and cycle.calendar is not None:
            cycle.pause_seconds += cycle.calendar.between(cycle.paused_at, at)  # the old calendar's part
            cycle.paused_at = at
        cal, info = self.calendar(action, attrs)
        severity = next((s for s in reversed(self.severity_actions) if s.at == at and s.action != "reclassify_refused"),
                        None)
        budget = _budget(cal, action.target, cycle.first.at)
        exceeded = budget is not None and elapsed > budget
        change = TargetChange(cause.at, cycle.severity, action.severity, cycle.target, action.target or "",
                              cycle.info.id, info.id, _instant(cycle.due),
                              None if not running and not exceeded else _instant(action.due), elapsed, cause,
                              severity.clause if severity is not None else None, exceeded)
        cycle.changes.append(change)
        cycle.dues.append(DueChange(cause.at, action.action, _instant(action.due),
                                    f"severity {cycle.severity} -> {action.severity} on {_what(cause)}: target "
                                    f"{cycle.target} on {cycle.info.id} -> {action.target} on {info.id}, "
                                    f"{business_time(elapsed)} already counted"
                                    + ("; already used up: breach now" if exceeded else
                                       "" if running else "; due if it runs again from now"), cause))
        cycle.calendar, cycle.info = cal, info
        cycle.target, cycle.severity = action.target or "", action.severity
        cycle.due = action.due
        if running:
            cycle.run_since = at

    def check(self, cycle: _Open, action: Action, what: str) -> None:
        """The counted and paused seconds must be the action's: say so where they are not."""
        elapsed, paused = cycle.elapsed(action.at), cycle.paused(action.at)
        if action.elapsed is not None and elapsed != action.elapsed:
            cycle.notes.append(f"{what} at {format_instant(action.at)}: counted intervals give {elapsed} s, "
                               f"the action says elapsed {action.elapsed} s")
        if action.paused is not None and paused != action.paused:
            cycle.notes.append(f"{what} at {format_instant(action.at)}: pauses give {paused} s, the action says "
                               f"paused {action.paused} s")

    def close(self, cycle: _Open, at: int | None, status: str, stop: Action | None) -> None:
        name = cycle.first.clock or ""
        del self.open[name]
        now = at if at is not None else self.end
        breach_at = cycle.breach.at if cycle.breach is not None else None
        if now is not None:
            cycle.close_run(now)
            still = status in ("running", "paused", "breached") and stop is None
            cycle.close_pause(now, self.cause(stop) if stop is not None else None, still=still)
        elapsed = sum(e - s for s, e, _ in cycle.counted)
        paused = sum(p.seconds for p in cycle.pauses)
        budget = _budget(cycle.calendar, cycle.target, cycle.first.at)
        if stop is not None:
            elapsed = stop.elapsed if stop.elapsed is not None else elapsed
            paused = stop.paused if stop.paused is not None else paused
        counted: list[Counted] = []
        for s, e, c in cycle.counted:  # an interval the breach falls in is shown as its two parts
            cuts = [s, breach_at, e] if breach_at is not None and s < breach_at < e else [s, e]
            for a, b in zip(cuts, cuts[1:], strict=False):
                counted.append(Counted(format_instant(a), format_instant(b), b - a, c.id, c.zone,
                                       breach_at is not None and a >= breach_at))
        verdict = Verdict(
            status=status, at=_instant(now) if stop is not None or status == "superseded" else None,
            due=_instant(cycle.breach.due if cycle.breach is not None else cycle.due), elapsed=elapsed, paused=paused,
            budget=budget or 0, target=cycle.target, breached_at=_instant(breach_at),
            breach_elapsed=cycle.breach.elapsed if cycle.breach is not None else None,
            breach_paused=cycle.breach.paused if cycle.breach is not None else None,
            stopped_by=self.cause(stop) if stop is not None else None)
        verdict = dataclasses.replace(verdict, text=_verdict_text(verdict, cycle))
        self.done.append(Cycle(
            clock=name, cycle=cycle.number, contract=cycle.first.contract, version=cycle.first.version or "",
            started=cycle.start.at, start=cycle.start, severity=cycle.first.severity, target=cycle.first.target or "",
            calendar=cycle.start_info, first_due=_instant(cycle.first.due), counted=counted,
            pauses=cycle.pauses, target_changes=cycle.changes, dues=cycle.dues, warnings=cycle.warnings,
            verdict=verdict, elapsed=sum(c.seconds for c in counted), paused=sum(p.seconds for p in cycle.pauses),
            notes=cycle.notes))

    def finish(self) -> list[Cycle]:
        for name in sorted(self.open):
            cycle = self.open[name]
            status = "breached" if cycle.breach is not None else "paused" if cycle.paused_at is not None else "running"
            self.close(cycle, None, status, None)
        return sorted(self.done, key=lambda c: (c.started, c.clock, c.cycle))


def _budget(calendar: BusinessCalendar | None, target: str | None, started: int) -> int | None:
    if calendar is None or not target:
        return None
    try:
        return budget_of(calendar, parse_duration(target), started)
    except ValueError:
        return None


def _what(cause: Cause) -> str:
    if cause.event is not None:
        return f"event {cause.event} ({cause.event_type}), rule {cause.rule}"
    return f"{cause.event_type} at {cause.at}, rule {cause.rule}"


def _instant(t: int | None) -> str | None:
    return None if t is None else format_instant(t)


def _verdict_text(v: Verdict, cycle: _Open) -> str:
    used = f"{business_time(v.elapsed)} of {v.target} ({business_time(v.budget)}) used"
    if v.status == "met":
        return f"met at {v.at}: {used}, paused {business_time(v.paused)}; due was {v.due}"
    if v.status == "excluded":
        return f"excluded at {v.at}: out of the contract's scope, neither met nor breached ({used})"
    if v.status == "superseded":
        return f"started again at {v.at} before it stopped ({used})"
    if v.status == "breached":
        if v.breached_at is not None:
            text = (f"breached at {v.breached_at} (the due): {business_time(v.breach_elapsed or 0)} counted, the "
                    f"target {v.target} ran out")
        else:
            text = f"missed: stopped at {v.at} with {used}"
        if v.stopped_by is not None and v.breached_at is not None:
            text += f"; stopped later at {v.at} with {business_time(v.elapsed)} counted"
        elif v.stopped_by is None:
            text += "; still not stopped at the end of the log"
        return text
    state = "paused" if v.status == "paused" else "running"
    return f"{state} at the end of the log: {used}" + (f", due {v.due}" if v.due else "")

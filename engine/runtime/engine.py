"""The forward-chaining runtime: one event-time stream, per-ticket state, one deadline queue.

`Engine.process(event)` first fires every pending deadline (warn, breach, timer, obligation) due
at or before the event, of every ticket, in (instant, ticket, name) order, then applies the event:
built-in attribute bookkeeping, then the agenda. The one exception: a breach of the event's own
ticket due exactly at the event's instant waits until after it, so that a goal event at the due
instant meets its clock. The agenda matches the rules of the event's type, fires the first
activation by salience then definition order, and re-matches, so state changed by one rule is seen
by the next; an activation (rule + the values its condition read) fires at most once (refraction).
Actions that change severity raise an internal `severity_changed` event handled in the same cycle.
The wall clock is never read.
"""

from __future__ import annotations

import copy
import heapq
from collections import Counter
from sys import intern
from typing import Any

from engine.calendars.business import CalendarRangeError
from engine.language.compile import CompiledContract, Rule
from engine.language.conditions import compile_getter
from engine.language.escalation import EscalationGraph
from engine.model.actions import Action
from engine.model.events import Event, EventError, event_fields, format_instant, parse_instant
from engine.runtime.clocks import PAUSED, RUNNING, STOPPED, Clock, human_seconds
from engine.runtime.trace import Tracer

MAX_FIRINGS = 256  # per event cycle; a rule set that keeps re-activating stops here with an error
_META_ATTRS = frozenset({"by", "consent"})  # describe the event, not the ticket
# events whose attrs set the ticket's attributes (or ask for a severity): checked against the contract
_ATTR_EVENTS = frozenset({"opened", "updated", "reclassification_requested"})
_UNKNOWN = object()  # agenda: this rule's match must be (re)computed


class RuleLoopError(EventError):
    """The agenda kept re-activating; names the rules in the loop."""

    code = "rule-loop"


class TicketState:
    """Everything the engine keeps about one ticket; small, and serialisable with `to_dict`."""

    __slots__ = ("ticket", "contract", "attrs", "clocks", "timers", "obligations", "vars", "opened_at",
                 "opened_severity", "escalation_graph", "escalation_node", "escalation_level", "closed", "excluded")

    def __init__(self, ticket: str, contract: str, attrs: dict, at: int):
        self.ticket = ticket
        self.contract = contract
        self.attrs = attrs
        self.clocks: dict[str, Clock] = {}
        # created on first use (most tickets never need them): keeps an open ticket small
        self.timers: dict[str, list] | None = None  # name -> [due, gen, rule, clause]
        self.obligations: dict[str, list] | None = None  # id -> [due|None, gen, party, rule, clause]
        self.vars: dict[str, Any] | None = None
        self.opened_at = at
        self.opened_severity = attrs.get("severity")
        self.escalation_graph: str | None = None
        self.escalation_node: str | None = None
        self.escalation_level = 0
        self.closed = False
        self.excluded = False  # an `exclude` action fired: clocks stopped from now on end neither met nor breached

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket, "contract": self.contract, "attrs": dict(self.attrs),
            "opened_at": format_instant(self.opened_at), "opened_severity": self.opened_severity,
            "clocks": {name: clock.to_dict() for name, clock in sorted(self.clocks.items())},
            "timers": {name: format_instant(t[0]) for name, t in sorted((self.timers or {}).items())},
            "obligations": {k: (format_instant(v[0]) if v[0] is not None else None)
                            for k, v in sorted((self.obligations or {}).items())},
            "vars": dict(self.vars or {}),
            "escalation": {"graph": self.escalation_graph, "node": self.escalation_node, "level": self.escalation_level},
            "closed": self.closed, "excluded": self.excluded,
        }


class _Facts:
    """What a rule's condition sees: the event being applied, the ticket's attributes, its state."""

    __slots__ = ("event", "ticket", "state", "contract", "now")

    def __init__(self, event: dict, state: TicketState, contract: CompiledContract | None = None, now: int = 0):
        self.event = event
        self.ticket = state.attrs
        self.state = state
        self.contract = contract
        self.now = now

    def is_open(self, calendar: str) -> bool | None:
        """`state.open.<calendar>`: whether that calendar of this ticket is open at the current instant."""
        if self.contract is None:
            return None
        found = self.contract.calendar(calendar, self.ticket)
        return found[0].is_open(self.now) if found is not None else None


def _interned(attrs: dict) -> dict:
    """A copy whose short string keys and values are interned: thousands of open tickets share
    'plan', 'ultimate', 'emea'... instead of each holding its own copies from the JSON parser."""
    return {intern(k): (intern(v) if type(v) is str and len(v) <= 64 else v) for k, v in attrs.items()}


def _severity_changed(old: Any, new: Any, event_id: str | None, attrs: dict) -> dict:
    """The internal event rules see when a ticket's severity changed (by `updated` or an action)."""
    return {"type": "severity_changed", "from": old, "to": new, "id": event_id, "attrs": attrs}


def _plan_and_severity(attrs: dict) -> str:
    """'ultimate P2' (or whichever of the two the ticket has) for clock reasons."""
    plan, severity = attrs.get("plan"), attrs.get("severity")
    if plan is None:
        return "" if severity is None else str(severity)
    return str(plan) if severity is None else f"{plan} {severity}"


def _emit(out: list[Action], state: TicketState, contract: CompiledContract, rule: Rule, now: int, facts: _Facts,
          action: str, reason: str, clause: str | None = None, *, clock: str | None = None, due: int | None = None,
          met: bool | None = None, level: int | None = None, from_: str | None = None, to: str | None = None,
          mode: str | None = None, exclusion: str | None = None, party: str | None = None,
          obligation: str | None = None) -> None:
    """Append the Action of a rule's action. A function, not a method: it needs no engine."""
    # every field positional (no **kwargs dict to build and unpack): one action per firing, the hot path
    out.append(Action(state.ticket, now, action, contract.id, rule.id, clause or rule.clause, reason, clock, due,
                      met, None, level, from_, to, mode, exclusion, party, obligation, facts.event.get("id"), None,
                      contract.version))


def _clock_action(out: list[Action], state: TicketState, contract: CompiledContract, rule: str, clock: Clock,
                  now: int, event: str | None, action: str, reason: str, due: int | None = None,
                  met: bool | None = None, ratio: float | None = None, totals: bool = False,
                  excluded: bool | None = None) -> None:
    """Append a clock action with the fields every clock action carries (INTERFACE.md): the ticket's
    severity now, the target as written and the calendar; with `totals` (breach, stop_clock) the
    business seconds counted and paused."""
    severity = state.attrs.get("severity")
    out.append(Action(state.ticket, now, action, contract.id, rule, clock.clause, reason, clock.name, due, met, ratio,
                      None, None, None, None, None, None, None, event, None, contract.version,
                      None if severity is None else str(severity), str(clock.duration), clock.calendar_id,
                      clock.elapsed(now) if totals else None, clock.paused_seconds(now) if totals else None,
                      excluded))


def _number(out: list[Action], mark: int, cause: tuple[str, ...], first: int = 0) -> None:
    """Give the actions `out[mark:]`, all of one cause, their deterministic ids (actions.action_id)."""
    for n in range(mark, len(out)):
        action = out[n]
        action.cause = cause
        action.rank = first + n - mark


def _loop_names(firings: list[str]) -> str:
    """The rules of a loop: those that fired most, with their counts."""
    return ", ".join(f"{rule} ({count}x)" for rule, count in Counter(firings).most_common(4))


class Engine:
    """Evaluate contracts against a stream of ticket events, in event time.

    Two engines never share mutable state: each has its own tickets and deadline queue; compiled
    contracts (immutable apart from memoised calendars) may be shared.
    """

    def __init__(self, contracts: dict[str, CompiledContract], tracer: Tracer | None = None):
        self.contracts = contracts
        self.tracer = tracer
        self.tickets: dict[str, TicketState] = {}
        self.now: int | None = None
        self._queue: list[tuple] = []
        self._seen_ids: set[str] = set()
        self._seq = 0  # generations of timers and obligations (never reused, so stale heap entries stay stale)
        # tickets whose rules looped: their later events are rejected with this reason
        self.quarantined: dict[str, str] = {}
        # loops found while firing deadlines (no input line to reject): for the replay summary
        self.problems: list[str] = []
        self._carry: list[Action] = []  # actions owed to the caller when process() had to raise

    # --- public API -------------------------------------------------------------------------
    def process(self, event: Event | dict) -> list[Action]:
        """Apply one event; returns the deadlines it passed, then its own actions.

        Raises EventError (with the reason) for an event that cannot be applied: invalid, duplicate
        id, unknown contract or ticket, before its ticket's `opened`, or earlier than the stream.
        """
        # the event's fields and the engine's tables once, as locals: this runs for every event
        if isinstance(event, Event):
            eid, ticket, at, kind, name, attrs = event.id, event.ticket, event.at, event.type, event.contract, event.attrs
        else:  # checked as parse_event checks it, without building an Event only to read it
            eid, ticket, at, kind, name, attrs = event_fields(event)
        if eid in self._seen_ids:
            raise DuplicateEvent(f"duplicate event id {eid!r}")
        now = self.now
        if now is not None and at < now:
            raise LateEvent(f"event at {format_instant(at)} is earlier than the stream's current time "
                            f"{format_instant(now)}; events must arrive in time order")
        quarantined = self.quarantined
        if ticket in quarantined:
            raise EventError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}", "quarantined")
        state = self.tickets.get(ticket)
        if kind == "opened":
            if state is not None:
                raise EventError(f"ticket {ticket!r} is already open (opened {format_instant(state.opened_at)})",
                                 "already-open")
            if name not in self.contracts:
                raise EventError(f"unknown contract {name!r}; loaded: {', '.join(sorted(self.contracts))}",
                                 "unknown-contract")
        elif state is None:
            raise EventError(f"unknown ticket {ticket!r}: no 'opened' event before this {kind!r}", "unknown-ticket")
        elif name is not None and name != state.contract:
            raise EventError(f"ticket {ticket!r} belongs to contract {state.contract!r}, event says {name!r}",
                             "contract-mismatch")
        if attrs and kind in _ATTR_EVENTS:  # a value the contract cannot use is a reject, never a silent default
            problem = self.contracts[name if state is None else state.contract].attribute_problem(attrs, kind == "opened")
            if problem is not None:
                raise EventError(problem[1], problem[0])
        queue = self._queue
        if (queue and queue[0][0] <= at) or self._carry:
            out = self.fire_due(at, ticket)  # moves the stream's time to `at`
        else:  # the common case, nothing due and nothing carried: what fire_due does then
            if now is None or at > now:
                self.now = at
            out = []
        self._seen_ids.add(eid)
        if ticket in quarantined:  # its own deadlines looped just now
            self._carry = out  # the other tickets' actions are returned by the next call
            raise RuleLoopError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}")
        if kind == "opened":
            state = TicketState(ticket, name or "", _interned(attrs), at)
            self.tickets[ticket] = state
        mark = len(out)
        try:
            self._apply(state, kind, eid, attrs, at, out)
            _number(out, mark, (eid,))
        except RuleLoopError as exc:
            # The event's own actions are dropped and its ticket quarantined: a looping contract
            # gives no trustworthy state. Deadline actions fired before it come with the next call.
            self._carry = out[:mark]
            quarantined[ticket] = f"a rule loop on event {eid!r}: {exc}"
            raise
        except CalendarRangeError as exc:
            # Likewise for a target its calendar cannot reach (open a few minutes a year): no due.
            self._carry = out[:mark]
            quarantined[ticket] = f"on event {eid!r}, a target its calendar cannot reach: {exc}"
            raise EventError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}", "calendar-range") from None
        return out

    def advance(self, instant: int | str) -> list[Action]:
        """Move time to `instant` (live use): fire every deadline up to and including it."""
        t = parse_instant(instant) if isinstance(instant, str) else int(instant)
        out, self._carry = self._carry, []
        self._fire_until(t, out)
        if self.now is None or t > self.now:
            self.now = t
        return out

    def fire_due(self, instant: int, ticket: str | None) -> list[Action]:
        """Fire what `process` fires before an event of `ticket` at `instant`, without applying it
        (plus any actions carried from a call that raised), and move the stream's time there.

        `process` calls it first; a partition of the stream (engine.partition) calls it with None
        for the time that other partitions' events moved: every deadline due by then fires (a breach
        waits only for an event of its own ticket at its due instant).
        """
        if self.now is None or instant > self.now:
            self.now = instant
        due = self._queue and self._queue[0][0] <= instant
        if not due and not self._carry:
            return []  # the common case: nothing due
        out, self._carry = self._carry, []
        if due:
            self._fire_until(instant, out, defer_breach_of=ticket)
        return out

    def state(self, ticket: str) -> dict[str, Any] | None:
        """A JSON-ready deep copy of the ticket's state, or None for an unknown ticket."""
        state = self.tickets.get(ticket)
        return copy.deepcopy(state.to_dict()) if state is not None else None

    def read(self, ticket: str, path: str) -> Any:
        """The value of one fact path (as rule conditions read it, e.g. `state.clock.response`,
        `ticket.severity`) on the ticket's current state; None for an unknown ticket or field.
        Raises ConditionError for a malformed path."""
        state = self.tickets.get(ticket)
        if state is None:
            compile_getter(path)  # still report a malformed path
            return None
        return compile_getter(path)(_Facts({}, state, self.contracts.get(state.contract), self.now or 0))

    # --- deadlines --------------------------------------------------------------------------
    def _schedule_clock(self, state: TicketState, clock: Clock, warn_at: tuple[float, ...]) -> None:
        nxt = clock.next_deadline(warn_at)
        if nxt is not None:
            instant, kind, ratio = nxt
            heapq.heappush(self._queue, (instant, state.ticket, clock.name, 0 if kind == "warn" else 1,
                                         clock.gen, kind, ratio))

    def _fire_until(self, t: int, out: list[Action], defer_breach_of: str | None = None) -> None:
        """Fire deadlines up to and including `t`, in (instant, ticket, name) order.

        `defer_breach_of`: the ticket of the event about to be applied at `t`. Its breaches due
        exactly at `t` wait until after that event, so a goal event at the due instant meets its
        clock (INTERFACE.md); everything else due at `t` fires first.
        """
        queue, tickets, pop = self._queue, self.tickets, heapq.heappop
        deferred = []
        per_instant: Counter[tuple[str, int]] | None = None
        causes: Counter[tuple[str, ...]] | None = None  # a deadline firing twice at one instant numbers on
        while queue and queue[0][0] <= t:
            entry = pop(queue)
            instant, ticket, name, _order, gen, kind, ratio = entry
            state = tickets[ticket]
            if kind != "timer" and kind != "obligation":
                clock = state.clocks.get(name)
                if clock is None or clock.gen != gen or clock.status != RUNNING or clock.breached:
                    continue  # stale: the clock was stopped, paused or retargeted since (most entries)
            if instant == t and ticket == defer_breach_of and kind == "breach":
                deferred.append(entry)
                continue
            if ticket in self.quarantined:
                continue
            contract = self.contracts[state.contract]
            self.now = max(self.now or instant, instant)
            mark = len(out)
            try:
                self._fire_one(state, contract, instant, name, gen, kind, ratio, out)
                if len(out) > mark:
                    cause = (ticket, kind, name, str(instant), repr(ratio))
                    causes = causes or Counter()
                    _number(out, mark, cause, causes[cause])
                    causes[cause] += len(out) - mark
                if kind == "timer":
                    per_instant = per_instant or Counter()
                    per_instant[(ticket, instant)] += 1
                    if per_instant[(ticket, instant)] > MAX_FIRINGS:
                        raise RuleLoopError(f"timer '{name.removeprefix('timer:')}' keeps restarting at "
                                            f"{format_instant(instant)} (rules: {self._timer_rules(state, name)})")
            except (RuleLoopError, CalendarRangeError) as exc:
                del out[mark:]
                what = "a rule loop" if isinstance(exc, RuleLoopError) else "a target its calendar cannot reach"
                reason = f"{what} at {format_instant(instant)}: {exc}"
                self.quarantined[ticket] = reason
                self.problems.append(f"ticket {ticket!r} quarantined after {reason}")
        for entry in deferred:
            heapq.heappush(queue, entry)

    @staticmethod
    def _timer_rules(state: TicketState, name: str) -> str:
        timer = (state.timers or {}).get(name.removeprefix("timer:"))
        return timer[2] if timer else "?"

    def _fire_one(self, state: TicketState, contract: CompiledContract, instant: int, name: str, gen: int, kind: str,
                  ratio: float, out: list[Action]) -> None:
        if kind in ("warn", "breach"):  # _fire_until checked that the clock still waits for it
            self._clock_deadline(state, contract, state.clocks[name], instant, kind, ratio, out)
        elif kind == "timer":
            name = name.removeprefix("timer:")
            timer = state.timers.get(name) if state.timers else None
            if timer is None or timer[1] != gen:
                return
            del state.timers[name]
            self._run_agenda(state, contract, {"type": "timer", "timer": name, "id": None, "attrs": {}},
                             instant, out)
        elif kind == "obligation":
            ob = state.obligations.get(name) if state.obligations else None
            if ob is None or ob[1] != gen:
                return
            del state.obligations[name]
            spec = contract.obligations[name]
            out.append(Action(state.ticket, instant, "obligation_breached", contract.id, ob[3], spec.clause,
                              f"{spec.party} did not {spec.what} by {format_instant(instant)}", party=spec.party,
                              obligation=name, version=contract.version))
            self._run_agenda(state, contract, {"type": "obligation_breached", "obligation": name,
                                               "party": spec.party, "id": None, "attrs": {}}, instant, out)

    def _clock_deadline(self, state: TicketState, contract: CompiledContract, clock: Clock, instant: int, kind: str,
                        ratio: float, out: list[Action]) -> None:
        if kind == "warn":
            clock.warned += 1
            _clock_action(out, state, contract, clock.rule, clock, instant, None, "warn",
                          f"{round(ratio * 100)}% of the {clock.name} target ({clock.duration}, {clock.target}) "
                          f"used; due {format_instant(clock.due)}", due=clock.due, ratio=ratio)
            self._schedule_clock(state, clock, contract.warn_at)
            self._run_agenda(state, contract, {"type": "warn", "clock": clock.name, "ratio": ratio, "id": None,
                                               "attrs": {}}, instant, out)
            return
        clock.breached = True
        elapsed = clock.elapsed(instant)
        _clock_action(out, state, contract, clock.rule, clock, instant, None, "breach",
                      f"{clock.name} target {clock.duration} ({clock.target}) on {clock.label} passed without "
                      f"its goal event: {human_seconds(elapsed)} counted"
                      + (", clock paused" if clock.status == PAUSED else ""), due=instant, totals=True)
        self._run_agenda(state, contract, {"type": "breach", "clock": clock.name, "id": None, "attrs": {}},
                         instant, out)

    # --- applying an event ------------------------------------------------------------------
    def _apply(self, state: TicketState, kind: str, eid: str, attrs: dict, at: int, out: list[Action]) -> None:
        """Apply an event (its type, id, attrs and instant) to its ticket's state: built-in
        bookkeeping, then the agenda."""
        fact = {"type": kind, "id": eid, "attrs": attrs}
        derived: list[dict] | None = None
        contract = self.contracts[state.contract]
        if contract.refusals and kind in contract.refusals and self._refused(state, contract, fact, at, out):
            return  # the contract does not accept this event: recorded, nothing else changes
        if kind == "updated":
            prev = {}
            current = state.attrs
            refused = "severity" in attrs and attrs["severity"] != current.get("severity") and \
                self._severity_change(state, contract, eid, attrs, at, out)
            for key, value in attrs.items():
                if key in _META_ATTRS or (refused and key == "severity"):
                    continue
                old = current.get(key)
                if isinstance(value, dict) and isinstance(old, dict):
                    value = {**old, **value}
                if old != value:
                    prev[key] = old
                    current[intern(key)] = intern(value) if type(value) is str and len(value) <= 64 else value
            fact["prev"] = prev
            if "severity" in prev:
                derived = [_severity_changed(prev["severity"], current["severity"], eid, attrs)]
        elif kind == "info_provided":  # INTERFACE: attrs.info merges into the ticket's info like `updated`
            info = attrs.get("info")
            if info:
                old = state.attrs.get("info")
                state.attrs["info"] = {**old, **info} if isinstance(old, dict) else dict(info)
        elif kind == "fulfilled":  # extension event: the named obligation was met
            if state.obligations:
                state.obligations.pop(attrs["obligation"], None)
        elif kind == "closed":
            state.closed = True
        elif kind == "reopened":
            state.closed = False
        self._run_agenda(state, contract, fact, at, out, derived)

    def _refused(self, state: TicketState, contract: CompiledContract, fact: dict, at: int,
                 out: list[Action]) -> bool:
        """True (and one `refused` action citing its clause) when a `refusals` entry of the
        contract holds for this event; the event then changes nothing."""
        facts = _Facts(fact, state, contract, at)
        for refusal in contract.refusals[fact["type"]]:
            if refusal.predicate is not None and not refusal.predicate(facts):
                continue
            if self.tracer is not None:
                self.tracer.fired(at=at, ticket=state.ticket, event=fact["id"], trigger=fact["type"], rule=refusal.rule,
                                  clause=refusal.clause, contract=contract.id, version=contract.version,
                                  facts={"refused": True})
            reason = refusal.reason.render(facts) if refusal.reason is not None else \
                f"'{fact['type']}' refused ({refusal.clause}); nothing changes"
            out.append(Action(state.ticket, at, "refused", contract.id, refusal.rule, refusal.clause, reason,
                              event=fact["id"], version=contract.version, event_type=fact["type"]))
            return True
        return False

    def _severity_change(self, state: TicketState, contract: CompiledContract, eid: str, attrs: dict, at: int,
                         out: list[Action]) -> bool:
        """Decide the severity change an `updated` event asks for, under the contract's
        `severity_changes` (INTERFACE: every change yields exactly one action citing the clause that
        governs it): True when refused (the severity stays), else the change is recorded as applied."""
        old, new = state.attrs.get("severity"), attrs["severity"]
        policy = contract.severity_policy
        if policy is None:
            return False
        event = {"type": "updated", "id": eid, "attrs": attrs, "from": old, "to": new}
        facts = _Facts(event, state, contract, at)
        refusal = policy.refusal(facts)
        clause = contract.change_clause(new)
        if self.tracer is not None:
            self.tracer.fired(at=at, ticket=state.ticket, event=eid, trigger="updated", rule=policy.rule,
                              clause=clause, contract=contract.id, version=contract.version,
                              facts={"event.from": old, "event.to": new, "refused": refusal is not None})
        by = attrs.get("by")
        who = f" by {by}" if isinstance(by, str) else ""
        if refusal is not None:
            reason = refusal.reason.render(facts) if refusal.reason is not None else \
                f"severity change {old} -> {new}{who} refused ({clause}); severity stays {old}"
            out.append(Action(state.ticket, at, "reclassify_refused", contract.id, policy.rule, clause, reason,
                              from_=None if old is None else str(old), to=str(new), event=eid,
                              version=contract.version, initial=True if old is None else None))
            return True
        if old is None:
            out.append(Action(state.ticket, at, "reclassify", contract.id, policy.rule, clause,
                              f"severity set to {new}{who} (first assignment)", to=str(new), event=eid,
                              version=contract.version, initial=True))
        else:
            out.append(Action(state.ticket, at, "reclassify", contract.id, policy.rule, clause,
                              f"severity {old} -> {new}{who}", from_=str(old), to=str(new), event=eid,
                              version=contract.version))
        return False

    def _run_agenda(self, state: TicketState, contract: CompiledContract, fact: dict, now: int,
                    out: list[Action], derived: list[dict] | None = None) -> None:
        """Run the agenda for `fact`, then for each internal event its actions raise, in order.

        For each of those agenda items: match, fire the best activation, re-match what it may have
        changed, until quiet. Each rule's match is computed once per item (all in one call:
        `CompiledContract.matches`) and recomputed only when a fired action wrote a fact path the
        rule reads (`CompiledContract.affects`). Refraction: per item, a rule fires at most once per
        distinct tuple of the values its condition read. `keys[j]` is the activation of rule j
        still to fire, None when it has none (no match, or that match already fired), or _UNKNOWN;
        the rules before the scan position `j` all have None, so after a firing the scan resumes
        at `CompiledContract.rescan` instead of the first rule.
        """
        pending = [fact, *derived] if derived else [fact]
        firings: list[str] = []  # rule ids in firing order: bounds the agenda and names a loop
        agendas = contract.agendas
        tracer = self.tracer
        facts: _Facts | None = None  # one per agenda, its event moving along `pending`; none if no rules
        k = 0
        while k < len(pending):
            current = pending[k]
            k += 1
            trigger = current["type"]
            agenda = agendas.get(trigger)
            if agenda is None:
                continue
            rules, matches, affects, rescan = agenda
            if facts is None:
                facts = _Facts(current, state, contract, now)
            else:
                facts.event = current
            n = len(rules)
            keys: list = matches(facts)  # every rule's match (none has fired: no refraction)
            fired: set[tuple[int, tuple]] | None = None  # (rule index, activation) of each firing
            j = 0
            while j < n:
                key = keys[j]
                if key is _UNKNOWN:
                    key = rules[j].match(facts)
                    if key is not None and fired is not None and (j, key) in fired:
                        key = None
                    keys[j] = key
                if key is None:
                    j += 1
                    continue
                rule = rules[j]
                if fired is None:
                    fired = {(j, key)}
                else:
                    fired.add((j, key))
                keys[j] = None
                firings.append(rule.id)
                if len(firings) > MAX_FIRINGS:
                    raise RuleLoopError(f"rules kept re-activating ({MAX_FIRINGS} firings) after {fact['type']!r}: "
                                        f"{_loop_names(firings)}; check their conditions and state changes")
                if tracer is not None:
                    tracer.fired(at=now, ticket=state.ticket, event=current.get("id"), trigger=trigger,
                                 rule=rule.id, clause=rule.clause, contract=contract.id, version=contract.version,
                                 facts={path: g(facts) for path, g in rule.reads})
                nested = False
                for spec in rule.actions:
                    kind = spec.kind
                    custom = spec.reason.render(facts) if spec.reason is not None else None  # before any change
                    if _HANDLERS[kind](self, kind, spec.args, rule, state, contract, facts, now, out, pending, custom):
                        nested = True
                if nested:  # an agenda ran inside an action: anything may have changed
                    keys = [_UNKNOWN] * n
                    j = 0
                else:
                    for i in affects[j]:
                        keys[i] = _UNKNOWN
                    j = rescan[j]
            if len(pending) > MAX_FIRINGS:
                raise RuleLoopError(f"rules kept raising internal events ({len(pending)}) after {fact['type']!r}: "
                                    f"{_loop_names(firings)}; check reclassify/downgrade rules that undo "
                                    "each other")

    # --- actions ----------------------------------------------------------------------------

    def _clocks(self, state: TicketState, name: str | list[str]) -> list[Clock]:
        """The ticket's clocks an action names: one, a list of names, or `all` (in name order)."""
        if name == "all":
            return [state.clocks[k] for k in sorted(state.clocks)]
        if isinstance(name, list):
            return [state.clocks[k] for k in sorted(set(name)) if k in state.clocks]
        clock = state.clocks.get(name)
        return [clock] if clock is not None else []

    # One handler per action kind, all with the same signature (see _HANDLERS below). A handler
    # returns True when the action ran an agenda of its own (a breach at a reschedule), after which
    # the enclosing agenda re-matches every rule; None otherwise.
    def _act_stop_clock(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                        facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        for clock in self._clocks(state, args["clock"]):
            if clock.status == STOPPED:
                continue
            met = clock.stop(now)
            elapsed = clock.used  # stopping counted it: no second calendar walk
            if state.excluded:  # out of scope: neither met nor breached (INTERFACE.md)
                reason = (f"{clock.name} ends: the request is excluded; {human_seconds(elapsed)} of {clock.duration} "
                          f"had been used ({clock.target})")
                _clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "stop_clock",
                              custom or reason, totals=True, excluded=True)
                continue
            verdict = "met" if met else "missed"
            _clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "stop_clock",
                          custom or f"{clock.name} {verdict} on {facts.event['type']}: {human_seconds(elapsed)} of "
                          f"{clock.duration} used ({clock.target})", met=met, totals=True)

    def _act_pause_clock(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                         facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        for clock in self._clocks(state, args["clock"]):
            if clock.status != RUNNING:
                continue
            clock.pause(now)
            _clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "pause_clock",
                          custom or f"{clock.name} paused on {facts.event['type']}: {human_seconds(clock.used)} of "
                          f"{clock.duration} used")

    def _act_resume_clock(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                          facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        for clock in self._clocks(state, args["clock"]):
            if clock.status != PAUSED:
                continue
            credited = clock.resume(now)
            _clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "resume_clock",
                          custom or f"{clock.name} resumed on {facts.event['type']}: {human_seconds(credited)} of "
                          f"business time paused, total paused {human_seconds(clock.paused_total)}", due=clock.due)
            self._schedule_clock(state, clock, contract.warn_at)

    def _act_reschedule_clock(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                              facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> bool:
        nested = False
        for clock in self._clocks(state, args["clock"]):
            if clock.status != STOPPED and self._reschedule(clock, rule, state, contract, facts, now, out, custom):
                nested = True
        return nested

    def _act_notify(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                    facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        to = args["to"].get(facts)
        _emit(out, state, contract, rule, now, facts, "notify", custom or f"notify {to}", to=str(to))

    def _act_exclude(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                     facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        value = args.get("exclusion")
        category = value.get(facts) if value is not None else state.attrs.get("category")
        clause = contract.exclusions.get(category, rule.clause)
        state.excluded = True
        _emit(out, state, contract, rule, now, facts, "exclude",
              custom or f"category '{category}' is excluded from the contract ({clause})", clause=clause,
              exclusion=str(category))

    def _act_fulfil(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                    facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        if state.obligations:
            state.obligations.pop(args["name"], None)

    def _act_start_timer(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                         facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        found = contract.calendar(args.get("calendar", "region"), state.attrs)
        if found is None:
            return
        due = max(now, found[0].due(self._counted_from(args, facts, now), args["after"]))
        if state.timers is None:
            state.timers = {}
        self._seq += 1
        state.timers[args["timer"]] = [due, self._seq, rule.id, rule.clause]
        heapq.heappush(self._queue, (due, state.ticket, "timer:" + args["timer"], 2, self._seq, "timer", 0.0))

    def _act_cancel_timer(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                          facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        if state.timers:
            state.timers.pop(args["name"], None)

    def _act_set(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                 facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        if state.vars is None:
            state.vars = {}
        state.vars.update(args)

    def _act_start_clock(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                         facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        name = args["clock"]
        if "target" in args:
            duration, cal_ref, target_id, clause = args["target"], args.get("calendar", "region"), rule.id, rule.clause
        else:
            found = contract.target(name, state.attrs.get("severity"), facts)
            if found is None or found[1].duration is None:
                return  # the contract sets no such clock for this ticket
            target, row = found
            duration, cal_ref, target_id, clause = row.duration, args.get("calendar", row.calendar), target.id, target.clause
        cal = contract.calendar(cal_ref, state.attrs)
        if cal is None:
            return
        calendar, label = cal
        clock = Clock(name, clause, rule.id, target_id, duration, calendar, label, now)
        old = state.clocks.get(name)
        if old is not None:
            clock.gen = old.gen + 1
        state.clocks[name] = clock
        who = _plan_and_severity(state.attrs)
        _clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "start_clock",
                      custom or f"{who}: {name} within {duration} on {label} ({target_id}), paused 0 min", due=clock.due)
        self._schedule_clock(state, clock, contract.warn_at)

    def _reschedule(self, clock: Clock, rule: Rule, state: TicketState, contract: CompiledContract, facts: _Facts,
                    now: int, out: list[Action], custom: str | None) -> bool:
        """Retarget `clock` after a severity change, running or paused; True when that ran the breach
        agenda (the new target is already used up: breach at the change, INTERFACE "Time")."""
        eid = facts.event.get("id")
        found = contract.target(clock.name, state.attrs.get("severity"), facts)
        if found is None or found[1].duration is None:
            met = clock.stop(now)
            elapsed = clock.used
            _clock_action(out, state, contract, rule.id, clock, now, eid, "stop_clock",
                          custom or f"{clock.name}: no target for severity {state.attrs.get('severity')} any more; "
                          f"{human_seconds(elapsed)} had elapsed", met=met, totals=True)
            return False
        target, row = found
        cal = contract.calendar(row.calendar, state.attrs)
        if cal is None:
            return False
        if target.id == clock.target and row.duration == clock.duration and cal[0] is clock.calendar:
            return False  # same target as before (e.g. reclassified before the clock started): nothing changes
        exceeded = clock.retarget(now, row.duration, cal[0], cal[1], target.clause, target.id)
        who = f"severity {facts.event.get('from', '?')} -> {state.attrs.get('severity')}"
        paused = ", paused" if clock.status == PAUSED else ""
        if exceeded:
            ran_out = clock.ran_out_at(clock.budget)
            state_text = "already used up" + (f" (it ran out at {format_instant(ran_out)})"
                                              if ran_out is not None and ran_out < now else "")
        else:
            state_text = "due if it runs again from now" if clock.status == PAUSED else ""
        _clock_action(out, state, contract, rule.id, clock, now, eid, "reschedule_clock",
                      custom or f"{who}: {clock.name} target now {row.duration} on {cal[1]} ({target.id}), "
                      f"{human_seconds(clock.used)} already elapsed{paused}"
                      + (f"; {state_text}" if state_text else ""), due=clock.due)
        if exceeded and not clock.breached:
            self._clock_deadline(state, contract, clock, now, "breach", 1.0, out)
            return True
        self._schedule_clock(state, clock, contract.warn_at)
        return False

    def _act_escalate(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                      facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        graph = self._escalation_graph(state, contract, args, facts)
        if graph is None:
            return
        if state.escalation_graph is None:
            state.escalation_graph, state.escalation_node = graph.id, graph.entry
        node = state.escalation_node or graph.entry
        nxt = graph.step(node, args["trigger"], facts)
        if nxt is None:
            role = graph.nodes.get(node, {}).get("role", node)
            _emit(out, state, contract, rule, now, facts, "notify",
                  custom or f"escalation chain '{graph.id}' exhausted: already at {role} ({node}), level "
                  f"{state.escalation_level}", clause=graph.clause, to=node)
            return
        state.escalation_node = nxt
        state.escalation_level += 1
        role = graph.nodes.get(nxt, {}).get("role", nxt)
        contact = graph.nodes.get(nxt, {}).get("contact")
        _emit(out, state, contract, rule, now, facts, "escalate",
              custom or f"{args['trigger'].replace('_', ' ')}: {node} -> {role}"
              + (f" ({contact})" if contact else "") + f", level {state.escalation_level}",
              clause=graph.clause, level=state.escalation_level, to=nxt)

    @staticmethod
    def _escalation_graph(state: TicketState, contract: CompiledContract, args: dict,
                          facts: _Facts) -> EscalationGraph | None:
        """The ticket's chain once it has one; else the one the rule names, or the first that applies."""
        wanted = state.escalation_graph or args.get("graph")
        if wanted:
            return next((graph for graph in contract.graphs if graph.id == wanted), None)
        return next((graph for graph in contract.graphs if graph.applies is None or graph.applies(facts)), None)

    def _act_severity(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                      facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        current = state.attrs.get("severity")
        to = args["to"].get(facts)
        if to == "next":
            to = contract.next_severity(current)
        if to is None or to == current or to not in contract.severities:
            return
        if current is None:  # a first assignment is not a change: no `from`, `initial: true`
            _emit(out, state, contract, rule, now, facts, "reclassify", custom or f"severity set to {to}", to=to)
            out[-1].initial = True
        elif kind == "downgrade":
            mode = args["mode"]
            _emit(out, state, contract, rule, now, facts, "downgrade",
                  custom or f"severity {current} -> {to} ({mode})", from_=str(current), to=to, mode=mode)
            if mode != "automatic":
                return
        else:
            _emit(out, state, contract, rule, now, facts, "reclassify",
                  custom or f"severity {current} -> {to}", from_=str(current), to=to)
        state.attrs["severity"] = to
        pending.append(_severity_changed(current, to, facts.event.get("id"), facts.event.get("attrs", {})))

    @staticmethod
    def _counted_from(args: dict, facts: _Facts, now: int) -> int:
        """The instant a delay counts from: `from` (an instant read from the facts) if valid, else now."""
        source = args.get("from")
        if source is None:
            return now
        value = source.get(facts)
        try:
            return parse_instant(value) if value is not None else now
        except EventError:
            return now

    def _act_obligation(self, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                        facts: _Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
        spec = contract.obligations[args["id"]]
        duration = args.get("due", spec.due)
        due = None
        if duration is not None:
            cal = contract.calendar(args.get("calendar", spec.calendar), state.attrs)
            if cal is None:
                return
            due = cal[0].due(self._counted_from(args, facts, now), duration)
        if state.obligations is None:
            state.obligations = {}
        self._seq += 1
        gen = self._seq
        state.obligations[spec.id] = [due, gen, spec.party, rule.id, spec.clause]
        when = f" within {duration}" if duration is not None else ""
        _emit(out, state, contract, rule, now, facts, "obligation",
              custom or f"{spec.party} must {spec.what}{when}", clause=spec.clause, party=spec.party, due=due,
              obligation=spec.id)
        if due is not None:
            # counted from an earlier instant (`from`), the due may already be past: it fires now
            heapq.heappush(self._queue, (max(due, now), state.ticket, spec.id, 3, gen, "obligation", 0.0))


_HANDLERS = {
    "start_clock": Engine._act_start_clock, "stop_clock": Engine._act_stop_clock,
    "pause_clock": Engine._act_pause_clock, "resume_clock": Engine._act_resume_clock,
    "reschedule_clock": Engine._act_reschedule_clock, "notify": Engine._act_notify,
    "escalate": Engine._act_escalate, "downgrade": Engine._act_severity, "reclassify": Engine._act_severity,
    "exclude": Engine._act_exclude, "obligation": Engine._act_obligation, "fulfil": Engine._act_fulfil,
    "start_timer": Engine._act_start_timer, "cancel_timer": Engine._act_cancel_timer, "set": Engine._act_set,
}


class DuplicateEvent(EventError):
    """An event id seen before: ignored and counted, not an error."""

    code = "duplicate-id"


class LateEvent(EventError):
    """An event earlier than the stream's current time (the greatest instant applied so far)."""

    code = "late-event"


__all__ = ["Engine", "TicketState", "RuleLoopError", "DuplicateEvent", "LateEvent", "EventError"]

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

With a `retention` (seconds of event time; `obligo replay` sets one, docs/INTERFACE.md "Replay
at scale"), memory follows the open tickets, not the log: a ticket *finished* at F (closed, not
quarantined, nothing left in the deadline queue that can fire: no running clock with a due, no
timer, no obligation with a due) is kept in memory until the stream's time passes F + retention,
then written with its event ids to disk (`spill`) and taken back, whole, by the first later event
that names it. Every answer is the one an engine that keeps everything in memory gives; the one
thing it no longer sees is an evicted ticket's event id reused by another ticket's event (a
duplicate only stream-wide). Without a retention (the default: the live store, tests) nothing is
ever evicted.

The parts, one job each: `state` (a ticket's state), `clocks`, `deadlines` (the queue),
`agenda` (matching and firing rules), `handlers` (what each action kind does), `emit` (building
actions), `snapshot` (the engine's whole state as JSON and back), `errors`. This module ties them
together: `Engine.process`, `advance`, `fire_due`.
"""

from __future__ import annotations

import copy
import heapq
from collections import deque
from sys import intern
from typing import Any, Final

from mypy_extensions import mypyc_attr

from engine.calendars.business import CalendarRangeError
from engine.language.conditions import compile_getter
from engine.language.model import CompiledContract
from engine.language.versions import in_force, windows, zone_of
from engine.model.actions import Action
from engine.model.events import Event, EventError, event_fields, format_instant, parse_instant
from engine.runtime import snapshot as snapshots
from engine.runtime.agenda import MAX_FIRINGS, run_agenda
from engine.runtime.clocks import PAUSED, RUNNING, Clock, human_seconds
from engine.runtime.deadlines import TIMER_PREFIX, Deadline, schedule_clock
from engine.runtime.emit import clock_action, number, severity_changed
from engine.runtime.errors import DuplicateEvent, LateEvent, RuleLoopError, SnapshotError
from engine.runtime.spill import Spill
from engine.runtime.state import Facts, TicketState, interned
from engine.runtime.trace import Tracer

_META_ATTRS: Final = frozenset({"by", "consent"})  # describe the event, not the ticket
# events whose attrs set the ticket's attributes (or ask for a severity): checked against the contract
_ATTR_EVENTS: Final = frozenset({"opened", "updated", "reclassification_requested"})
DAY: Final = 86_400
DEFAULT_RETENTION: Final = 30 * DAY  # `obligo replay --retain DAYS`: docs/INTERFACE.md "Replay at scale"


@mypyc_attr(allow_interpreted_subclasses=True)  # engine.api.Engine, and embedders, subclass it in Python
class Engine:
    """Evaluate contracts against a stream of ticket events, in event time.

    Two engines never share mutable state: each has its own tickets and deadline queue; compiled
    contracts (immutable apart from memoised calendars) may be shared.
    """

    def __init__(self, contracts: dict[str, CompiledContract], tracer: Tracer | None = None,
                 retention: int | None = None, spill_dir: str | None = None):
        self.contracts = contracts
        self.tracer = tracer
        if retention is not None and retention < 0:
            raise ValueError(f"retention must be 0 or more seconds, got {retention}")
        self.retention = retention  # None: keep every ticket (see the module docstring)
        self.tickets: dict[str, TicketState] = {}
        self.now: int | None = None
        self._queue: list[Deadline] = []
        self._seen_ids: set[str] = set()
        self._seq = 0  # generations of timers and obligations (never reused, so stale heap entries stay stale)
        # tickets whose rules looped: their later events are rejected with this reason
        self.quarantined: dict[str, str] = {}
        # loops found while firing deadlines (no input line to reject): for the replay summary
        self.problems: list[str] = []
        self._carry: list[Action] = []  # actions owed to the caller when process() had to raise
        self.firing: str | None = None  # the kind of the deadline being fired (a partition places its traces by it)
        # Breaches held at an instant (_fire_until): the instant and the queue's length just after. While the
        # length is the same (only _fire_until takes entries out), those are all the queue holds up to there.
        self._held_at: int | None = None
        self._held_len = 0
        # eviction (only with a retention): finished tickets -> F, (F, ticket) in F order (stale
        # entries included: a ticket finished again has a newer F), the event ids of each ticket held
        # in memory (they leave with it), and the evicted tickets on disk (created on first use)
        self._finished: dict[str, int] = {}
        self._finish_queue: deque[tuple[int, str]] = deque()
        self._ids: dict[str, list[str]] = {}
        self._spill: Spill | None = None
        self._spill_dir = spill_dir
        self._refs: dict[str, dict[int, snapshots.CalendarRef]] = {}  # for writing evicted tickets
        self._versions = windows(contracts)  # contract id -> its versions' time in force

    # --- public API -------------------------------------------------------------------------
    def process(self, event: object) -> list[Action]:
        """Apply one event (an Event, or a JSON value as parsed: anything but an object that
        parse_event accepts is an EventError); returns the deadlines it passed, then its own actions.

        Raises EventError (with the reason) for an event that cannot be applied: invalid, duplicate
        id, unknown contract or ticket, before its ticket's `opened`, or earlier than the stream.
        """
        # the event's fields and the engine's tables once, as locals: this runs for every event
        if isinstance(event, Event):
            eid, ticket, at, kind, name, attrs = event.id, event.ticket, event.at, event.type, event.contract, event.attrs
        else:  # checked as parse_event checks it, without building an Event only to read it
            eid, ticket, at, kind, name, attrs = event_fields(event)
        state = self.tickets.get(ticket)
        if state is None and self._spill is not None and self._spill.count:
            state = self._unspill(ticket)  # an evicted ticket comes back whole: the same answers
        retention = self.retention
        now = self.now
        if eid in self._seen_ids:
            raise DuplicateEvent(f"duplicate event id {eid!r}")
        if now is not None and at < now:
            raise LateEvent(f"event at {format_instant(at)} is earlier than the stream's current time "
                            f"{format_instant(now)}; events must arrive in time order")
        quarantined = self.quarantined
        if ticket in quarantined:
            raise EventError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}", "quarantined")
        if kind == "opened":
            if state is not None:
                raise EventError(f"ticket {ticket!r} is already open (opened {format_instant(state.opened_at)})",
                                 "already-open")
            key = self._version_at(name, at)
        elif state is None:
            raise EventError(f"unknown ticket {ticket!r}: no 'opened' event before this {kind!r}", "unknown-ticket")
        else:
            key = state.contract
            if name is not None and name != self.contracts[key].id:
                raise EventError(f"ticket {ticket!r} belongs to contract {self.contracts[key].id!r}, event says "
                                 f"{name!r}", "contract-mismatch")
        if attrs and kind in _ATTR_EVENTS:  # a value the contract cannot use is a reject, never a silent default
            problem = self.contracts[key].attribute_problem(attrs, kind == "opened")
            if problem is not None:
                raise EventError(problem[1], problem[0])
        queue = self._queue
        if (queue and queue[0][0] <= at) or self._carry:
            out = self.fire_due(at)  # moves the stream's time to `at`
        else:  # the common case, nothing due and nothing carried: what fire_due does then
            if now is None or at > now:
                self.now = at
            out = []
        if retention is not None:
            self._ids.setdefault(ticket, []).append(eid)
        self._seen_ids.add(eid)
        if ticket in quarantined:  # its own deadlines looped just now
            self._carry = out  # the other tickets' actions are returned by the next call
            raise RuleLoopError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}")
        if kind == "opened":
            state = TicketState(ticket, key, interned(attrs), at)
            self.tickets[ticket] = state
        assert state is not None  # an event other than `opened` for an unknown ticket was rejected above
        mark = len(out)
        try:
            self._apply(state, kind, eid, attrs, at, out)
            number(out, mark, (eid,))
        except RuleLoopError as loop:  # each except names its own variable: mypyc types it by its clause
            # The event's own actions are dropped and its ticket quarantined: a looping contract
            # gives no trustworthy state. Deadline actions fired before it come with the next call.
            self._carry = out[:mark]
            quarantined[ticket] = f"a rule loop on event {eid!r}: {loop}"
            self._finished.pop(ticket, None)  # a quarantined ticket is never evicted
            raise
        except CalendarRangeError as unreachable:
            # Likewise for a target its calendar cannot reach (open a few minutes a year): no due.
            self._carry = out[:mark]
            quarantined[ticket] = f"on event {eid!r}, a target its calendar cannot reach: {unreachable}"
            self._finished.pop(ticket, None)
            raise EventError(f"ticket {ticket!r} is quarantined: {quarantined[ticket]}", "calendar-range") from None
        if retention is not None:
            if state.closed or ticket in self._finished:
                self._settle(state, at)
            if self._finish_queue and self._finish_queue[0][0] + retention < at:  # after the event: never its own ticket
                self._expire(retention)
        return out

    def _version_at(self, name: str | None, at: int) -> str:
        """The key of the version of contract `name` in force at `at` (an `opened`): the ticket's
        contract for its whole life. EventError `unknown-contract` or `no-version-in-force`."""
        versions = self._versions.get(name or "")
        if versions is None:
            raise EventError(f"unknown contract {name!r}; loaded: {', '.join(sorted(self._versions))}",
                             "unknown-contract")
        window = in_force(versions, at)
        if window is None:
            terms = "; ".join(_in_force_text(self.contracts[w.key]) for w in versions)
            raise EventError(f"no version of contract {name!r} is in force on {format_instant(at)} (in force: {terms})",
                             "no-version-in-force")
        return window.key

    def advance(self, instant: int | str) -> list[Action]:
        """Move time to `instant` (live use): fire every deadline up to and including it."""
        t = parse_instant(instant) if isinstance(instant, str) else int(instant)
        out, self._carry = self._carry, []
        self._fire_until(t, out)
        if self.now is None or t > self.now:
            self.now = t
        if self.retention is not None:
            self._expire(self.retention)
        return out

    def fire_due(self, instant: int) -> list[Action]:
        """Fire what `process` fires before an event at `instant`, without applying it (plus any
        actions carried from a call that raised), and move the stream's time there: every deadline
        due by `instant`, but a breach due exactly at `instant` (`_fire_until`).

        `process` calls it first; a partition of the stream (engine.replay.partition) calls it also
        for the time that other partitions' events moved.
        """
        if self.now is None or instant > self.now:
            self.now = instant
        queue = self._queue
        due = queue and queue[0][0] <= instant and not (instant == self._held_at and len(queue) == self._held_len)
        if not due and not self._carry:
            return []  # the common case: nothing due (or only the breaches held at this instant)
        out, self._carry = self._carry, []
        if due:
            self._fire_until(instant, out, hold_breaches=True)
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
        return compile_getter(path)(Facts({}, state, self.contracts.get(state.contract), self.now or 0))

    def snapshot(self) -> dict[str, Any]:
        """The engine's whole evaluation state as JSON-ready data (engine.runtime.snapshot):
        `Engine.restore(contracts, snapshot)` goes on from it exactly as this engine would."""
        return snapshots.dump(self)

    @classmethod
    def restore(cls, contracts: dict[str, CompiledContract], snapshot: Any, tracer: Tracer | None = None) -> Engine:
        """A new engine in the state of `snapshot` (Engine.snapshot, after any JSON round trip), over
        `contracts`. Raises SnapshotError (an ObligoError with a code) for another format version, a
        contract it needs that is not given (or at another version), or data that is not a snapshot."""
        engine = cls(contracts, tracer)
        snapshots.restore_into(engine, snapshot)
        return engine

    # --- deadlines --------------------------------------------------------------------------
    def _fire_until(self, t: int, out: list[Action], hold_breaches: bool = False) -> None:
        """Fire deadlines up to and including `t`, in (instant, ticket, name) order.

        `hold_breaches` (before an event at `t`): the breaches due exactly at `t` wait until the
        stream passes `t` (an event after it, or `advance`), so a goal event at the due instant
        meets its clock (docs/INTERFACE.md) whatever the order of the events at that instant: a
        ticket's verdicts never depend on another ticket's events. Everything else due by `t` fires.
        """
        queue, tickets, pop = self._queue, self.tickets, heapq.heappop
        self._held_at = None
        deferred: list[Deadline] = []
        # plain dicts, made when first needed: collections.Counter is interpreted, and one per call costs
        per_instant: dict[tuple[str, int], int] | None = None
        causes: dict[tuple[str, ...], int] | None = None  # a deadline firing twice at one instant numbers on
        while queue and queue[0][0] <= t:
            entry = pop(queue)
            instant, ticket, name, _order, gen, kind, ratio = entry  # a Deadline
            state = tickets.get(ticket)
            if state is None:
                continue  # a stale entry of an evicted ticket (an evicted ticket has no live one)
            if kind != "timer" and kind != "obligation":
                clock = state.clocks.get(name)
                if clock is None or clock.gen != gen or clock.status != RUNNING or clock.breached:
                    continue  # stale: the clock was stopped, paused or retargeted since (most entries)
            if instant == t and hold_breaches and kind == "breach":
                deferred.append(entry)
                continue
            if ticket in self.quarantined:
                continue
            contract = self.contracts[state.contract]
            self.now = max(self.now or instant, instant)
            mark = len(out)
            try:
                self.firing = kind
                self._fire_one(state, contract, instant, name, gen, kind, ratio, out)
                self.firing = None
                if len(out) > mark:
                    cause = (ticket, kind, name, str(instant), repr(ratio))
                    if causes is None:
                        causes = {}
                    first = causes.get(cause, 0)
                    number(out, mark, cause, first)
                    causes[cause] = first + len(out) - mark
                if state.closed and self.retention is not None:
                    self._settle(state, instant)
                if kind == "timer":
                    if per_instant is None:
                        per_instant = {}
                    fired = per_instant[(ticket, instant)] = per_instant.get((ticket, instant), 0) + 1
                    if fired > MAX_FIRINGS:
                        raise RuleLoopError(f"timer '{name.removeprefix(TIMER_PREFIX)}' keeps restarting at "
                                            f"{format_instant(instant)} (rules: {self._timer_rules(state, name)})")
            except (RuleLoopError, CalendarRangeError) as exc:
                self.firing = None
                del out[mark:]
                what = "a rule loop" if isinstance(exc, RuleLoopError) else "a target its calendar cannot reach"
                reason = f"{what} at {format_instant(instant)}: {exc}"
                self.quarantined[ticket] = reason
                self.problems.append(f"ticket {ticket!r} quarantined after {reason}")
        if deferred:
            for entry in deferred:
                heapq.heappush(queue, entry)
            self._held_at, self._held_len = t, len(queue)

    # --- eviction (with a retention) -----------------------------------------------------------
    def _settle(self, state: TicketState, at: int) -> None:
        """After the ticket's event or deadline at `at`: finished at `at` if it is closed and nothing
        of it can fire any more, else not finished (a reopened ticket)."""
        ticket = state.ticket
        if state.closed and ticket not in self.quarantined and _idle(state):
            self._finished[ticket] = at
            self._finish_queue.append((at, ticket))
        else:
            self._finished.pop(ticket, None)

    def _expire(self, retention: int) -> None:
        """Write to disk the finished tickets whose retention the stream's time has passed."""
        now = self.now
        if now is None:
            return
        queue, finished, tickets = self._finish_queue, self._finished, self.tickets
        evicted = []
        while queue and queue[0][0] + retention < now:
            since, ticket = queue.popleft()
            if finished.get(ticket) == since:  # else stale: finished again since, or reopened
                del finished[ticket]
                ids = self._ids.pop(ticket, [])
                self._seen_ids.difference_update(ids)
                evicted.append((ticket, since, ids, self._ticket_data(tickets.pop(ticket))))
        if evicted:
            if self._spill is None:
                self._spill = Spill(self._spill_dir)
            self._spill.put_many(evicted)

    def _ticket_data(self, state: TicketState) -> dict[str, Any]:
        """The ticket as `snapshot.ticket_to_dict` data. The calendar references are cached per
        contract and computed again when the ticket uses a calendar built since (a per-ticket zone)."""
        try:
            return snapshots.ticket_to_dict(state, self.contracts, self._refs)
        except SnapshotError:
            self._refs.pop(state.contract, None)
            return snapshots.ticket_to_dict(state, self.contracts, self._refs)

    def _unspill(self, ticket: str) -> TicketState | None:
        """The evicted ticket back in memory, as it was (finished at its F, its ids seen), or None."""
        assert self._spill is not None
        taken = self._spill.take(ticket)
        if taken is None:
            return None
        since, ids, data = taken
        state = snapshots.ticket_from_dict(data, self.contracts)
        self.tickets[ticket] = state
        self._ids[ticket] = ids
        self._seen_ids.update(ids)
        self._finished[ticket] = since  # evicted again once the stream's time passes its retention
        self._finish_queue.append((since, ticket))
        return state

    @property
    def evicted(self) -> int:
        """How many tickets are on disk now (0 without a retention)."""
        return self._spill.count if self._spill is not None else 0

    def close(self) -> None:
        """Remove the evicted tickets' file (an engine with a retention; harmless otherwise)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    @staticmethod
    def _timer_rules(state: TicketState, name: str) -> str:
        timer = (state.timers or {}).get(name.removeprefix(TIMER_PREFIX))
        return timer.rule if timer else "?"

    def _fire_one(self, state: TicketState, contract: CompiledContract, instant: int, name: str, gen: int, kind: str,
                  ratio: float, out: list[Action]) -> None:
        if kind in ("warn", "breach"):  # _fire_until checked that the clock still waits for it
            self._clock_deadline(state, contract, state.clocks[name], instant, kind, ratio, out)
        elif kind == "timer":
            name = name.removeprefix(TIMER_PREFIX)
            timers = state.timers
            timer = timers.get(name) if timers else None
            if timers is None or timer is None or timer.gen != gen:
                return
            del timers[name]
            run_agenda(self, state, contract, {"type": "timer", "timer": name, "id": None, "attrs": {}},
                       instant, out)
        elif kind == "obligation":
            obligations = state.obligations
            ob = obligations.get(name) if obligations else None
            if obligations is None or ob is None or ob.gen != gen:
                return
            del obligations[name]
            spec = contract.obligations[name]
            out.append(Action(state.ticket, instant, "obligation_breached", contract.id, ob.rule, spec.clause,
                              f"{spec.party} did not {spec.what} by {format_instant(instant)}", party=spec.party,
                              obligation=name, version=contract.version))
            run_agenda(self, state, contract, {"type": "obligation_breached", "obligation": name,
                                               "party": spec.party, "id": None, "attrs": {}}, instant, out)

    def _clock_deadline(self, state: TicketState, contract: CompiledContract, clock: Clock, instant: int, kind: str,
                        ratio: float, out: list[Action]) -> None:
        if kind == "warn":
            assert clock.due is not None  # a warning is only scheduled for a clock with a due instant
            clock.warned += 1
            clock_action(out, state, contract, clock.rule, clock, instant, None, "warn",
                         f"{round(ratio * 100)}% of the {clock.name} target ({clock.duration.text}, {clock.target}) "
                         f"used; due {format_instant(clock.due)}", due=clock.due, ratio=ratio)
            schedule_clock(self._queue, state.ticket, clock, contract.warn_at)
            run_agenda(self, state, contract, {"type": "warn", "clock": clock.name, "ratio": ratio, "id": None,
                                               "attrs": {}}, instant, out)
            return
        clock.breached = True
        elapsed = clock.elapsed(instant)
        clock_action(out, state, contract, clock.rule, clock, instant, None, "breach",
                     f"{clock.name} target {clock.duration.text} ({clock.target}) on {clock.label} passed without "
                     f"its goal event: {human_seconds(elapsed)} counted"
                     + (", clock paused" if clock.status == PAUSED else ""), due=instant, totals=True)
        run_agenda(self, state, contract, {"type": "breach", "clock": clock.name, "id": None, "attrs": {}},
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
                derived = [severity_changed(prev["severity"], current["severity"], eid, attrs)]
        elif kind == "info_provided":  # docs/INTERFACE.md: attrs.info merges into the ticket's info like `updated`
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
        run_agenda(self, state, contract, fact, at, out, derived)

    def _refused(self, state: TicketState, contract: CompiledContract, fact: dict, at: int,
                 out: list[Action]) -> bool:
        """True (and one `refused` action citing its clause) when a `refusals` entry of the
        contract holds for this event; the event then changes nothing."""
        facts = Facts(fact, state, contract, at)
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
        `severity_changes` (docs/INTERFACE.md: every change yields exactly one action citing the clause that
        governs it): True when refused (the severity stays), else the change is recorded as applied."""
        old, new = state.attrs.get("severity"), attrs["severity"]
        policy = contract.severity_policy
        if policy is None:
            return False
        event = {"type": "updated", "id": eid, "attrs": attrs, "from": old, "to": new}
        facts = Facts(event, state, contract, at)
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


def _idle(state: TicketState) -> bool:
    """Nothing of the ticket is in the deadline queue that can still fire: no running clock with a
    due (its warning or breach), no timer, no obligation with a due (one owed without a due never
    fires). Stale entries may remain: they never fire."""
    if state.timers:
        return False
    if state.obligations and any(ob.due is not None for ob in state.obligations.values()):
        return False
    return not any(clock.status == RUNNING and not clock.breached and clock.due is not None
                   and clock.run_since is not None for clock in state.clocks.values())



# the names callers import from here (the runtime was one module)
_Facts = Facts

__all__ = ["DEFAULT_RETENTION", "DuplicateEvent", "Engine", "EventError", "LateEvent", "RuleLoopError", "SnapshotError",
           "TicketState"]


def _in_force_text(contract: CompiledContract) -> str:
    """`version 2026.1 from 2026-01-01 (Europe/Paris)`: a version's terms as its file writes them."""
    until = f" to {contract.effective_to}" if contract.effective_to else ""
    return f"version {contract.version} from {contract.effective_from or 'always'}{until} ({zone_of(contract)})"

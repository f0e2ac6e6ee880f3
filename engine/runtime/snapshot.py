"""The engine's whole evaluation state as JSON data and back, losslessly: a live service can stop,
keep the snapshot, and go on from it later with the same actions as if it had never stopped.

A snapshot holds every ticket (attributes, clocks with their segments, timers, obligations,
vars, escalation, flags), the pending deadline queue as the heap list it is (so entries pop in
the same order, stale ones included), the seen event ids, `now`, the generation counter,
quarantined tickets, the problems found so far and the actions owed to the caller. An engine with
a retention (eviction, engine.runtime.engine) adds it and its eviction state under "eviction": the
finished tickets in their queue order, the event ids of each ticket in memory, and the tickets
evicted to disk (each with its finish instant, ids and state, in ticket order); without one the
snapshot has no such key (and is as before).
Refraction is not in it: it lives only inside one agenda run (engine.runtime.agenda), never
between events.

Compiled contracts are not in it, only their ids and versions: `restore` takes them again and
refuses a snapshot that needs a contract it is not given, or another version of one. Calendars
are named by (calendar id, zone, holiday country) and looked up again in the contract, so a
restored clock holds the very calendar object a new clock of the same ticket would get.

Instants are epoch seconds (ints), exact. Key order is fixed (insertion order of a state built
by the same history, ids sorted), so one state always gives the same JSON text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Final, Protocol

from engine.calendars.business import BusinessCalendar
from engine.language.model import ALWAYS, CompiledContract
from engine.language.versions import loaded_key
from engine.model.actions import ACTION_FIELDS, Action
from engine.model.durations import Duration
from engine.runtime.clocks import Clock, Segment
from engine.runtime.deadlines import Deadline
from engine.runtime.errors import SnapshotError
from engine.runtime.spill import Spill
from engine.runtime.state import PendingObligation, TicketState, Timer, interned

FORMAT: Final = "obligo-engine-snapshot"
VERSION: Final = 1

CalendarRef = tuple[str, Any, Any]  # (calendar id, zone attribute value, holiday country attribute value)


class EngineState(Protocol):
    """The parts of an Engine a snapshot reads and a restore fills in."""

    contracts: dict[str, CompiledContract]
    tickets: dict[str, TicketState]
    now: int | None
    quarantined: dict[str, str]
    problems: list[str]
    _queue: list[Deadline]
    _seen_ids: set[str]
    _seq: int
    _carry: list[Action]
    retention: int | None
    _finished: dict[str, int]
    _finish_queue: deque[tuple[int, str]]
    _ids: dict[str, list[str]]
    _spill: Spill | None
    _spill_dir: str | None


# --- calendars --------------------------------------------------------------------------------
def _calendar_refs(contract: CompiledContract) -> dict[int, CalendarRef]:
    """id(BusinessCalendar) -> its reference, for every calendar the contract has built so far."""
    refs: dict[int, CalendarRef] = {}
    for cal in contract.calendars.values():
        # the per-ticket variants (zone, country) -> (calendar, label) memoised by model.Calendar.for_ticket
        for (zone, country), (built, _label) in getattr(cal, "_variants", {}).items():
            refs.setdefault(id(built), (cal.id, zone, country))
        refs.setdefault(id(cal.calendar), (cal.id, None, None))
    always = contract.calendar(ALWAYS, {})
    if always is not None:
        refs.setdefault(id(always[0]), (ALWAYS, None, None))
    return refs


def _calendar_ref(refs: dict[int, CalendarRef], calendar: BusinessCalendar, contract: str) -> list:
    ref = refs.get(id(calendar))
    if ref is None:  # a calendar the contract never built: not a state this engine can have made
        raise SnapshotError(f"a clock of contract {contract!r} uses a calendar the contract does not know",
                            "snapshot-calendar")
    return list(ref)


def _calendar(contract: CompiledContract, ref: Any) -> BusinessCalendar:
    """The contract's calendar for a reference, as `CompiledContract.calendar` gives it to a ticket."""
    name, zone, country = ref
    attrs: dict[str, Any] = {}
    cal = contract.calendars.get(name)
    if cal is not None:
        if cal.zone_attr is not None:
            attrs[cal.zone_attr] = zone
        if cal.country_attr is not None:
            attrs[cal.country_attr] = country
    found = contract.calendar(name, attrs)
    if found is None:
        raise SnapshotError(f"contract {contract.id!r} has no calendar {name!r}", "snapshot-calendar")
    return found[0]


# --- to JSON ----------------------------------------------------------------------------------
def _duration(duration: Duration) -> dict[str, Any]:
    return {"amount": duration.amount, "unit": duration.unit, "in_hours": duration.in_hours}


def _clock(clock: Clock, refs: dict[int, CalendarRef], contract: str) -> dict[str, Any]:
    return {
        "name": clock.name, "clause": clock.clause, "rule": clock.rule, "target": clock.target,
        "duration": _duration(clock.duration), "calendar": _calendar_ref(refs, clock.calendar, contract),
        "label": clock.label, "started": clock.started, "budget": clock.budget, "due": clock.due, "used": clock.used,
        "run_since": clock.run_since, "status": clock.status, "breached": clock.breached, "warned": clock.warned,
        "gen": clock.gen, "paused_total": clock.paused_total, "paused_at": clock.paused_at,
        "segments": None if clock.segments is None else [
            {"start": s.start, "end": s.end, "used": s.used, "calendar": _calendar_ref(refs, s.calendar, contract)}
            for s in clock.segments],
    }


def _ticket(state: TicketState, refs: dict[int, CalendarRef]) -> dict[str, Any]:
    return {
        "ticket": state.ticket, "contract": state.contract, "attrs": state.attrs, "opened_at": state.opened_at,
        "opened_severity": state.opened_severity,
        "clocks": {name: _clock(clock, refs, state.contract) for name, clock in state.clocks.items()},
        "timers": None if state.timers is None else {name: t._asdict() for name, t in state.timers.items()},
        "obligations": None if state.obligations is None else {
            name: o._asdict() for name, o in state.obligations.items()},
        "vars": state.vars,
        "escalation_graph": state.escalation_graph, "escalation_node": state.escalation_node,
        "escalation_level": state.escalation_level, "closed": state.closed, "excluded": state.excluded,
    }


def _action(action: Action) -> list:
    return [list(value) if name == "cause" and value is not None else value
            for name, value in zip(ACTION_FIELDS, (getattr(action, name) for name in ACTION_FIELDS), strict=True)]


def dump(engine: EngineState) -> dict[str, Any]:
    """The engine's state as JSON-ready data (plain dicts, lists, strings, numbers; nothing shared
    with the engine: `json.dumps` it, or deep-copy it, before the engine goes on)."""
    used = sorted({state.contract for state in engine.tickets.values()})
    refs = {cid: _calendar_refs(engine.contracts[cid]) for cid in used}
    data = {
        "format": FORMAT, "version": VERSION,
        "contracts": {cid: engine.contracts[cid].version for cid in used},
        "now": engine.now, "seq": engine._seq,
        "seen_ids": sorted(engine._seen_ids),
        "quarantined": dict(engine.quarantined), "problems": list(engine.problems),
        "carry": [_action(action) for action in engine._carry],
        "queue": [list(entry) for entry in engine._queue],
        "tickets": [_ticket(state, refs[state.contract]) for state in engine.tickets.values()],
    }
    if engine.retention is not None:
        data["eviction"] = {
            "retention": engine.retention, "finished": dict(engine._finished),
            "finish_queue": list(engine._finish_queue),
            "ids": {ticket: list(ids) for ticket, ids in engine._ids.items()},
            "evicted": [list(row) for row in engine._spill.items()] if engine._spill is not None else [],
        }
    return _plain(data)


def _plain(value: Any) -> Any:
    """A deep copy made of dicts, lists and scalars (tuples become lists): what JSON gives back."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- from JSON --------------------------------------------------------------------------------
def _load_clock(data: dict, contract: CompiledContract) -> Clock:
    d = data["duration"]
    return Clock(
        name=data["name"], clause=data["clause"], rule=data["rule"], target=data["target"],
        duration=Duration(d["amount"], d["unit"], in_hours=d["in_hours"]),
        calendar=_calendar(contract, data["calendar"]), label=data["label"], started=data["started"],
        budget=data["budget"], due=data["due"], used=data["used"], run_since=data["run_since"], status=data["status"],
        breached=data["breached"], warned=data["warned"], gen=data["gen"], paused_total=data["paused_total"],
        paused_at=data["paused_at"],
        segments=None if data["segments"] is None else [
            Segment(s["start"], s["end"], s["used"], _calendar(contract, s["calendar"])) for s in data["segments"]],
    )


def _load_ticket(data: dict, contracts: Mapping[str, CompiledContract], keys: Mapping[str, str]) -> TicketState:
    key = keys.get(data["contract"], data["contract"])
    contract = contracts[key]
    state = TicketState(data["ticket"], key, interned(data["attrs"]), data["opened_at"])
    state.opened_severity = data["opened_severity"]
    state.clocks = {name: _load_clock(clock, contract) for name, clock in data["clocks"].items()}
    if data["timers"] is not None:
        state.timers = {name: Timer(**timer) for name, timer in data["timers"].items()}
    if data["obligations"] is not None:
        state.obligations = {name: PendingObligation(**ob) for name, ob in data["obligations"].items()}
    state.vars = data["vars"]
    state.escalation_graph, state.escalation_node = data["escalation_graph"], data["escalation_node"]
    state.escalation_level, state.closed, state.excluded = data["escalation_level"], data["closed"], data["excluded"]
    return state


def _load_action(fields: list) -> Action:
    values = dict(zip(ACTION_FIELDS, fields, strict=True))
    if values["cause"] is not None:
        values["cause"] = tuple(values["cause"])
    return Action(**values)


def check(contracts: Mapping[str, CompiledContract], data: Any) -> dict[str, str]:
    """Raise SnapshotError unless `data` is a snapshot of this format whose contracts are all in
    `contracts` at the versions it was taken with. Returns where each is now: its key in the
    snapshot -> its key in `contracts` (they differ when versions of an id were added or removed:
    engine.language.versions.loaded_key)."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SnapshotError(f"not an engine snapshot (expected \"format\": \"{FORMAT}\")", "snapshot-format")
    if data.get("version") != VERSION:
        raise SnapshotError(f"snapshot format version {data.get('version')!r}; this engine reads version {VERSION}",
                            "snapshot-version")
    needed = data.get("contracts")
    if not isinstance(needed, Mapping):
        raise SnapshotError("the snapshot does not list its contracts", "snapshot-invalid")
    keys = {}
    for cid, version in needed.items():
        key = loaded_key(contracts, str(cid), str(version))
        if key is not None:
            keys[cid] = key
            continue
        name = str(cid).partition("@")[0]
        loaded = sorted(c.version for c in contracts.values() if c.id == name)
        if not loaded:
            raise SnapshotError(f"the snapshot needs contract {name!r} (version {version}), which is not loaded; "
                                f"loaded: {', '.join(sorted({c.id for c in contracts.values()})) or 'none'}",
                                "snapshot-contract-missing")
        raise SnapshotError(f"the snapshot was taken with contract {name!r} version {version}; "
                            f"loaded: version {', '.join(loaded)}", "snapshot-contract-version")
    return keys


def restore_into(engine: EngineState, data: Any) -> None:
    """Fill a fresh engine (no event seen) with the state of a snapshot (`dump`'s data, after any
    JSON round trip). Raises SnapshotError (with a code) for anything that is not such a snapshot."""
    keys = check(engine.contracts, data)
    try:
        undeclared = {ticket["contract"] for ticket in data["tickets"]} - set(data["contracts"])
        if undeclared:
            raise SnapshotError(f"tickets of contracts the snapshot does not list: {', '.join(sorted(undeclared))}",
                                "snapshot-invalid")
        tickets = [_load_ticket(ticket, engine.contracts, keys) for ticket in data["tickets"]]
        engine.tickets = {state.ticket: state for state in tickets}
        engine.now = data["now"]
        engine._seq = data["seq"]
        engine._seen_ids = set(data["seen_ids"])
        engine.quarantined = dict(data["quarantined"])
        engine.problems = list(data["problems"])
        engine._carry = [_load_action(fields) for fields in data["carry"]]
        engine._queue = [Deadline(*entry) for entry in data["queue"]]
        eviction = data.get("eviction")
        if eviction is not None:
            engine.retention = int(eviction["retention"])
            engine._finished = {str(t): int(f) for t, f in eviction["finished"].items()}
            engine._finish_queue = deque((int(f), str(t)) for f, t in eviction["finish_queue"])
            engine._ids = {str(t): [str(i) for i in ids] for t, ids in eviction["ids"].items()}
            evicted = [(str(t), int(f), [str(i) for i in ids], state) for t, f, ids, state in eviction["evicted"]]
            for _, _, _, state in evicted:
                state["contract"] = keys.get(state["contract"], state["contract"])  # the key it has now
                ticket_from_dict(state, engine.contracts)  # checked now: a bad one must not wait for its ticket's event
            if evicted:
                engine._spill = Spill(engine._spill_dir)
                engine._spill.put_many(evicted)
            evicted_ids = {t for t, _, _, _ in evicted}
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"malformed snapshot: {type(exc).__name__}: {exc}", "snapshot-invalid") from None
    # (an evicting engine keeps the stale entries of its evicted tickets until they pass)
    unknown = {entry.ticket for entry in engine._queue} - set(engine.tickets) - (evicted_ids if eviction else set())
    if unknown:
        raise SnapshotError(f"deadlines of tickets the snapshot does not hold: {', '.join(sorted(unknown))}",
                            "snapshot-invalid")


# --- one ticket at a time (a store keeps each ticket in its own row) ---------------------------
def calendar_refs(contract: CompiledContract) -> dict[int, CalendarRef]:
    """The references of every calendar `contract` has built so far, for `ticket_to_dict`: compute it
    after evaluating (a ticket may have made the contract build a new per-ticket calendar)."""
    return _calendar_refs(contract)


def ticket_to_dict(state: TicketState, contracts: Mapping[str, CompiledContract],
                   refs: dict[str, dict[int, CalendarRef]] | None = None) -> dict[str, Any]:
    """One ticket's state as data for `json.dumps`, as `dump` writes it inside a whole snapshot
    (clocks with their segments, timers, obligations, vars, escalation, flags). Not a copy: it
    shares the ticket's attribute and vars objects, so serialise it before the ticket changes
    (a store writes it at once; copying every ticket would cost more than the JSON). `refs` caches
    `calendar_refs` per contract id across calls (filled in here when missing)."""
    refs = {} if refs is None else refs
    cref = refs.get(state.contract)
    if cref is None:
        cref = refs[state.contract] = _calendar_refs(contracts[state.contract])
    return _ticket(state, cref)


def ticket_from_dict(data: Any, contracts: Mapping[str, CompiledContract],
                     keys: Mapping[str, str] | None = None) -> TicketState:
    """The TicketState of `ticket_to_dict`'s data (after any JSON round trip); `keys` maps the
    contract key it was saved with to the key of that version now (`check`'s answer). Raises
    SnapshotError for a contract that is not loaded or data that is not such a ticket."""
    keys = keys or {}
    try:
        cid = data["contract"]
        if keys.get(cid, cid) not in contracts:
            raise SnapshotError(f"ticket {data.get('ticket')!r} needs contract {cid!r}, which is not loaded",
                                "snapshot-contract-missing")
        return _load_ticket(data, contracts, keys)
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"malformed ticket state: {type(exc).__name__}: {exc}", "snapshot-invalid") from None


__all__ = ["FORMAT", "VERSION", "EngineState", "calendar_refs", "check", "dump", "restore_into", "ticket_from_dict",
           "ticket_to_dict"]

"""The action handlers: what each action kind of a fired rule does to the ticket's state, the
deadline queue and the output. One function per kind, all with the signature of `Handler`, found
by kind in `HANDLERS`. A handler returns True when the action ran an agenda of its own (a breach at
a reschedule), after which the enclosing agenda re-matches every rule; None otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from engine.language.escalation import EscalationGraph
from engine.language.model import CompiledContract, Rule
from engine.model.actions import Action
from engine.model.events import EventError, format_instant, parse_instant
from engine.runtime.clocks import PAUSED, RUNNING, STOPPED, Clock, human_seconds
from engine.runtime.deadlines import Deadline, schedule_clock, schedule_obligation, schedule_timer
from engine.runtime.emit import clock_action, emit, plan_and_severity, severity_changed
from engine.runtime.state import Facts, PendingObligation, TicketState, Timer


class Runtime(Protocol):
    """What handlers use of the engine: its deadline queue, its generation counter, and the firing
    of a clock deadline (a reschedule past the new target breaches at once)."""

    _queue: list[Deadline]
    _seq: int

    def _clock_deadline(self, state: TicketState, contract: CompiledContract, clock: Clock, instant: int, kind: str,
                        ratio: float, out: list[Action]) -> None: ...


def _clocks(state: TicketState, name: str | list[str]) -> list[Clock]:
    """The ticket's clocks an action names: one, a list of names, or `all` (in name order)."""
    if name == "all":
        return [state.clocks[k] for k in sorted(state.clocks)]
    if isinstance(name, list):
        return [state.clocks[k] for k in sorted(set(name)) if k in state.clocks]
    clock = state.clocks.get(name)
    return [clock] if clock is not None else []


def act_stop_clock(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                   facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    for clock in _clocks(state, args["clock"]):
        if clock.status == STOPPED:
            continue
        met = clock.stop(now)
        elapsed = clock.used  # stopping counted it: no second calendar walk
        if state.excluded:  # out of scope: neither met nor breached (docs/INTERFACE.md)
            reason = (f"{clock.name} ends: the request is excluded; {human_seconds(elapsed)} of {clock.duration.text} "
                      f"had been used ({clock.target})")
            clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "stop_clock",
                         custom or reason, totals=True, excluded=True)
            continue
        verdict = "met" if met else "missed"
        clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "stop_clock",
                     custom or f"{clock.name} {verdict} on {facts.event['type']}: {human_seconds(elapsed)} of "
                     f"{clock.duration.text} used ({clock.target})", met=met, totals=True)


def act_pause_clock(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                    facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    for clock in _clocks(state, args["clock"]):
        if clock.status != RUNNING:
            continue
        clock.pause(now)
        clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "pause_clock",
                     custom or f"{clock.name} paused on {facts.event['type']}: {human_seconds(clock.used)} of "
                     f"{clock.duration.text} used")


def act_resume_clock(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                     facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    for clock in _clocks(state, args["clock"]):
        if clock.status != PAUSED:
            continue
        credited = clock.resume(now)
        clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "resume_clock",
                     custom or f"{clock.name} resumed on {facts.event['type']}: {human_seconds(credited)} of "
                     f"business time paused, total paused {human_seconds(clock.paused_total)}", due=clock.due)
        schedule_clock(rt._queue, state.ticket, clock, contract.warn_at)


def act_reschedule_clock(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                         facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> bool:
    nested = False
    for clock in _clocks(state, args["clock"]):
        if clock.status != STOPPED and _reschedule(rt, clock, rule, state, contract, facts, now, out, custom):
            nested = True
    return nested


def act_notify(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
               facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    to = args["to"].get(facts)
    emit(out, state, contract, rule, now, facts, "notify", custom or f"notify {to}", to=str(to))


def act_exclude(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    value = args.get("exclusion")
    category = value.get(facts) if value is not None else state.attrs.get("category")
    clause = contract.exclusions.get(category, rule.clause) if isinstance(category, str) else rule.clause
    state.excluded = True
    emit(out, state, contract, rule, now, facts, "exclude",
         custom or f"category '{category}' is excluded from the contract ({clause})", clause=clause,
         exclusion=str(category))


def act_fulfil(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
               facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    if state.obligations:
        state.obligations.pop(args["name"], None)


def act_start_timer(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                    facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    found = contract.calendar(args.get("calendar", "region"), state.attrs)
    if found is None:
        return
    due = max(now, found[0].due(_counted_from(args, facts, now), args["after"]))
    if state.timers is None:
        state.timers = {}
    rt._seq += 1
    state.timers[args["timer"]] = Timer(due, rt._seq, rule.id, rule.clause)
    schedule_timer(rt._queue, state.ticket, args["timer"], due, rt._seq)


def act_cancel_timer(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                     facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    if state.timers:
        state.timers.pop(args["name"], None)


def act_set(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
            facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    if state.vars is None:
        state.vars = {}
    state.vars.update(args)


def act_start_clock(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                    facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
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
    clock = Clock.start(name=name, clause=clause, rule=rule.id, target=target_id, duration=duration, calendar=calendar,
                        label=label, at=now)
    old = state.clocks.get(name)
    if old is not None:
        clock.gen = old.gen + 1
    state.clocks[name] = clock
    who = plan_and_severity(state.attrs)
    clock_action(out, state, contract, rule.id, clock, now, facts.event.get("id"), "start_clock",
                 custom or f"{who}: {name} within {duration.text} on {label} ({target_id}), paused 0 min", due=clock.due)
    schedule_clock(rt._queue, state.ticket, clock, contract.warn_at)


def _reschedule(rt: Runtime, clock: Clock, rule: Rule, state: TicketState, contract: CompiledContract, facts: Facts,
                now: int, out: list[Action], custom: str | None) -> bool:
    """Retarget `clock` after a severity change, running or paused; True when that ran the breach
    agenda (the new target is already used up: breach at the change, docs/INTERFACE.md "Time")."""
    eid = facts.event.get("id")
    found = contract.target(clock.name, state.attrs.get("severity"), facts)
    if found is None or found[1].duration is None:
        met = clock.stop(now)
        elapsed = clock.used
        clock_action(out, state, contract, rule.id, clock, now, eid, "stop_clock",
                     custom or f"{clock.name}: no target for severity {state.attrs.get('severity')} any more; "
                     f"{human_seconds(elapsed)} had elapsed", met=met, totals=True)
        return False
    target, row = found
    duration = row.duration
    assert duration is not None  # a row without a duration stopped the clock above
    cal = contract.calendar(row.calendar, state.attrs)
    if cal is None:
        return False
    if target.id == clock.target and row.duration == clock.duration and cal[0] is clock.calendar:
        return False  # same target as before (e.g. reclassified before the clock started): nothing changes
    exceeded = clock.retarget(now, duration, cal[0], cal[1], target.clause, target.id)
    who = f"severity {facts.event.get('from', '?')} -> {state.attrs.get('severity')}"
    paused = ", paused" if clock.status == PAUSED else ""
    if exceeded:
        ran_out = clock.ran_out_at(clock.budget)
        state_text = "already used up" + (f" (it ran out at {format_instant(ran_out)})"
                                          if ran_out is not None and ran_out < now else "")
    else:
        state_text = "due if it runs again from now" if clock.status == PAUSED else ""
    clock_action(out, state, contract, rule.id, clock, now, eid, "reschedule_clock",
                 custom or f"{who}: {clock.name} target now {duration.text} on {cal[1]} ({target.id}), "
                 f"{human_seconds(clock.used)} already elapsed{paused}"
                 + (f"; {state_text}" if state_text else ""), due=clock.due)
    if exceeded and not clock.breached:
        rt._clock_deadline(state, contract, clock, now, "breach", 1.0, out)
        return True
    schedule_clock(rt._queue, state.ticket, clock, contract.warn_at)
    return False


def act_escalate(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                 facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    graph = _escalation_graph(state, contract, args, facts)
    if graph is None:
        return
    if state.escalation_graph is None:
        state.escalation_graph, state.escalation_node = graph.id, graph.entry
    node = state.escalation_node or graph.entry
    nxt = graph.step(node, args["trigger"], facts)
    if nxt is None:
        role = graph.nodes.get(node, {}).get("role", node)
        emit(out, state, contract, rule, now, facts, "notify",
             custom or f"escalation chain '{graph.id}' exhausted: already at {role} ({node}), level "
             f"{state.escalation_level}", clause=graph.clause, to=node)
        return
    state.escalation_node = nxt
    state.escalation_level += 1
    role = graph.nodes.get(nxt, {}).get("role", nxt)
    contact = graph.nodes.get(nxt, {}).get("contact")
    emit(out, state, contract, rule, now, facts, "escalate",
         custom or f"{args['trigger'].replace('_', ' ')}: {node} -> {role}"
         + (f" ({contact})" if contact else "") + f", level {state.escalation_level}",
         clause=graph.clause, level=state.escalation_level, to=nxt)


def _escalation_graph(state: TicketState, contract: CompiledContract, args: dict,
                      facts: Facts) -> EscalationGraph | None:
    """The ticket's chain once it has one; else the one the rule names, or the first that applies."""
    wanted = state.escalation_graph or args.get("graph")
    if wanted:
        return next((graph for graph in contract.graphs if graph.id == wanted), None)
    return next((graph for graph in contract.graphs if graph.applies is None or graph.applies(facts)), None)


def act_severity(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                 facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    current = state.attrs.get("severity")
    to = args["to"].get(facts)
    if to == "next":
        to = contract.next_severity(current)
    if to is None or to == current or to not in contract.severities:
        return
    if current is None:  # a first assignment is not a change: no `from`, `initial: true`
        emit(out, state, contract, rule, now, facts, "reclassify", custom or f"severity set to {to}", to=to)
        out[-1].initial = True
    elif kind == "downgrade":
        mode = args["mode"]
        emit(out, state, contract, rule, now, facts, "downgrade",
             custom or f"severity {current} -> {to} ({mode})", from_=str(current), to=to, mode=mode)
        if mode != "automatic":
            return
    else:
        emit(out, state, contract, rule, now, facts, "reclassify",
             custom or f"severity {current} -> {to}", from_=str(current), to=to)
    state.attrs["severity"] = to
    pending.append(severity_changed(current, to, facts.event.get("id"), facts.event.get("attrs", {})))


def _counted_from(args: dict, facts: Facts, now: int) -> int:
    """The instant a delay counts from: `from` (an instant read from the facts) if valid, else now."""
    source = args.get("from")
    if source is None:
        return now
    value = source.get(facts)
    try:
        return parse_instant(value) if value is not None else now
    except EventError:
        return now


def act_obligation(rt: Runtime, kind: str, args: dict, rule: Rule, state: TicketState, contract: CompiledContract,
                   facts: Facts, now: int, out: list[Action], pending: list, custom: str | None) -> None:
    spec = contract.obligations[args["id"]]
    duration = args.get("due", spec.due)
    due = None
    if duration is not None:
        cal = contract.calendar(args.get("calendar", spec.calendar), state.attrs)
        if cal is None:
            return
        due = cal[0].due(_counted_from(args, facts, now), duration)
    if state.obligations is None:
        state.obligations = {}
    rt._seq += 1
    gen = rt._seq
    state.obligations[spec.id] = PendingObligation(due, gen, spec.party, rule.id, spec.clause)
    when = f" within {duration.text}" if duration is not None else ""
    emit(out, state, contract, rule, now, facts, "obligation",
         custom or f"{spec.party} must {spec.what}{when}", clause=spec.clause, party=spec.party, due=due,
         obligation=spec.id)
    if due is not None:
        # counted from an earlier instant (`from`), the due may already be past: it fires now
        schedule_obligation(rt._queue, state.ticket, spec.id, max(due, now), gen)


Handler = Callable[[Runtime, str, dict, Rule, TicketState, CompiledContract, Facts, int, list[Action], list, str | None],
                   Any]

HANDLERS: Final[dict[str, Handler]] = {
    "start_clock": act_start_clock, "stop_clock": act_stop_clock,
    "pause_clock": act_pause_clock, "resume_clock": act_resume_clock,
    "reschedule_clock": act_reschedule_clock, "notify": act_notify,
    "escalate": act_escalate, "downgrade": act_severity, "reclassify": act_severity,
    "exclude": act_exclude, "obligation": act_obligation, "fulfil": act_fulfil,
    "start_timer": act_start_timer, "cancel_timer": act_cancel_timer, "set": act_set,
}

__all__ = ["HANDLERS", "Handler", "Runtime"]

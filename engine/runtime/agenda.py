"""The agenda: for one fact (an event, a deadline) of one ticket, match the rules of its type,
fire the best activation, re-match what the firing may have changed, until quiet; then the same
for each internal event (`severity_changed`) the firings raised.

Refraction lives only inside one agenda: nothing of it is kept between events, so an engine
snapshot has no refraction memory to carry."""

from __future__ import annotations

from collections import Counter
from typing import Final, Protocol

from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.runtime.errors import RuleLoopError
from engine.runtime.handlers import HANDLERS, Runtime
from engine.runtime.state import Facts, TicketState
from engine.runtime.trace import Tracer

MAX_FIRINGS: Final = 256  # per event cycle; a rule set that keeps re-activating stops here with an error
_UNKNOWN: Final = object()  # this rule's match must be (re)computed


class Agent(Runtime, Protocol):
    """What the agenda uses of the engine: what handlers use, and the opt-in tracer."""

    tracer: Tracer | None


def _loop_names(firings: list[str]) -> str:
    """The rules of a loop: those that fired most, with their counts."""
    return ", ".join(f"{rule} ({count}x)" for rule, count in Counter(firings).most_common(4))


def run_agenda(rt: Agent, state: TicketState, contract: CompiledContract, fact: dict, now: int, out: list[Action],
               derived: list[dict] | None = None) -> None:
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
    tracer = rt.tracer
    facts: Facts | None = None  # one per agenda, its event moving along `pending`; none if no rules
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
            facts = Facts(current, state, contract, now)
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
                if HANDLERS[kind](rt, kind, spec.args, rule, state, contract, facts, now, out, pending, custom):
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


__all__ = ["MAX_FIRINGS", "Agent", "run_agenda"]

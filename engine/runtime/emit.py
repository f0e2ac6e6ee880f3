"""Building the `Action` records a firing appends to the output, and numbering them by cause.
Functions, not methods: they need no engine."""

from __future__ import annotations

from typing import Any

from engine.language.model import CompiledContract, Rule
from engine.model.actions import Action
from engine.runtime.clocks import Clock
from engine.runtime.state import Facts, TicketState


def severity_changed(old: Any, new: Any, event_id: str | None, attrs: dict) -> dict:
    """The internal event rules see when a ticket's severity changed (by `updated` or an action)."""
    return {"type": "severity_changed", "from": old, "to": new, "id": event_id, "attrs": attrs}


def plan_and_severity(attrs: dict) -> str:
    """'ultimate P2' (or whichever of the two the ticket has) for clock reasons."""
    plan, severity = attrs.get("plan"), attrs.get("severity")
    if plan is None:
        return "" if severity is None else str(severity)
    return str(plan) if severity is None else f"{plan} {severity}"


def emit(out: list[Action], state: TicketState, contract: CompiledContract, rule: Rule, now: int, facts: Facts,
         action: str, reason: str, clause: str | None = None, *, clock: str | None = None, due: int | None = None,
         met: bool | None = None, level: int | None = None, from_: str | None = None, to: str | None = None,
         mode: str | None = None, exclusion: str | None = None, party: str | None = None,
         obligation: str | None = None) -> None:
    """Append the Action of a rule's action."""
    # every field positional (no **kwargs dict to build and unpack): one action per firing, the hot path
    out.append(Action(state.ticket, now, action, contract.id, rule.id, clause or rule.clause, reason, clock, due,
                      met, None, level, from_, to, mode, exclusion, party, obligation, facts.event.get("id"), None,
                      contract.version))


def clock_action(out: list[Action], state: TicketState, contract: CompiledContract, rule: str, clock: Clock,
                 now: int, event: str | None, action: str, reason: str, due: int | None = None,
                 met: bool | None = None, ratio: float | None = None, totals: bool = False,
                 excluded: bool | None = None) -> None:
    """Append a clock action with the fields every clock action carries (docs/INTERFACE.md): the ticket's
    severity now, the target as written and the calendar; with `totals` (breach, stop_clock) the
    business seconds counted and paused."""
    severity = state.attrs.get("severity")
    out.append(Action(state.ticket, now, action, contract.id, rule, clock.clause, reason, clock.name, due, met, ratio,
                      None, None, None, None, None, None, None, event, None, contract.version,
                      None if severity is None else str(severity), clock.duration.text, clock.calendar_id,
                      clock.elapsed(now) if totals else None, clock.paused_seconds(now) if totals else None,
                      excluded))


def number(out: list[Action], mark: int, cause: tuple[str, ...], first: int = 0) -> None:
    """Give the actions `out[mark:]`, all of one cause, their deterministic ids (actions.action_id)."""
    for n in range(mark, len(out)):
        action = out[n]
        action.cause = cause
        action.rank = first + n - mark


__all__ = ["clock_action", "emit", "number", "plan_and_severity", "severity_changed"]

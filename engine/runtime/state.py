"""Per-ticket state: what the engine keeps about one ticket, with named parts, and the facts a
rule's condition reads from it. Plain data: no engine, no deadline queue."""

from __future__ import annotations

from sys import intern
from typing import Any, NamedTuple

from engine.language.model import CompiledContract
from engine.model.events import format_instant
from engine.runtime.clocks import Clock


class Timer(NamedTuple):
    """A started timer: when it fires, its generation (a restarted timer's old queue entry is stale)
    and the rule (with its clause) that started it."""

    due: int
    gen: int
    rule: str
    clause: str


class PendingObligation(NamedTuple):
    """An obligation owed and not yet fulfilled: its due (None: owed with no deadline), generation,
    the party that owes it and the rule (with the obligation's clause) that raised it."""

    due: int | None
    gen: int
    party: str
    rule: str
    clause: str


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
        self.timers: dict[str, Timer] | None = None  # timer name -> Timer
        self.obligations: dict[str, PendingObligation] | None = None  # obligation id -> PendingObligation
        self.vars: dict[str, Any] | None = None
        self.opened_at = at
        self.opened_severity = attrs.get("severity")
        self.escalation_graph: str | None = None
        self.escalation_node: str | None = None
        self.escalation_level = 0
        self.closed = False
        self.excluded = False  # an `exclude` action fired: clocks stopped from now on end neither met nor breached

    def to_dict(self) -> dict[str, Any]:
        """The readable view (`Engine.state`, `obligo test` expectations); the lossless form is
        `engine.runtime.snapshot`."""
        return {
            "ticket": self.ticket, "contract": self.contract, "attrs": dict(self.attrs),
            "opened_at": format_instant(self.opened_at), "opened_severity": self.opened_severity,
            "clocks": {name: clock.to_dict() for name, clock in sorted(self.clocks.items())},
            "timers": {name: format_instant(t.due) for name, t in sorted((self.timers or {}).items())},
            "obligations": {k: (format_instant(v.due) if v.due is not None else None)
                            for k, v in sorted((self.obligations or {}).items())},
            "vars": dict(self.vars or {}),
            "escalation": {"graph": self.escalation_graph, "node": self.escalation_node, "level": self.escalation_level},
            "closed": self.closed, "excluded": self.excluded,
        }


class Facts:
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


def interned(attrs: dict) -> dict:
    """A copy whose short string keys and values are interned: thousands of open tickets share
    'plan', 'ultimate', 'emea'... instead of each holding its own copies from the JSON parser."""
    return {intern(k): (intern(v) if type(v) is str and len(v) <= 64 else v) for k, v in attrs.items()}


__all__ = ["Facts", "PendingObligation", "TicketState", "Timer", "interned"]

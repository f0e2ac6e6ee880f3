"""Actions out (docs/INTERFACE.md): one immutable record per emitted action, serialised in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from engine.model.events import format_instant
from engine.model.jsonio import dumps

# Output key order: identity, what, its extra fields, provenance. Fixed so output is byte-stable.
_EXTRA = ("clock", "severity", "target", "calendar", "due", "met", "excluded", "elapsed", "paused", "elapsed_ratio",
          "level", "from_", "to", "initial", "mode", "exclusion", "party", "obligation", "event_type")
# Actions whose `due` is written even when None (a standing obligation: owed with no deadline).
_DUE_ALWAYS = frozenset({"obligation"})
# stop_clock of an excluded request: `met` is written as null (neither met nor breached).
_MET_NULL = frozenset({"stop_clock"})


@dataclass(slots=True)
class Action:
    """One emitted action. Treated as immutable; not frozen because frozen init is slow on the hot path.

    The engine sets `cause` and `rank` once the action's cause is known; `id` is derived from them
    when asked for (`action_id`: hashing is left to the output, off the evaluation path). The clock
    fields (`severity`, `target`, `calendar`, `elapsed`, `paused`) only on clock actions.
    """

    ticket: str
    at: int
    action: str
    contract: str
    rule: str
    clause: str
    reason: str
    clock: str | None = None
    due: int | None = None
    met: bool | None = None
    elapsed_ratio: float | None = None
    level: int | None = None
    from_: str | None = None
    to: str | None = None
    mode: str | None = None
    exclusion: str | None = None
    party: str | None = None
    obligation: str | None = None
    event: str | None = None  # id of the event that caused it (absent for deadline firings)
    cause: tuple[str, ...] | None = None  # the event id, or the deadline (ticket, kind, name, instant, ratio)
    version: str | None = None
    severity: str | None = None
    target: str | None = None
    calendar: str | None = None
    elapsed: int | None = None
    paused: int | None = None
    excluded: bool | None = None
    initial: bool | None = None
    event_type: str | None = None  # `refused`: the type of the event the contract did not accept
    rank: int = 0  # its place among the actions of its cause

    @property
    def id(self) -> str | None:
        """Unique within a stream and deterministic (docs/INTERFACE.md); None before the engine numbered it."""
        return action_id(self.cause, self.rank) if self.cause is not None else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cause is not None:
            out["id"] = action_id(self.cause, self.rank)
        out["ticket"] = self.ticket
        out["at"] = format_instant(self.at)
        out["action"] = self.action
        for name in _EXTRA:
            value = getattr(self, name)
            if value is None:
                if name == "due" and self.action in _DUE_ALWAYS:
                    out["due"] = None
                elif name == "met" and self.excluded and self.action in _MET_NULL:
                    out["met"] = None
                continue
            key = "from" if name == "from_" else name
            out[key] = format_instant(value) if name == "due" else value
        out["contract"] = self.contract
        if self.version is not None:
            out["version"] = self.version
        out["rule"] = self.rule
        out["clause"] = self.clause
        out["reason"] = self.reason
        if self.event is not None:
            out["event"] = self.event
        return out

    def to_json(self) -> str:
        return dumps(self.to_dict())


def action_id(cause: tuple[str, ...], n: int) -> str:
    """The deterministic id of the n-th action of one cause: an event (its id) or a deadline (ticket,
    kind, name, instant). It depends on nothing but the stream's content, so one engine, partitions
    and any live batching give the same ids. Length-prefixed parts, then hashed: no id text can be
    crafted to collide with another cause's (80 bits)."""
    if len(cause) == 1:  # an event's id: most actions (the same text as the join below, 0.3 us sooner)
        key = f"{len(cause[0])}:{cause[0]}#{n}"
    else:
        key = "".join([f"{len(part)}:{part}" for part in cause]) + f"#{n}"
    return blake2b(key.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


ACTION_FIELDS = tuple(Action.__dataclass_fields__)  # in positional order

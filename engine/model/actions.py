"""Actions out (docs/INTERFACE.md): one immutable record per emitted action, serialised in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from typing import Any, Final

from engine.model.events import format_instant
from engine.model.jsonio import dumps

# Output key order: identity, what, its extra fields, provenance. Fixed so output is byte-stable.
_EXTRA: Final = ("clock", "severity", "target", "calendar", "due", "met", "excluded", "elapsed", "paused", "elapsed_ratio",
          "level", "from_", "to", "initial", "mode", "exclusion", "party", "obligation", "event_type")
# Actions whose `due` is written even when None (a standing obligation: owed with no deadline).
_DUE_ALWAYS: Final = frozenset({"obligation"})
# stop_clock of an excluded request: `met` is written as null (neither met nor breached).
_MET_NULL: Final = frozenset({"stop_clock"})


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

    # Written out, not left to @dataclass: the compiled build (setup.py) runs this one as C, while
    # the generated one stays interpreted and sets each slot through a descriptor (143k Action()
    # took 0.21 s compiled against 0.15 s pure). tests/model/test_actions.py holds it to the fields.
    def __init__(self, ticket: str, at: int, action: str, contract: str, rule: str, clause: str, reason: str,
                 clock: str | None = None, due: int | None = None, met: bool | None = None,
                 elapsed_ratio: float | None = None, level: int | None = None, from_: str | None = None,
                 to: str | None = None, mode: str | None = None, exclusion: str | None = None, party: str | None = None,
                 obligation: str | None = None, event: str | None = None, cause: tuple[str, ...] | None = None,
                 version: str | None = None, severity: str | None = None, target: str | None = None,
                 calendar: str | None = None, elapsed: int | None = None, paused: int | None = None,
                 excluded: bool | None = None, initial: bool | None = None, event_type: str | None = None,
                 rank: int = 0) -> None:
        self.ticket = ticket
        self.at = at
        self.action = action
        self.contract = contract
        self.rule = rule
        self.clause = clause
        self.reason = reason
        self.clock = clock
        self.due = due
        self.met = met
        self.elapsed_ratio = elapsed_ratio
        self.level = level
        self.from_ = from_
        self.to = to
        self.mode = mode
        self.exclusion = exclusion
        self.party = party
        self.obligation = obligation
        self.event = event
        self.cause = cause
        self.version = version
        self.severity = severity
        self.target = target
        self.calendar = calendar
        self.elapsed = elapsed
        self.paused = paused
        self.excluded = excluded
        self.initial = initial
        self.event_type = event_type
        self.rank = rank

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
        # the _EXTRA fields in its order, one read each rather than a getattr loop;
        # tests/model/test_actions.py holds this order to _EXTRA's
        if self.clock is not None:
            out["clock"] = self.clock
        if self.severity is not None:
            out["severity"] = self.severity
        if self.target is not None:
            out["target"] = self.target
        if self.calendar is not None:
            out["calendar"] = self.calendar
        if self.due is not None:
            out["due"] = format_instant(self.due)
        elif self.action in _DUE_ALWAYS:
            out["due"] = None
        if self.met is not None:
            out["met"] = self.met
        elif self.excluded and self.action in _MET_NULL:
            out["met"] = None
        if self.excluded is not None:
            out["excluded"] = self.excluded
        if self.elapsed is not None:
            out["elapsed"] = self.elapsed
        if self.paused is not None:
            out["paused"] = self.paused
        if self.elapsed_ratio is not None:
            out["elapsed_ratio"] = self.elapsed_ratio
        if self.level is not None:
            out["level"] = self.level
        if self.from_ is not None:
            out["from"] = self.from_
        if self.to is not None:
            out["to"] = self.to
        if self.initial is not None:
            out["initial"] = self.initial
        if self.mode is not None:
            out["mode"] = self.mode
        if self.exclusion is not None:
            out["exclusion"] = self.exclusion
        if self.party is not None:
            out["party"] = self.party
        if self.obligation is not None:
            out["obligation"] = self.obligation
        if self.event_type is not None:
            out["event_type"] = self.event_type
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


ACTION_FIELDS: Final = tuple(Action.__dataclass_fields__)  # in positional order

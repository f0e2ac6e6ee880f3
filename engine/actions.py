"""Actions out (INTERFACE.md): one immutable record per emitted action, serialised in a fixed order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .events import format_instant

# Output key order: identity, what, its extra fields, provenance. Fixed so output is byte-stable.
_EXTRA = ("clock", "due", "met", "elapsed_ratio", "level", "from_", "to", "mode", "exclusion", "party", "obligation")


@dataclass(slots=True)
class Action:
    """One emitted action. Treated as immutable; not frozen because frozen init is slow on the hot path."""

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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ticket": self.ticket, "at": format_instant(self.at), "action": self.action}
        for name in _EXTRA:
            value = getattr(self, name)
            if value is None:
                if name == "due" and self.action == "obligation":
                    out["due"] = None  # a standing obligation: owed with no deadline
                continue
            key = "from" if name == "from_" else name
            out[key] = format_instant(value) if name == "due" else value
        out["contract"] = self.contract
        out["rule"] = self.rule
        out["clause"] = self.clause
        out["reason"] = self.reason
        if self.event is not None:
            out["event"] = self.event
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


ACTION_FIELDS = tuple(Action.__dataclass_fields__)  # in positional order

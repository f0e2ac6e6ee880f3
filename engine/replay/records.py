"""What a replay reports besides actions: its counts (`ReplayStats`), each line it could not
evaluate (`Reject`), `OutOfOrder`, and the `Segment` a pass of `--jobs` returns. Plain Python in either build: the compiled one
(buildtools/compiled.txt) keeps records that are pickled and exception classes out of mypyc."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class ReplayStats:
    lines: int = 0
    events: int = 0
    actions: int = 0
    rejects: int = 0
    duplicates: int = 0
    after_until: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    by_contract: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, contract) -> actions
    breaches: dict[tuple[str, str], int] = field(default_factory=dict)  # (contract, clock) -> breach actions
    by_reject: dict[str, int] = field(default_factory=dict)  # reject code -> lines

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.by_action.items()))
        later = f", after --until {self.after_until}" if self.after_until else ""
        return (f"events {self.events}, actions {self.actions}, rejects {self.rejects}, duplicates {self.duplicates}"
                + later + (f" ({kinds})" if kinds else ""))


@dataclass(frozen=True)
class Reject:
    """One input line that was not evaluated: where, a stable code (events.REJECT_CODES) and why."""

    line: int
    code: str
    reason: str
    text: str

    def to_json(self) -> str:
        return json.dumps({"line": self.line, "code": self.code, "reason": self.reason, "input": self.text},
                          ensure_ascii=False)


@dataclass
class Segment:
    """One pass over consecutive lines of a log for `--jobs` (engine.replay.spooled.spool_segment),
    returned by a Dask task: its counts, in its own numbering (ordinals and line numbers from its
    first line); its instants and moves are files in the spool directory."""

    events: int = 0
    lines: int = 0  # not blank
    numbered: int = 0  # every line, blank ones too: the line numbers it used
    ordered: bool = True
    high: int = -(2**63)  # its greatest instant (engine.replay.partition.NOT_YET: none)
    first: int = -(2**63)  # its first event's instant
    text: bool = False
    rejects: list[Reject] = field(default_factory=list)


class OutOfOrder(ValueError):
    """`replay(..., ordered=True)` met an event earlier than the one before it."""


__all__ = ["OutOfOrder", "Reject", "ReplayStats", "Segment"]

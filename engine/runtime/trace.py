"""Opt-in decision log. The runtime checks `tracer is not None` once per firing: off costs nothing."""

from __future__ import annotations

import json
from typing import IO, Any, Protocol

from engine.model.events import format_instant


class Tracer(Protocol):
    def fired(self, *, at: int, ticket: str, event: str | None, trigger: str, rule: str, clause: str,
              contract: str, version: str, facts: dict[str, Any]) -> None: ...


class JsonlTracer:
    """Writes one JSON line per fired rule: when, which event, which rule and clause, what it saw."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def fired(self, *, at: int, ticket: str, event: str | None, trigger: str, rule: str, clause: str,
              contract: str, version: str, facts: dict[str, Any]) -> None:
        record = {"at": format_instant(at), "ticket": ticket, "event": event, "trigger": trigger, "rule": rule,
                  "clause": clause, "contract": contract, "version": version, "facts": facts}
        self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


class ListTracer:
    """Keeps fired-rule records in memory (scenario coverage, tests)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def fired(self, **record: Any) -> None:
        self.records.append(record)

"""Replay a JSONL event log: order by time (stable), evaluate, write actions, count and keep rejects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from engine.model.actions import Action
from engine.model.events import EventError, parse_event, parse_json
from engine.replay.partition import evaluate
from engine.runtime.engine import DuplicateEvent, Engine


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


def read_log(lines: Iterable[str | bytes]) -> tuple[list[tuple[int, int, Any, str]], list[Reject]]:
    """Parse every line (text, or bytes decoded here line by line, so that one bad byte costs only its
    own line); returns ((at, line number, event, text), ...) sorted stably by time, and the rejects."""
    good: list[tuple[int, int, Any, str]] = []
    rejects: list[Reject] = []
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, str):
            text = raw.rstrip("\r\n")
        else:
            raw = bytes(raw).rstrip(b"\r\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                rejects.append(Reject(number, "invalid-encoding", encoding_reason(raw, exc), shown(raw)))
                continue
        if not text.strip(" \t\r\n"):  # blank: JSON's whitespace only (a line of U+00A0 is a reject)
            continue
        try:
            event = parse_event(parse_json(text))
        except EventError as exc:
            rejects.append(Reject(number, exc.code, str(exc), text if exc.code != "invalid-encoding" else shown(text)))
            continue
        good.append((event.at, number, event, text))
    good.sort(key=lambda item: (item[0], item[1]))
    return good, rejects


def read_events(events: Iterable[dict[str, Any]]) -> tuple[list[tuple[int, int, Any, str]], list[Reject]]:
    """`read_log` for events already decoded (an importer's dicts, in the order it would write them):
    the same checks and the same result, without printing each event as JSON and parsing it back
    (the text kept for a reject is the JSON line `obligo import` would write)."""
    good: list[tuple[int, int, Any, str]] = []
    rejects: list[Reject] = []
    for number, raw in enumerate(events, start=1):
        text = json.dumps(raw, ensure_ascii=False)
        try:
            event = parse_event(raw)
        except EventError as exc:
            rejects.append(Reject(number, exc.code, str(exc), text))
            continue
        good.append((event.at, number, event, text))
    good.sort(key=lambda item: (item[0], item[1]))
    return good, rejects


def encoding_reason(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Which bytes of a line are not UTF-8 and where (offset from 0 in the line's bytes)."""
    return f"not UTF-8: byte(s) {raw[exc.start:exc.end].hex(' ')} at offset {exc.start} ({exc.reason})"


def shown(raw: bytes | str) -> str:
    """A line that is not Unicode text as text the rejects file can hold: each bad byte (or lone
    surrogate) as a backslash escape, the rest as it was."""
    if isinstance(raw, str):
        return raw.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def replay(engine: Engine, lines: Iterable[str | bytes], out: IO[str], rejects_out: IO[str] | None = None,
           until: int | None = None, jobs: int = 1) -> ReplayStats:
    """Evaluate a whole log (lines of text or of bytes); rejects never stop the stream. Output is
    byte-identical across runs, and across `jobs` (processes, the stream partitioned by ticket:
    engine.partition)."""
    stats = ReplayStats()
    events, rejects = read_log(lines)
    stats.lines = len(events) + len(rejects)
    pending_rejects = sorted(rejects, key=lambda r: r.line)

    def write(actions: list[Action]) -> None:
        for action in actions:
            out.write(action.to_json() + "\n")
            stats.actions += 1
            stats.by_action[action.action] = stats.by_action.get(action.action, 0) + 1
            key = (action.action, action.contract)
            stats.by_contract[key] = stats.by_contract.get(key, 0) + 1
            if action.action == "breach":
                clock = (action.contract, action.clock or "")
                stats.breaches[clock] = stats.breaches.get(clock, 0) + 1

    if until is not None:
        stats.after_until = sum(1 for at, *_ in events if at > until)
        events = [item for item in events if item[0] <= until]
    if jobs > 1:
        result = evaluate(engine.contracts, [event for _, _, event, _ in events], jobs=jobs, end=until,
                          trace=engine.tracer is not None)
        write(result.actions)
        if engine.tracer is not None:
            for record in result.traces:
                engine.tracer.fired(**record)
        engine.problems.extend(result.problems)
        stats.duplicates = len(result.duplicates)
        stats.events = len(events) - len(result.duplicates) - len(result.rejected)
        pending_rejects.extend(Reject(events[i][1], code, reason, events[i][3])
                               for i, (code, reason) in result.rejected.items())
    else:
        last = None
        for at, number, event, text in events:
            try:
                write(engine.process(event))
                stats.events += 1
                last = at
            except DuplicateEvent:
                stats.duplicates += 1
            except EventError as exc:
                pending_rejects.append(Reject(number, exc.code, str(exc), text))
        end = until if until is not None else last
        if end is not None:
            write(engine.advance(end))
    stats.rejects = len(pending_rejects)
    for reject in pending_rejects:
        stats.by_reject[reject.code] = stats.by_reject.get(reject.code, 0) + 1
    if rejects_out is not None:
        for reject in sorted(pending_rejects, key=lambda r: r.line):
            rejects_out.write(reject.to_json() + "\n")
    return stats

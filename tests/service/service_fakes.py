"""An in-memory stand-in for engine.store.Store with the same interface (tests/service only):
the real Engine behind it, an outbox list, and switches to make it fail like a store can."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from engine.model.errors import ObligoError
from engine.model.events import EventError, parse_event, parse_json
from engine.runtime.engine import DuplicateEvent, Engine


class FakeStoreError(ObligoError):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class LineReject:
    line: int
    code: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    duplicates: int
    rejected: list[LineReject]
    head: int


class FakeStore:
    def __init__(self, contracts):
        self.engine = Engine(contracts)
        self.outbox: list[tuple[int, str]] = []
        self.counts = {"accepted": 0, "duplicates": 0, "rejected": 0}
        self.fail: str | None = None  # a StoreError code every write raises
        self.thread: threading.Thread | None = None  # the one thread that may use it
        self.closed = False

    def _check_thread(self) -> None:
        current = threading.current_thread()
        if self.thread is None:
            self.thread = current
        assert self.thread is current, "store used from two threads"

    def _append(self, actions) -> None:
        for action in actions:
            seq = len(self.outbox) + 1
            record = action.to_dict()
            record["seq"] = seq
            self.outbox.append((seq, json.dumps(record, ensure_ascii=False)))

    def post(self, lines):
        self._check_thread()
        if self.fail:
            raise FakeStoreError(self.fail, "the disk is full")
        accepted = duplicates = 0
        rejected = []
        for number, raw in enumerate(lines, start=1):
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if not text.strip():
                continue
            try:
                event = parse_event(parse_json(text))
                self._append(self.engine.process(event))
                accepted += 1
            except DuplicateEvent:
                duplicates += 1
            except EventError as exc:
                rejected.append(LineReject(number, exc.code, str(exc)))
        self.counts["accepted"] += accepted
        self.counts["duplicates"] += duplicates
        self.counts["rejected"] += len(rejected)
        return BatchResult(accepted, duplicates, rejected, self.head())

    def advance(self, until):
        self._check_thread()
        if self.fail:
            raise FakeStoreError(self.fail, "the disk is full")
        self._append(self.engine.advance(until))
        return BatchResult(0, 0, [], self.head())

    def actions(self, after, limit=1000):
        self._check_thread()
        return [row for row in self.outbox if row[0] > after][:limit]

    def head(self):
        return len(self.outbox)

    def ticket(self, ticket):
        self._check_thread()
        return {"ticket": ticket, "clocks": {}} if ticket in self.engine.tickets else None

    def metrics(self):
        self._check_thread()
        return {**self.counts, "actions": len(self.outbox), "open_tickets": len(self.engine.tickets), "head": self.head()}

    def close(self):
        self.closed = True

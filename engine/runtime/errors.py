"""The errors the runtime raises on purpose, in one module so every stage module can raise them
without importing the Engine (and `engine.runtime.engine` re-exports them, as callers expect)."""

from __future__ import annotations

from engine.model.errors import ObligoError
from engine.model.events import EventError


class RuleLoopError(EventError):
    """The agenda kept re-activating; names the rules in the loop."""

    code = "rule-loop"


class DuplicateEvent(EventError):
    """An event id seen before: ignored and counted, not an error."""

    code = "duplicate-id"


class LateEvent(EventError):
    """An event earlier than the stream's current time (the greatest instant applied so far)."""

    code = "late-event"


class SnapshotError(ObligoError):
    """A snapshot that cannot be restored: another format version, a contract not loaded (or at
    another version), or data that is not a snapshot. `code` says which."""

    def __init__(self, message: str, code: str = "snapshot-invalid"):
        super().__init__(message)
        self.code = code


__all__ = ["DuplicateEvent", "LateEvent", "RuleLoopError", "SnapshotError"]

"""The root of every error obligo raises on purpose: `except ObligoError` catches a bad contract,
a rejected event, a calendar out of range, never a bug."""

from __future__ import annotations


class ObligoError(Exception):
    """A problem with the user's input or use of obligo, as opposed to a defect in obligo.

    `code` is a stable, machine-readable name for the kind of problem (docs/REJECTS.md lists the
    event ones); the message is for people."""

    code = "error"


# The exception classes live in this module, which is never compiled (buildtools/compiled.txt):
# mypyc loses a class attribute such as `code` of an exception class it compiles.


class EventError(ObligoError, ValueError):
    """An event the engine cannot apply; the message is the reason written to the rejects file and
    `code` a stable, machine-readable name for the kind of problem (events.REJECT_CODES)."""

    code = "invalid-event"  # the default of a check on the event's shape; subclasses and raisers name their own

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class CalendarRangeError(ObligoError, ValueError):
    """A due instant beyond the years a calendar builds: the target cannot be reached on it."""

    code = "calendar-range"


class SpillError(ObligoError):
    """The evicted tickets' file cannot be created, written or read (a missing or full directory)."""

    code = "spill-failed"


__all__ = ["CalendarRangeError", "EventError", "ObligoError", "SpillError"]

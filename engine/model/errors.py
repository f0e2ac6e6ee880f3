"""The root of every error obligo raises on purpose: `except ObligoError` catches a bad contract,
a rejected event, a calendar out of range, never a bug."""

from __future__ import annotations


class ObligoError(Exception):
    """A problem with the user's input or use of obligo, as opposed to a defect in obligo.

    `code` is a stable, machine-readable name for the kind of problem (docs/REJECTS.md lists the
    event ones); the message is for people."""

    code = "error"


__all__ = ["ObligoError"]

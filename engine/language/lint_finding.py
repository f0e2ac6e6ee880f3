"""One static-check finding: a located warning (or note) with its clause and fix hint, and the
subject a `lint: ignore` entry names to accept it (a target, rule, clock, graph.level...)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from engine.model.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Finding:
    diag: Diagnostic
    subject: str


def warn(diag: Diagnostic, clause: Any, hint: str) -> Diagnostic:
    """`diag` as a warning about `clause` (None unless text) with a one-line fix."""
    return note(diag, "warning", clause, hint)


def note(diag: Diagnostic, severity: str, clause: Any, hint: str) -> Diagnostic:
    return replace(diag, severity=severity, clause=clause if isinstance(clause, str) else None, hint=hint)

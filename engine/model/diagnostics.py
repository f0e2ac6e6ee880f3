"""Errors as data: one `Diagnostic` type, collected everywhere, rendered once at the CLI edge.

Code that finds a problem returns (or raises, inside `ContractError`) diagnostics; the caller that
knows the file adds the location; only `engine.cli` prints them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from engine.model.errors import ObligoError

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a user's file, with where it is and what was expected."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    path: JsonPath = ()
    severity: str = "error"
    clause: str | None = None  # the contract clause the finding is about (static checks)
    hint: str | None = None  # a one-line fix

    def at(self, file: str | None = None, line: int | None = None, col: int | None = None) -> Diagnostic:
        """Return a copy located in `file` (the caller knows the file; the finder did not)."""
        return replace(
            self,
            file=self.file or file,
            line=self.line if self.line is not None else line,
            col=self.col if self.col is not None else col,
        )

    @property
    def json_path(self) -> str:
        return format_path(self.path)

    def render(self) -> str:
        """`file:line:col: code: message (at $.json.path) (clause C; hint: H)` as compilers print it."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        suffix = f" (at {self.json_path})" if self.path else ""
        kind = "" if self.severity == "error" else f"{self.severity}: "
        extra = "; ".join(([f"clause {self.clause}"] if self.clause else []) + ([f"hint: {self.hint}"] if self.hint else []))
        return f"{where}: {kind}{self.code}: {self.message}{suffix}" + (f" ({extra})" if extra else "")

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.json_path,
            "severity": self.severity,
            "clause": self.clause,
            "hint": self.hint,
        }


class ContractError(ObligoError):
    """Raised when contracts cannot be loaded; carries every diagnostic found, not just the first."""

    code = "invalid-contract"

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0].render() if self.diagnostics else "invalid contract"
        more = f" (+{len(self.diagnostics) - 1} more)" if len(self.diagnostics) > 1 else ""
        super().__init__(first + more)


def format_path(path: Iterable[str | int]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def did_you_mean(name: object, candidates: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' hint for a misspelled name, or ' (known: a, b)' when nothing is close."""
    options = sorted({str(c) for c in candidates})
    close = difflib.get_close_matches(str(name), options, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if options and len(options) <= 12:
        return f"; expected one of: {', '.join(options)}"
    return ""


def with_note(diag: Diagnostic, clause: str | None = None, hint: str | None = None,
              severity: str | None = None) -> Diagnostic:
    """A copy carrying the clause involved and a fix hint (kept where the finder already set them)."""
    return replace(diag, clause=diag.clause or clause, hint=diag.hint or hint, severity=severity or diag.severity)


def errors_only(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]

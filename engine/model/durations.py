"""SLA target durations: ``"N minutes"``, ``"N hours"``, ``"N business days"``.

Contracts state targets in words (docs/FORMAT.md, "Durations"). Minutes and hours both count
open calendar time, so they share one unit (minutes); business days follow a different rule
(same wall time on the N-th following business day) and keep their own unit. How the calendar
applies a duration lives in ``engine.calendar.BusinessCalendar.due``.

A contract duration is at most one year (``MAX_MINUTES``, ``MAX_HOURS``, ``MAX_BUSINESS_DAYS``):
every real SLA fits, and a bound here keeps "999999999 hours" from making replay walk the
calendar for minutes and hundreds of MB. ``parse_duration`` raises ``DurationTooLong`` beyond it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from engine.model.errors import ObligoError

__all__ = ["MAX_BUSINESS_DAYS", "MAX_HOURS", "MAX_MINUTES", "Duration", "DurationTooLong", "DurationUnit",
           "parse_duration"]

DurationUnit = Literal["minutes", "business_days"]

_UNITS: tuple[str, ...] = ("minutes", "business_days")

# ASCII digits only (``\d`` would accept e.g. Arabic-Indic digits), single spaces, lowercase.
_DURATION_RE = re.compile(r"([0-9]+) (minutes?|hours?|business days?)")

_EXPECTED = "expected 'N minutes', 'N hours' or 'N business days'"

MAX_MINUTES = 366 * 24 * 60  # 527,040: one (leap) year of every minute
MAX_HOURS = 366 * 24  # 8,784
MAX_BUSINESS_DAYS = 366  # more than a year of business days on any calendar with a day off
_LIMITS = {"minute": MAX_MINUTES, "hour": MAX_HOURS, "business day": MAX_BUSINESS_DAYS}
_LIMIT_TEXT = f"at most {MAX_MINUTES} minutes, {MAX_HOURS} hours or {MAX_BUSINESS_DAYS} business days (one year)"


class DurationTooLong(ObligoError, ValueError):
    """A well-formed duration over the one-year bound; the validator reports it as `duration-too-long`."""

    code = "duration-too-long"


@dataclass(frozen=True)
class Duration:
    """A target length: ``amount`` minutes of open time, or ``amount`` business days.

    ``in_hours`` only remembers that the contract wrote the value in hours, so that
    ``str()`` gives back "2 hours" rather than "120 minutes"; it takes no part in equality
    (``2 hours == 120 minutes``: both are the same target).
    """

    amount: int
    unit: DurationUnit
    in_hours: bool = field(default=False, compare=False)
    # derived once: durations are read for every clock start and every reason
    is_business_days: bool = field(init=False, compare=False, repr=False)
    text: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # bool is an int subclass; "True minutes" is never meant.
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise ValueError(f"duration amount must be a whole number, got {self.amount!r}")
        if self.amount < 0:
            raise ValueError(f"duration amount must be >= 0, got {self.amount}")
        if self.unit not in _UNITS:
            raise ValueError(f"duration unit must be 'minutes' or 'business_days', got {self.unit!r}")
        if self.in_hours and (self.unit != "minutes" or self.amount % 60):
            raise ValueError(f"in_hours needs a whole number of hours in minutes, got {self.amount} {self.unit}")
        object.__setattr__(self, "is_business_days", self.unit == "business_days")  # frozen: set once here
        object.__setattr__(self, "text", self._text())

    @classmethod
    def minutes(cls, n: int) -> Duration:
        """``n`` minutes of open time."""
        return cls(n, "minutes")

    @classmethod
    def hours(cls, n: int) -> Duration:
        """``n`` hours of open time (stored as minutes, displayed as hours)."""
        return cls(n * 60, "minutes", in_hours=True)

    @classmethod
    def business_days(cls, n: int) -> Duration:
        """``n`` business days (docs/INTERFACE.md "Time")."""
        return cls(n, "business_days")

    @property
    def seconds(self) -> int:
        """Open seconds of a minute/hour target (what ``BusinessCalendar.add`` consumes)."""
        if self.unit != "minutes":
            raise ValueError(f"'{self}' has no fixed length in seconds: business days depend on the calendar")
        return self.amount * 60

    def __str__(self) -> str:
        return self.text

    def _text(self) -> str:
        n = self.amount
        if self.unit == "business_days":
            return f"{n} business day" if n == 1 else f"{n} business days"
        if self.in_hours:
            h = n // 60
            return f"{h} hour" if h == 1 else f"{h} hours"
        return f"{n} minute" if n == 1 else f"{n} minutes"


def parse_duration(text: str) -> Duration:
    """Parse a contract duration; hours become minutes (they count the same open time).

    Accepted: ``"N minute(s)"``, ``"N hour(s)"``, ``"N business day(s)"`` with N a whole number
    >= 0 up to the one-year bound, one space between words, lowercase. Anything else raises
    ``ValueError`` (``DurationTooLong`` over the bound) naming what was expected, because the
    validator shows the message to the contract author as is.
    """
    if not isinstance(text, str):
        raise ValueError(f"{_EXPECTED}, got {text!r} ({type(text).__name__})")
    m = _DURATION_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"{_EXPECTED}, got '{text}'")
    digits, word = m.group(1), m.group(2)
    unit = word.rstrip("s")
    if len(digits.lstrip("0")) > 6 or int(digits) > _LIMITS[unit]:  # the length first: int() of 5,000 digits raises
        shown = text if len(text) <= 40 else f"{digits[:12]}... ({len(digits)} digits) {word}"
        raise DurationTooLong(f"'{shown}' is longer than {_LIMITS[unit]} {unit}s; an SLA duration is {_LIMIT_TEXT}")
    n = int(digits)
    if word.startswith("minute"):
        return Duration(n, "minutes")
    if word.startswith("hour"):
        return Duration(n * 60, "minutes", in_hours=True)
    return Duration(n, "business_days")

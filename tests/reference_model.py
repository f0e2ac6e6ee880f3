"""A reference model of the SLA clock (docs/INTERFACE.md "Time"), written to be read, not to be fast.

It is the oracle of tests/test_oracle.py: the engine is driven with random ticket histories and
every `due`, `breach`, `met`, `elapsed` and `paused` it emits is compared with what this module
computes. To be worth anything it shares no code with `engine/`: it reads contracts with
`yaml.safe_load`, asks `zoneinfo` and the `holidays` package directly, and decides whether time
counts one minute at a time.

Definitions (all instants are epoch seconds; the model works on whole minutes, so every instant
given to it must be a whole minute, which the oracle's histories are):

* A minute ``[m, m + 60 s)`` is *open* when its local wall time (in the calendar's zone) falls in
  an opening interval of its local weekday and its local date is not a holiday. On ``24x7`` every
  minute is open.
* ``count_open(a, b)``: open minutes in ``[a, b)``.
* ``after_open(a, k)``: the first open minute ``m >= a`` with exactly ``k`` open minutes in
  ``[a, m)``: "the instant from which time beyond the target would count". A start outside hours
  is ``after_open(t, 0)`` (the next opening); a target used up exactly at a closing time is due
  at the next opening.
* ``N business days`` from ``t``: from ``s = after_open(t, 0)``, the same local wall time on the
  N-th following business day (a weekday with hours that is not a holiday), then the next
  opening at or after it. On ``24x7``: ``t + N * 24 h``.

A clock keeps the open time it counted (``counted``, on the calendar in force while it ran), its
``budget`` of open time, and while running the instant it last started counting. ``due`` is
``after_open(now, budget - counted)`` whenever the clock (re)starts counting. The choices
docs/INTERFACE.md leaves open are marked ASSUMPTION below and listed in ``ASSUMPTIONS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import yaml

MINUTE = 60
DAY_MINUTES = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24x7"

ASSUMPTIONS = (
    "paused: open (business) seconds of the clock's calendar that passed while it was paused, each "
    "stretch counted on the calendar in force during it (docs/INTERFACE.md says only 'integer seconds the "
    "clock spent paused'); so elapsed + paused = the calendar's open time since the start",
    "a severity change on a paused clock reports the due the clock would have if it resumed at that "
    "instant (docs/INTERFACE.md gives a paused clock no due)",
    "a business-day target's budget is the open time from the (moved) start to its due, measured on "
    "the calendar of the new target from the clock's original start",
    "a new target that is already exceeded gives reschedule_clock due = the change instant (breach "
    "has at == due and is emitted at the change instant)",
    "a breach is final: a later severity change that leaves time again does not make the clock "
    "meetable, and never breaches it a second time",
    "resuming a clock whose target is already used up gives due = the next opening at or after the "
    "resume instant (nothing remains)",
)


# --------------------------------------------------------------------------- calendars


@dataclass(frozen=True)
class Calendar:
    """Business hours as plain data. ``zone`` None means 24x7 (every minute open)."""

    name: str
    zone: str | None
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7  # Mon..Sun, local minutes [open, close)
    country: str | None = None
    subdivision: str | None = None
    dates: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return self.zone is None

    def is_holiday(self, day: date) -> bool:
        if day in self.dates:
            return True
        return self.country is not None and day in _country_holidays(self.country, self.subdivision, day.year)

    def is_business_day(self, day: date) -> bool:
        """A day with opening hours that is not a holiday (docs/INTERFACE.md "Time")."""
        return bool(self.week[day.weekday()]) and not self.is_holiday(day)

    def is_open_minute(self, minute: int) -> bool:
        """Whether the minute starting at epoch minute ``minute`` counts: the definition itself."""
        if self.always_open:
            return True
        local = datetime.fromtimestamp(minute * MINUTE, ZoneInfo(self.zone))
        if self.is_holiday(local.date()):
            return False
        wall = local.hour * 60 + local.minute
        return any(start <= wall < end for start, end in self.week[local.weekday()])


@cache
def _country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


@lru_cache(maxsize=200_000)
def _open_flags(calendar: Calendar, utc_day: int) -> bytes:
    """One byte per minute of the UTC day ``utc_day`` (days since the epoch): 1 when open.

    ``is_open_minute`` for each minute, with its per-local-date part (holiday? which wall minutes
    open?) asked once per local date. The walks below skip whole days by their open count."""
    zone = ZoneInfo(calendar.zone)
    open_walls: dict[date, set[int]] = {}
    flags = bytearray(DAY_MINUTES)
    for i in range(DAY_MINUTES):
        local = datetime.fromtimestamp((utc_day * DAY_MINUTES + i) * MINUTE, zone)
        day = local.date()
        if day not in open_walls:
            spans = () if calendar.is_holiday(day) else calendar.week[day.weekday()]
            open_walls[day] = {wall for start, end in spans for wall in range(start, end)}
        flags[i] = (local.hour * 60 + local.minute) in open_walls[day]
    return bytes(flags)


def _open_in_day(calendar: Calendar, utc_day: int, lo: int = 0, hi: int = DAY_MINUTES) -> int:
    """Open minutes among minutes ``lo..hi-1`` of the UTC day."""
    if calendar.always_open:
        return hi - lo
    return _open_flags(calendar, utc_day)[lo:hi].count(1)


def open_at(calendar: Calendar, minute: int) -> bool:
    """``calendar.is_open_minute(minute)``, through the per-day cache."""
    if calendar.always_open:
        return True
    day, offset = divmod(minute, DAY_MINUTES)
    return bool(_open_flags(calendar, day)[offset])


def count_open(calendar: Calendar, a: int, b: int) -> int:
    """Open minutes in ``[a, b)`` (epoch minutes); 0 when ``b <= a``."""
    total = 0
    m = a
    while m < b:
        day, offset = divmod(m, DAY_MINUTES)
        end = min(b, (day + 1) * DAY_MINUTES)
        total += _open_in_day(calendar, day, offset, offset + end - m)
        m = end
    return total


def after_open(calendar: Calendar, a: int, k: int) -> int:
    """The first open minute ``m >= a`` with exactly ``k`` open minutes in ``[a, m)``.

    Minute by minute, skipping a whole UTC day when all of its open minutes are still needed."""
    assert k >= 0
    counted = 0
    m = a
    while True:
        day, offset = divmod(m, DAY_MINUTES)
        in_rest_of_day = _open_in_day(calendar, day, offset)
        if counted + in_rest_of_day <= k:  # the k-th open minute is not in this day: skip it
            counted += in_rest_of_day
            m = (day + 1) * DAY_MINUTES
            continue
        if open_at(calendar, m):
            if counted == k:
                return m
            counted += 1
        m += 1


def add_business_days(calendar: Calendar, t: int, n: int) -> int:
    """Due of "n business days" started at epoch minute ``t`` (docs/INTERFACE.md "Time")."""
    if calendar.always_open:
        return t + n * DAY_MINUTES
    zone = ZoneInfo(calendar.zone)
    start = after_open(calendar, t, 0)
    local = datetime.fromtimestamp(start * MINUTE, zone)
    day = local.date()
    found = 0
    while found < n:
        day += timedelta(days=1)
        if calendar.is_business_day(day):
            found += 1
    wall = datetime(day.year, day.month, day.day, local.hour, local.minute, tzinfo=zone)
    return after_open(calendar, int(wall.timestamp()) // MINUTE, 0)


# --------------------------------------------------------------------------- durations


@dataclass(frozen=True)
class Target:
    """A target as written (``text``) and the calendar it counts on."""

    text: str
    calendar: Calendar

    @property
    def business_days(self) -> int | None:
        m = re.fullmatch(r"(\d+) business days?", self.text)
        return int(m.group(1)) if m else None

    @property
    def minutes(self) -> int:
        m = re.fullmatch(r"(\d+) (minute|hour)s?", self.text)
        if m is None:
            raise ValueError(f"not a minute/hour target: {self.text!r}")
        return int(m.group(1)) * (60 if m.group(2) == "hour" else 1)

    def due(self, t: int) -> int:
        """Due of this target started at epoch minute ``t``."""
        days = self.business_days
        if days is not None:
            return add_business_days(self.calendar, t, days)
        return after_open(self.calendar, t, self.minutes)

    def budget(self, t: int) -> int:
        """Open minutes this target grants a clock started at ``t``: minutes as written; for
        business days the open time from the (moved) start to the due (ASSUMPTION)."""
        if self.business_days is None:
            return self.minutes
        return count_open(self.calendar, after_open(self.calendar, t, 0), self.due(t))


# --------------------------------------------------------------------------- reading contracts


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    """A whole-string ``"${name}"`` takes the parameter's value; nothing else is substituted."""
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{(\w+)\}", value)
        if m:
            return params[m.group(1)]
    if isinstance(value, dict):
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    return value


def contract_parameters(doc: dict) -> dict[str, Any]:
    return {name: spec["value"] for name, spec in (doc.get("parameters") or {}).items()}


def calendar_specs(path: str | Path) -> dict[str, dict]:
    """The ``calendars:`` of a contract file, with ``${param}`` resolved from its parameters."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    params = contract_parameters(doc)
    return {name: _resolve(spec, params) for name, spec in (doc.get("calendars") or {}).items()}


def _days(key: str) -> list[int]:
    if "-" in key:
        first, last = key.split("-")
        return list(range(WEEKDAYS.index(first), WEEKDAYS.index(last) + 1))
    return [WEEKDAYS.index(key)]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def calendar_from(name: str, spec: dict | str, attrs: dict | None = None) -> Calendar:
    """A ``calendars:`` entry as a Calendar; ``{attr: x, default: y}`` reads the ticket's ``x``.

    Later ``hours`` keys replace earlier ones for their days (PROGR1's Friday). When the ticket
    gives its own holiday country, the spec's subdivision no longer applies."""
    if spec == ALWAYS:
        return Calendar(name, None)
    attrs = attrs or {}
    zone = spec["timezone"]
    if isinstance(zone, dict):
        zone = attrs.get(zone["attr"]) or zone["default"]
    week: list[tuple[tuple[int, int], ...]] = [()] * 7
    for key, spans in spec["hours"].items():
        intervals = tuple(sorted((_minutes(a), _minutes(b)) for a, b in (s.split("-") for s in spans)))
        for day in _days(key):
            week[day] = intervals
    hol = spec.get("holidays") or {}
    country, subdivision = hol.get("country"), hol.get("subdivision")
    if isinstance(country, dict):
        given = attrs.get(country["attr"])
        if given and given != country["default"]:
            country, subdivision = given, None
        else:
            country = country["default"]
    dates = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in hol.get("dates") or ())
    return Calendar(name, zone, tuple(week), country, subdivision, dates)


@dataclass
class ContractModel:
    """What the model needs of a (synthetic) contract: calendars, regions, per-clock targets and
    goal events. Targets are ``{clock: {severity: (duration text, calendar ref)}}``."""

    calendars: dict[str, dict | str]
    regions: dict[str, str]
    targets: dict[str, dict[str, tuple[str, str]]]
    goals: dict[str, set[str]]

    @classmethod
    def read(cls, path: str | Path, goals: dict[str, set[str]]) -> ContractModel:
        """Read a contract whose targets have no ``match`` (the oracle's synthetic ones)."""
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        params = contract_parameters(doc)
        targets: dict[str, dict[str, tuple[str, str]]] = {}
        for entry in doc["targets"]:
            assert "match" not in entry and "all" not in entry, "the model reads plain severity tables only"
            rows = targets.setdefault(entry["clock"], {})
            for severity, row in _resolve(entry["severities"], params).items():
                if isinstance(row, dict):
                    rows.setdefault(str(severity), (row["duration"], row.get("calendar", entry["calendar"])))
                else:
                    rows.setdefault(str(severity), (row, entry["calendar"]))
        return cls(calendar_specs(path), dict(doc.get("regions") or {}), targets, goals)

    def target(self, clock: str, attrs: dict) -> tuple[Target, str]:
        """(target, calendar label) of ``clock`` for the ticket's current attributes."""
        text, ref = self.targets[clock][attrs["severity"]]
        if ref == "region":
            ref = self.regions[attrs["region"]]
        spec = ALWAYS if ref == ALWAYS else self.calendars[ref]
        return Target(text, calendar_from(ref, spec, attrs)), ref


# --------------------------------------------------------------------------- clocks and tickets


@dataclass
class ClockModel:
    """One clock. Minutes throughout; ``counted`` excludes the segment running since ``run_since``."""

    name: str
    target: Target
    label: str
    started: int
    budget: int
    due: int
    counted: int = 0
    run_since: int | None = None
    paused_since: int | None = None
    paused: int = 0
    breached: bool = False
    stopped: bool = False
    paused_across_change: bool = False  # its target changed while paused (a marker for the oracle)

    def counted_at(self, t: int) -> int:
        if self.run_since is None:
            return self.counted
        return self.counted + count_open(self.target.calendar, self.run_since, t)

    def paused_at(self, t: int) -> int:
        if self.paused_since is None:
            return self.paused
        return self.paused + count_open(self.target.calendar, self.paused_since, t)


def _instant(minute: int) -> str:
    return datetime.fromtimestamp(minute * MINUTE, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TicketModel:
    """One ticket of a contract, fed the ticket's events in time order; ``actions`` collects the
    clock actions the engine must emit, as dicts of docs/INTERFACE.md fields (instants as ``...Z`` text,
    ``elapsed``/``paused`` in seconds)."""

    contract: ContractModel
    attrs: dict = field(default_factory=dict)
    clocks: dict[str, ClockModel] = field(default_factory=dict)
    actions: list[dict] = field(default_factory=list)

    def _emit(self, clock: ClockModel, action: str, at: int, **extra: Any) -> None:
        record = {"action": action, "clock": clock.name, "at": _instant(at), "severity": self.attrs["severity"],
                  "target": clock.target.text, "calendar": clock.label}
        if clock.paused_across_change and action in ("breach", "stop_clock"):
            record["_paused_across_change"] = True  # a marker for the oracle's known-bug filters, not a field
        for key, value in extra.items():
            record[key] = _instant(value) if key == "due" else value * MINUTE if key in ("elapsed", "paused") else value
        self.actions.append(record)

    # ---- time passing
    def fire_until(self, t: int, inclusive: bool) -> None:
        """Breaches due before ``t`` (or at ``t`` when inclusive), in (due, clock) order: an event at
        ``t`` first lets every earlier deadline fire, but a breach due exactly at the instant of
        the ticket's own event waits for it, so a goal event at ``due`` meets the clock."""
        pending = [c for c in self.clocks.values() if c.run_since is not None and not c.breached and not c.stopped]
        for clock in sorted(pending, key=lambda c: (c.due, c.name)):
            if clock.due < t or (inclusive and clock.due == t):
                clock.breached = True
                self._emit(clock, "breach", clock.due, due=clock.due, elapsed=clock.counted_at(clock.due),
                           paused=clock.paused)

    def event(self, kind: str, t: int, attrs: dict | None = None) -> None:
        """Apply one event at epoch minute ``t`` (after ``fire_until(t, inclusive=False)``)."""
        self.fire_until(t, inclusive=False)
        attrs = attrs or {}
        if kind == "opened":
            self.attrs = dict(attrs)
            for name in sorted(self.contract.targets):
                self._start(name, t)
        elif kind == "info_requested":
            for clock in self._live():
                if clock.run_since is not None:
                    self._pause(clock, t)
        elif kind == "info_provided":
            for clock in self._live():
                if clock.paused_since is not None:
                    self._resume(clock, t)
        elif kind == "updated":
            old = self.attrs.get("severity")
            self.attrs.update(attrs)
            if self.attrs.get("severity") != old:
                for clock in self._live():
                    self._reschedule(clock, t)
        for clock in self._live():
            if kind in self.contract.goals.get(clock.name, ()):
                self._stop(clock, t)

    def advance(self, t: int) -> None:
        self.fire_until(t, inclusive=True)

    def _live(self) -> list[ClockModel]:
        return [self.clocks[name] for name in sorted(self.clocks) if not self.clocks[name].stopped]

    # ---- clock transitions
    def _start(self, name: str, t: int) -> None:
        target, label = self.contract.target(name, self.attrs)
        clock = ClockModel(name, target, label, started=t, budget=target.budget(t), due=target.due(t), run_since=t)
        self.clocks[name] = clock
        self._emit(clock, "start_clock", t, due=clock.due)

    def _pause(self, clock: ClockModel, t: int) -> None:
        clock.counted = clock.counted_at(t)
        clock.run_since = None
        clock.paused_since = t
        self._emit(clock, "pause_clock", t)

    def _resume(self, clock: ClockModel, t: int) -> None:
        """Due moves later by the business time paused: for what remains at the pause, counting
        from the resume gives that (tests/test_reference_model.py checks the equality)."""
        clock.paused = clock.paused_at(t)
        clock.paused_since = None
        clock.run_since = t
        clock.due = after_open(clock.target.calendar, t, max(0, clock.budget - clock.counted))  # ASSUMPTION at 0
        self._emit(clock, "resume_clock", t, due=clock.due)

    def _reschedule(self, clock: ClockModel, t: int) -> None:
        """Elapsed (unpaused) time kept, the new target and calendar apply; already exceeded:
        breach at the change instant, running or paused."""
        target, label = self.contract.target(clock.name, self.attrs)
        if target == clock.target:
            return  # the engine emits nothing when the target does not change
        clock.counted = clock.counted_at(t)
        if clock.run_since is not None:
            clock.run_since = t
        clock.paused = clock.paused_at(t)  # the pause so far, on the calendar it passed in
        if clock.paused_since is not None:
            clock.paused_since = t
            clock.paused_across_change = True
        clock.target, clock.label = target, label
        clock.budget = target.budget(clock.started)
        exceeded = clock.counted > clock.budget
        clock.due = t if exceeded else after_open(target.calendar, t, clock.budget - clock.counted)
        self._emit(clock, "reschedule_clock", t, due=clock.due)
        if exceeded:
            self.actions[-1]["_exceeded"] = True  # a marker for the oracle's known-bug filters, not a field
        if exceeded and not clock.breached:
            clock.breached = True
            self._emit(clock, "breach", t, due=t, elapsed=clock.counted, paused=clock.paused)

    def _stop(self, clock: ClockModel, t: int) -> None:
        """Met when the goal comes no later than due: never after a breach, never with more time
        counted than the target grants."""
        counted = clock.counted_at(t)
        met = not clock.breached and counted <= clock.budget
        if clock.run_since is not None:
            assert met == (not clock.breached and t <= clock.due), "a running clock breaches at due"
        clock.counted, clock.paused = counted, clock.paused_at(t)
        clock.run_since = clock.paused_since = None
        clock.stopped = True
        self._emit(clock, "stop_clock", t, met=met, elapsed=clock.counted, paused=clock.paused)

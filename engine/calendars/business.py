"""Business calendars: which instants count towards an SLA clock (docs/INTERFACE.md "Time").

Instants are ``int`` seconds since the Unix epoch (UTC) everywhere in this module; RFC 3339
parsing happens elsewhere. Conventions (Zendesk ``biz``, as docs/INTERFACE.md states them):

* Opening intervals are half-open: a 09:00-17:00 day is open at 09:00:00 and closed at 17:00:00.
* ``add(t, s)`` is the earliest instant that is open (or an interval start) with ``s`` open
  seconds in ``[t, x)``. A start outside hours therefore counts from the next opening, and a
  target used up exactly at a closing time is due at the *next opening*.
* ``add_business_days(t, n)``: from ``next_open(t)``, the same local wall time on the N-th
  following business day (a weekday with hours that is not a holiday), then ``next_open``.
* Local times are turned into instants per day with ``zoneinfo`` and ``fold=0``: an ambiguous
  wall time (autumn fall-back) is its first occurrence; a wall time that does not exist
  (spring-forward gap) is read with the offset in force before the gap, so Paris 02:30 on
  2026-03-29 is 01:30Z (= 03:30 CEST). An interval that collapses to nothing is dropped.

Performance: each calendar lazily builds, per local year and cached in the instance, the
year's open intervals as sorted UTC ``[start, end)`` pairs plus cumulative open-second prefix
sums. ``is_open``/``next_open``/``add``/``between`` are then one or two bisects plus arithmetic,
with no zone conversion; ``24x7`` is pure arithmetic. ``add_business_days`` likewise uses a lazily
built per-year day table (UTC instant of each local midnight, which days are plain 24 h days,
the business days) and leaves DST-switch days to the exact day-by-day zone conversions.
Calendars are immutable from the outside and safe to share; the lazily built caches are
swapped atomically under a lock.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays

from engine.model.durations import Duration
from engine.model.errors import CalendarRangeError  # re-exported

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "calendar_from_spec",
    "format_minute",
    "holiday_country_attribute",
    "load_zone",
    "localise",
    "parse_holiday_date",
    "parse_hours",
    "parse_interval",
    "parse_weekdays",
    "timezone_attribute",
]

WEEKDAYS: Final[tuple[str, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_MINUTES: Final = 24 * 60
_DAY_SECONDS: Final = 86400
_ONE_DAY: Final = timedelta(days=1)
_UNIX_EPOCH: Final = datetime(1970, 1, 1)
# Years a calendar can build. Events lie in 1900-2199 (engine.events) and a target is at most a
# year of its calendar's open time; a century past that covers any calendar open a few minutes a
# year, and a target that still runs out later (a sparse calendar) is refused with
# CalendarRangeError at once instead of building tables up to datetime's year 9999.
_MIN_YEAR: Final = 1
_MAX_YEAR: Final = 2299


# A point query further than this from the loaded years starts a fresh cache instead of
# filling the gap (a stray 1970 or 2999 instant must not build centuries of intervals).
_MAX_GAP_YEARS: Final = 3
# Per-year interval tables kept for rebuilding segments; cleared when exceeded.
_MAX_CACHED_YEARS: Final = 256

_INTERVAL_RE: Final = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Interval = tuple[int, int]
WeeklyHours = tuple[tuple[Interval, ...], ...]  # 7 entries, Mon..Sun, local minutes

# One loaded stretch of years: (lo, hi, starts, ends, cum, lo_year, hi_year).
# Every open instant in [lo, hi) lies in one of starts/ends; cum[i] = open seconds of the
# intervals before i (len n+1), so F(t) = cum[i] + min(t, ends[i]) - starts[i] is a position
# on the "open time" axis and between(a, b) = F(b) - F(a).
_Segment = tuple[int, int, list[int], list[int], list[int], int, int]

# Local days of one year: (midnights, plain, business). midnights[i] is the instant of local
# midnight (fold=0) of the year's day i, plus one extra entry for the next 1 January;
# plain[i] is 1 when day i is a plain 24 h day (see _year_days); business holds the date
# ordinals of the business days, ascending.
_YearDays = tuple[list[int], bytes, list[int]]
# Consecutive years of _YearDays joined: (midnights, plain, seen, business, hours, lo_year,
# hi_year). Day k is the k-th day from 1 January of lo_year; business holds the indexes k of the
# business days and hours[j] the opening hours of business[j] in seconds since midnight;
# seen[k] counts the business days among days 0..k, so business[seen[k] + n - 1] is the n-th
# business day after day k.
_DayTable = tuple[list[int], bytes, list[int], list[int], list[tuple[Interval, ...]], int, int]


# --------------------------------------------------------------------------- parsing helpers


def format_minute(minute: int) -> str:
    """Local minutes since midnight as ``HH:MM`` (1440 is ``24:00``, a midnight close)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_interval(text: Any, where: str = "hours") -> Interval:
    """Parse ``"HH:MM-HH:MM"`` into local minutes ``(open, close)``; close may be ``24:00``.

    ``where`` names the spec key in error messages (the validator shows them verbatim).
    """
    if not isinstance(text, str):
        raise ValueError(
            f"bad opening interval {text!r} for {where}: expected a string 'HH:MM-HH:MM' "
            "(24-hour clock, e.g. '09:00-17:00')"
        )
    m = _INTERVAL_RE.fullmatch(text)
    if m is None:
        raise ValueError(
            f"bad opening interval '{text}' for {where}: expected 'HH:MM-HH:MM' (24-hour clock, e.g. '09:00-17:00')"
        )
    oh, om, ch, cm = (int(g) for g in m.groups())
    for h, mi in ((oh, om), (ch, cm)):
        if mi > 59 or h > 24 or (h == 24 and mi):
            raise ValueError(
                f"bad opening interval '{text}' for {where}: '{h:02d}:{mi:02d}' is not a time "
                "of day (expected 00:00 to 24:00)"
            )
    open_, close = oh * 60 + om, ch * 60 + cm
    if close <= open_:
        raise ValueError(
            f"bad opening interval '{text}' for {where}: closing time {format_minute(close)} "
            f"must be after opening time {format_minute(open_)} (intervals cannot cross "
            "midnight; split them, e.g. '22:00-24:00' and '00:00-06:00' on the next day)"
        )
    return open_, close


def parse_weekdays(key: Any) -> tuple[int, ...]:
    """Weekday key ``mon``..``sun`` or forward range ``mon-fri`` -> weekday numbers (0=Mon)."""
    expected = "expected one of mon, tue, wed, thu, fri, sat, sun or a range like mon-fri"
    if not isinstance(key, str):
        raise ValueError(f"unknown weekday {key!r} in hours: {expected}")
    parts = key.split("-")
    if len(parts) == 1 and parts[0] in WEEKDAYS:
        return (WEEKDAYS.index(parts[0]),)
    if len(parts) == 2 and parts[0] in WEEKDAYS and parts[1] in WEEKDAYS:
        first, last = WEEKDAYS.index(parts[0]), WEEKDAYS.index(parts[1])
        if last < first:
            raise ValueError(
                f"weekday range '{key}' in hours runs backwards: expected first <= last in "
                "mon..sun order (write e.g. 'sat-sun' and 'mon' as two keys)"
            )
        return tuple(range(first, last + 1))
    raise ValueError(f"unknown weekday '{key}' in hours: {expected}")


def _merge_day(intervals: Iterable[Interval], where: str) -> tuple[Interval, ...]:
    """Sort one day's intervals, join touching ones, reject overlaps (almost always a typo)."""
    out: list[Interval] = []
    for o, c in sorted(intervals):
        if out and o < out[-1][1]:
            po, pc = out[-1]
            raise ValueError(
                f"overlapping opening intervals for {where}: {format_minute(po)}-"
                f"{format_minute(pc)} and {format_minute(o)}-{format_minute(c)}"
            )
        if out and o == out[-1][1]:
            out[-1] = (out[-1][0], c)
        else:
            out.append((o, c))
    return tuple(out)


def parse_hours(hours: Any) -> WeeklyHours:
    """The spec's ``hours`` mapping -> 7 tuples (Mon..Sun) of local ``(open, close)`` minutes.

    Keys are applied in order and a later key replaces what earlier keys set for its days
    (``mon-fri`` then ``fri`` gives PROGR1's early Friday close). An empty list closes a day.
    """
    if not isinstance(hours, Mapping):
        raise ValueError(
            f"bad hours {hours!r}: expected a mapping of weekday or range (mon..sun, mon-fri) "
            "to a list of 'HH:MM-HH:MM'"
        )
    week: list[tuple[Interval, ...]] = [()] * 7
    for key, value in hours.items():
        days = parse_weekdays(key)
        if not isinstance(value, list | tuple):
            raise ValueError(f"bad hours for {key}: expected a list of 'HH:MM-HH:MM' strings, got {value!r}")
        spans = _merge_day((parse_interval(v, str(key)) for v in value), str(key))
        for d in days:
            week[d] = spans
    return tuple(week)


def load_zone(name: Any) -> ZoneInfo:
    """``ZoneInfo(name)`` with a validator-friendly ``ValueError`` for bad names."""
    expected = "expected an IANA time zone name like 'Europe/London'"
    if not isinstance(name, str):
        raise ValueError(f"bad time zone {name!r}: {expected}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for the file system
        raise ValueError(f"unknown time zone '{name}': {expected}") from None


def parse_holiday_date(value: Any) -> date:
    """A holiday entry: a ``date`` (YAML gives one for 2026-12-24) or a ``"YYYY-MM-DD"`` text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"bad holiday date {value!r}: expected a date 'YYYY-MM-DD'")


def _check_country(country: Any, subdivision: Any) -> None:
    """Fail early (at load time, not at the first holiday) on codes ``holidays`` lacks."""
    if not isinstance(country, str):
        raise ValueError(
            f"unknown holiday country {country!r}: expected a country code supported by the "
            "holidays package (ISO 3166-1 alpha-2, e.g. 'FR', 'GB')"
        )
    if (subdivision is None or isinstance(subdivision, str)) and _supported(country, subdivision):
        return
    try:
        _holidays.country_holidays(country)
    except NotImplementedError:
        raise ValueError(
            f"unknown holiday country '{country}': expected a country code supported by the "
            "holidays package (ISO 3166-1 alpha-2, e.g. 'FR', 'GB')"
        ) from None
    if subdivision is None:
        return
    if isinstance(subdivision, str):
        try:
            _holidays.country_holidays(country, subdiv=subdivision)
            return
        except NotImplementedError:
            pass
    # Only for the message: the list imports every country's module (0.1 s, a third of a cached
    # command's start-up when it ran on every calendar with a subdivision).
    subdivs = _holidays.list_supported_countries().get(country, [])
    if not isinstance(subdivision, str):
        raise ValueError(
            f"bad holiday subdivision {subdivision!r} for country '{country}': expected one "
            f"of {', '.join(subdivs) or '(none)'}"
        )
    raise ValueError(
        f"unknown holiday subdivision '{subdivision}' for country '{country}': expected "
        f"one of {', '.join(subdivs) or '(none: the country has no subdivisions)'}"
    )


@lru_cache(maxsize=256)
def _supported(country: str, subdivision: str | None) -> bool:
    """Whether ``holidays`` has this country (and subdivision); remembered, as building its holiday
    class imports the country's module (a few milliseconds each, the first time)."""
    try:
        _holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return False
    return True


def _utc_year(t: int) -> int:
    try:
        return (_UNIX_EPOCH + timedelta(seconds=t)).year
    except OverflowError:
        raise ValueError(f"instant {t} is outside the supported range") from None


# --------------------------------------------------------------------------- the calendar


class BusinessCalendar:
    """Open hours of one zone: weekly local intervals minus holidays, or always open (24x7)."""

    __slots__ = (
        "_always",
        "_country",
        "_dates",
        "_day_cache",
        "_days",
        "_holiday_cache",
        "_lock",
        "_seg",
        "_subdivision",
        "_tz",
        "_week",
        "_year_cache",
        "_zone",
    )

    def __init__(
        self,
        timezone: str,
        hours: Mapping[int, Iterable[Interval]],
        *,
        holidays: Iterable[date] = (),
        country: str | None = None,
        subdivision: str | None = None,
        _country_checked: bool = False,
    ) -> None:
        """Build from an IANA zone, ``{weekday 0=Mon..6: [(open_min, close_min), ...]}``
        (local minutes, close may be 1440) and holidays: explicit local dates and/or a
        ``holidays`` country (+ subdivision), loaded lazily per year. ``_country_checked``: the
        caller (`_shared_calendar`) has checked the country, or it was checked before it was
        pickled (engine.language.cache keys its entries on the holidays package's files)."""
        self._always = False
        self._zone = timezone
        self._tz = load_zone(timezone)
        week: list[tuple[Interval, ...]] = [()] * 7
        for day, spans in hours.items():
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                raise ValueError(f"bad weekday {day!r}: expected 0 (Mon) to 6 (Sun)")
            checked = []
            for o, c in spans:
                if not (0 <= o < c <= _DAY_MINUTES):
                    raise ValueError(
                        f"bad opening interval ({o}, {c}) for {WEEKDAYS[day]}: expected local "
                        f"minutes 0 <= open < close <= {_DAY_MINUTES}"
                    )
                checked.append((int(o), int(c)))
            week[day] = _merge_day(checked, WEEKDAYS[day])
        if not any(week):
            raise ValueError("calendar has no opening hours")
        self._week: WeeklyHours = tuple(week)
        dates = []
        for d in holidays:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise ValueError(f"bad holiday date {d!r}: expected a date 'YYYY-MM-DD'")
            dates.append(d)
        self._dates = frozenset(dates)
        if country is None and subdivision is not None:
            raise ValueError(
                f"holiday subdivision '{subdivision}' given without a country: expected a "
                "country code too (e.g. country: GB, subdivision: ENG)"
            )
        if country is not None and not _country_checked:
            _check_country(country, subdivision)
        self._country = country
        self._subdivision = subdivision
        self._holiday_cache: dict[int, frozenset[date]] = {}
        self._year_cache: dict[int, list[Interval]] = {}
        self._lock = threading.Lock()
        self._seg: _Segment | None = None
        self._day_cache: dict[int, _YearDays] = {}
        self._days: _DayTable | None = None

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """The built-in ``24x7`` calendar: every second counts, N business days = N x 24 h."""
        return _ALWAYS_OPEN

    @classmethod
    def _make_always_open(cls) -> BusinessCalendar:
        """UTC, open all week, no holidays, flagged always-open (built through __init__, not
        __new__: the compiled build has no __new__ to call)."""
        cal = cls("UTC", {day: [(0, _DAY_MINUTES)] for day in range(7)})
        cal._always = True
        return cal

    # ----------------------------------------------------------------- read-only properties

    @property
    def is_always_open(self) -> bool:
        return self._always

    @property
    def timezone(self) -> str:
        return self._zone

    @property
    def weekly_hours(self) -> WeeklyHours:
        """Mon..Sun tuples of local ``(open, close)`` minutes."""
        return self._week

    @property
    def holiday_dates(self) -> frozenset[date]:
        """The explicit holiday dates (country holidays are resolved per year)."""
        return self._dates

    @property
    def country(self) -> str | None:
        return self._country

    @property
    def subdivision(self) -> str | None:
        return self._subdivision

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as what it is built from, and unpickled through the same sharing as
        `calendar_from_spec` (its lock and year tables are not data): a cached compiled contract
        (engine.language.cache) gets the calendars a fresh load would."""
        if self._always:
            return (_always_open, ())
        return (_shared_calendar, (self._zone, self._week, self._dates, self._country, self._subdivision))

    def _key(self) -> tuple[Any, ...]:
        if self._always:
            return ("24x7",)
        return (self._zone, self._week, self._dates, self._country, self._subdivision)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.describe()}>"

    def describe(self) -> str:
        """Short human text for reasons and logs, e.g. "Europe/London Mon-Fri 09:00-17:00,
        holidays GB-ENG"."""
        if self._always:
            return "24x7"
        groups: list[str] = []
        d = 0
        while d < 7:
            spans = self._week[d]
            e = d
            while e + 1 < 7 and self._week[e + 1] == spans:
                e += 1
            if spans:
                days = _DAY_TITLES[d] if d == e else f"{_DAY_TITLES[d]}-{_DAY_TITLES[e]}"
                text = " & ".join(f"{format_minute(o)}-{format_minute(c)}" for o, c in spans)
                groups.append(f"{days} {text}")
            d = e + 1
        out = f"{self._zone} {', '.join(groups)}"
        hol = []
        if self._country:
            hol.append(self._country + (f"-{self._subdivision}" if self._subdivision else ""))
        if self._dates:
            n = len(self._dates)
            hol.append(f"{n} date" if n == 1 else f"{n} dates")
        if hol:
            out += ", holidays " + " + ".join(hol)
        return out

    # ----------------------------------------------------------------- holidays and days

    def _holidays_of(self, year: int) -> frozenset[date]:
        got = self._holiday_cache.get(year)
        if got is None:
            days = {d for d in self._dates if d.year == year}
            if self._country is not None:
                days.update(_holidays.country_holidays(self._country, subdiv=self._subdivision, years=year).keys())
            got = frozenset(days)
            self._holiday_cache[year] = got
        return got

    def is_business_day(self, day: date) -> bool:
        """A local date with opening hours that is not a holiday (docs/INTERFACE.md "Time")."""
        if self._always:
            return True
        return bool(self._week[day.weekday()]) and day not in self._holidays_of(day.year)

    def _local_ts(self, day: date, minute: int) -> int:
        if minute >= _DAY_MINUTES:
            day = day + _ONE_DAY
            minute -= _DAY_MINUTES
        h, m = divmod(minute, 60)
        return int(datetime(day.year, day.month, day.day, h, m, tzinfo=self._tz).timestamp())

    def _year_intervals(self, year: int) -> list[Interval]:
        """Open intervals (UTC, sorted, merged) of the local dates of ``year``, cached."""
        got = self._year_cache.get(year)
        if got is not None:
            return got
        if len(self._year_cache) >= _MAX_CACHED_YEARS:
            self._year_cache.clear()
        out: list[Interval] = []
        hol = self._holidays_of(year)
        week = self._week
        day = date(year, 1, 1)
        while day.year == year:
            spans = week[day.weekday()]
            if spans and day not in hol:
                for o, c in spans:
                    s, e = self._local_ts(day, o), self._local_ts(day, c)
                    if e <= s:
                        continue  # swallowed by a DST gap
                    if out and s <= out[-1][1]:  # touching (24:00 then 00:00) or DST overlap
                        if e > out[-1][1]:
                            out[-1] = (out[-1][0], e)
                    else:
                        out.append((s, e))
            day += _ONE_DAY
        self._year_cache[year] = out
        return out

    def _year_days(self, year: int) -> _YearDays:
        """Local days of ``year`` for ``add_business_days``, cached like ``_year_intervals``.

        A day is *plain* when it lasts 24 h and both its midnight instants read back as local
        00:00: the UTC offset is then the same at both ends, and as tzdata never puts two offset
        changes within a day of each other (the closest pair, over all zones and years, is about
        4 days apart), nothing changes in between. Each wall time of a plain day then exists exactly once, at
        its midnight instant + seconds of day, which is also what zoneinfo gives with fold=0.
        """
        got = self._day_cache.get(year)
        if got is not None:
            return got
        if len(self._day_cache) >= _MAX_CACHED_YEARS:
            self._day_cache.clear()
        tz, week, hol = self._tz, self._week, self._holidays_of(year)
        first, last = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
        days = [date.fromordinal(o) for o in range(first, last + 1)]  # + the next 1 January
        midnights = [self._local_ts(d, 0) for d in days]
        # False when midnight falls in a DST gap or the offset changes at that very instant.
        reads_back = [
            datetime.fromtimestamp(m, tz).replace(tzinfo=None) == datetime(d.year, d.month, d.day)
            for d, m in zip(days, midnights, strict=True)
        ]
        plain = bytes(
            reads_back[i] and reads_back[i + 1] and midnights[i + 1] - midnights[i] == _DAY_SECONDS
            for i in range(last - first)
        )
        business = [d.toordinal() for d in days[:-1] if week[d.weekday()] and d not in hol]
        got = (midnights, plain, business)
        self._day_cache[year] = got
        return got

    # ----------------------------------------------------------------- the interval cache

    def _build(self, lo_year: int, hi_year: int) -> _Segment:
        if lo_year < _MIN_YEAR or hi_year > _MAX_YEAR:
            raise CalendarRangeError(f"instant outside the supported calendar years {_MIN_YEAR}-{_MAX_YEAR}")
        starts: list[int] = []
        ends: list[int] = []
        cum = [0]
        total = 0
        for year in range(lo_year, hi_year + 1):
            for s, e in self._year_intervals(year):
                if ends and s <= ends[-1]:
                    if e > ends[-1]:  # merge across the year boundary
                        total += e - ends[-1]
                        ends[-1] = e
                        cum[-1] = total
                    continue
                starts.append(s)
                ends.append(e)
                total += e - s
                cum.append(total)
        lo = self._local_ts(date(lo_year, 1, 1), 0)
        hi = self._local_ts(date(hi_year + 1, 1, 1), 0)
        return (lo, hi, starts, ends, cum, lo_year, hi_year)

    def _cover(self, a: int, b: int) -> _Segment:
        """Return (and install) a segment whose ``[lo, hi)`` contains both ``a`` and ``b``."""
        with self._lock:
            seg = self._seg
            if seg is not None and seg[0] <= a and b < seg[1]:
                return seg
            ya, yb = _utc_year(a), _utc_year(b)
            if seg is None or ya > seg[6] + _MAX_GAP_YEARS or yb < seg[5] - _MAX_GAP_YEARS:
                lo_year, hi_year = ya, yb
            else:
                lo_year, hi_year = min(seg[5], ya), max(seg[6], yb)
            seg = self._build(lo_year, hi_year)
            # The UTC year can differ from the local one around New Year: widen until covered.
            while a < seg[0]:
                seg = self._build(seg[5] - 1, seg[6])
            while b >= seg[1]:
                seg = self._build(seg[5], seg[6] + 1)
            self._seg = seg
            return seg

    def _grow(self, seg: _Segment) -> _Segment:
        """``seg`` extended forward (doubling its span). Prefix sums of ``seg`` stay valid, so
        a position computed on ``seg`` can be looked up in the result."""
        with self._lock:
            cur = self._seg
            if cur is not None and cur[5] == seg[5] and cur[6] > seg[6]:
                return cur  # another caller already grew it
            span = seg[6] - seg[5] + 1
            new = self._build(seg[5], min(seg[6] + span, _MAX_YEAR))
            if new[6] == seg[6]:
                raise CalendarRangeError(f"instant beyond the supported calendar years {_MIN_YEAR}-{_MAX_YEAR}")
            self._seg = new
            return new

    def _segment(self, t: int) -> _Segment:
        seg = self._seg
        if seg is None or not (seg[0] <= t < seg[1]):
            seg = self._cover(t, t)
        return seg

    def _build_days(self, lo_year: int, hi_year: int) -> _DayTable:
        """Join the cached years into one table, so a look-up is a bisect and a few indexings."""
        first = date(lo_year, 1, 1).toordinal()
        week_seconds = [tuple((60 * o, 60 * c) for o, c in spans) for spans in self._week]
        midnights: list[int] = []
        plain = bytearray()
        business: list[int] = []
        hours: list[tuple[Interval, ...]] = []
        for year in range(lo_year, hi_year + 1):
            m, p, b = self._year_days(year)
            if midnights:
                midnights.pop()  # the previous year's extra entry is this year's first midnight
            midnights += m
            plain += p
            business += (o - first for o in b)
            hours += (week_seconds[date.fromordinal(o).weekday()] for o in b)
        seen = [0] * len(plain)
        for j, k in enumerate(business):
            seen[k] = j + 1
        for k in range(1, len(seen)):
            seen[k] = seen[k] or seen[k - 1]
        return (midnights, bytes(plain), seen, business, hours, lo_year, hi_year)

    def _cover_days(self, start: int) -> _DayTable:
        """Return (and install) a day table holding the local year of ``start`` and the next
        one, so N business days up to about a year ahead are table look-ups. Widened like
        ``_cover``, but a far jump or more than ``_MAX_CACHED_YEARS`` years starts afresh."""
        year = datetime.fromtimestamp(start, self._tz).year
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise CalendarRangeError(f"instant outside the supported calendar years {_MIN_YEAR}-{_MAX_YEAR}")
        lo, hi = year, min(year + 1, _MAX_YEAR)
        with self._lock:
            days = self._days
            if days is not None:
                if days[5] <= lo and hi <= days[6]:
                    return days
                if lo <= days[6] + _MAX_GAP_YEARS and hi >= days[5] - _MAX_GAP_YEARS:
                    wide_lo, wide_hi = min(days[5], lo), max(days[6], hi)
                    if wide_hi - wide_lo < _MAX_CACHED_YEARS:
                        lo, hi = wide_lo, wide_hi
            days = self._build_days(lo, hi)
            self._days = days
            return days

    def _business_days_by_table(self, days: _DayTable, start: int, n: int) -> int | None:
        """``add_business_days`` from the open instant ``start`` by look-ups in ``days``; None
        unless the local days of ``start`` and of the result are plain days of the table."""
        midnights, plain, seen, business = days[0], days[1], days[2], days[3]
        k = bisect_right(midnights, start) - 1
        if k < 0 or k >= len(plain) or not plain[k]:
            return None
        second = start - midnights[k]
        if not 0 <= second < _DAY_SECONDS:  # only if a zone ever made midnights go backwards
            return None
        j = seen[k] + n - 1
        if j >= len(business):
            return None
        g = business[j]
        if not plain[g]:
            return None
        wall = midnights[g] + second
        # A plain business day's open intervals are its midnight + its opening hours, so a wall
        # time inside them is its own next_open.
        for o, c in days[4][j]:
            if o <= second < c:
                return wall
        return self.next_open(wall)

    def _business_days_by_new_table(self, start: int, n: int, tried: _DayTable | None) -> int | None:
        """``_business_days_by_table`` on a table widened to ``start``; None if none helps."""
        try:
            days = self._cover_days(start)
        except (OverflowError, ValueError, OSError):
            return None  # beyond what a table can hold: the exact code decides (and raises)
        return None if days is tried else self._business_days_by_table(days, start, n)

    # ----------------------------------------------------------------- queries

    def is_open(self, t: int) -> bool:
        """Whether instant ``t`` is in opening hours (open at 09:00:00, closed at 17:00:00)."""
        if self._always:
            return True
        _, _, starts, ends, _, _, _ = self._segment(t)
        i = bisect_right(starts, t) - 1
        return i >= 0 and t < ends[i]

    def next_open(self, t: int) -> int:
        """``t`` if open, else the start of the next open interval."""
        if self._always:
            return t
        seg = self._segment(t)
        while True:
            _, _, starts, ends, _, _, _ = seg
            i = bisect_right(starts, t) - 1
            if i >= 0 and t < ends[i]:
                return t
            if i + 1 < len(starts):
                return starts[i + 1]
            seg = self._grow(seg)

    def add(self, t: int, seconds: int) -> int:
        """Due instant of a target of ``seconds`` open seconds started at ``t``.

        The earliest instant ``x`` that is open or an interval start with ``between(t, x) ==
        seconds``: a target used up exactly at closing time is due at the next opening, and
        ``add(t, 0) == next_open(t)``.
        """
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        if self._always:
            return t + seconds
        seg = self._segment(t)
        _, _, starts, ends, cum, _, _ = seg
        i = bisect_right(starts, t) - 1
        if i < 0:
            target = seconds
        else:
            e = ends[i]
            target = cum[i] + (t if t < e else e) - starts[i] + seconds
        while True:
            cum = seg[4]
            k = bisect_right(cum, target)  # first k with cum[k] > target
            if k < len(cum):
                return seg[2][k - 1] + target - cum[k - 1]
            seg = self._grow(seg)

    def between(self, a: int, b: int) -> int:
        """Open seconds in ``[a, b)``; 0 when ``b <= a``."""
        if b <= a:
            return 0
        if self._always:
            return b - a
        seg = self._seg
        if seg is None or not (seg[0] <= a and b < seg[1]):
            seg = self._cover(a, b)
        _, _, starts, ends, cum, _, _ = seg
        i = bisect_right(starts, a) - 1
        if i < 0:
            fa = 0
        else:
            e = ends[i]
            fa = cum[i] + (a if a < e else e) - starts[i]
        j = bisect_right(starts, b, i if i > 0 else 0) - 1
        if j < 0:
            return 0
        e = ends[j]
        return cum[j] + (b if b < e else e) - starts[j] - fa

    def open_intervals(self, a: int, b: int) -> list[Interval]:
        """The open stretches of ``[a, b)`` as UTC ``(start, end)`` pairs, clipped to it, in order:
        what ``between(a, b)`` counts, one pair per opening (explanations list them). A ``24x7``
        calendar gives ``[(a, b)]``; nothing when ``b <= a``."""
        if b <= a:
            return []
        if self._always:
            return [(a, b)]
        seg = self._seg
        if seg is None or not (seg[0] <= a and b < seg[1]):
            seg = self._cover(a, b)
        _, _, starts, ends, _, _, _ = seg
        out: list[Interval] = []
        k = max(bisect_right(starts, a) - 1, 0)
        while k < len(starts) and starts[k] < b:
            s, e = max(starts[k], a), min(ends[k], b)
            if s < e:
                out.append((s, e))
            k += 1
        return out

    def add_business_days(self, t: int, n: int) -> int:
        """Same local wall time on the N-th following business day after ``next_open(t)``,
        then ``next_open`` of that instant (docs/INTERFACE.md). On 24x7: ``t + n * 86400``.

        Day-table look-ups give exactly ``_add_business_days_exact``'s result; the days the
        table cannot answer for (DST switches, years out of reach) are left to the walk."""
        return self._business_days(t, n, use_table=True)

    def _add_business_days_exact(self, t: int, n: int) -> int:
        """Reference for ``add_business_days``: walks the days and converts with zoneinfo."""
        return self._business_days(t, n, use_table=False)

    def _business_days(self, t: int, n: int, use_table: bool) -> int:
        if n < 0:
            raise ValueError(f"business days must be >= 0, got {n}")
        if self._always:
            return t + n * 86400
        start = self.next_open(t)
        if n == 0:
            return start
        if use_table:
            days = self._days
            due = None if days is None else self._business_days_by_table(days, start, n)
            if due is None:
                due = self._business_days_by_new_table(start, n, days)
            if due is not None:
                return due
        local = datetime.fromtimestamp(start, self._tz)
        day = local.date()
        count = 0
        while count < n:
            day += _ONE_DAY
            if day.year > _MAX_YEAR:
                raise CalendarRangeError(f"instant beyond the supported calendar years {_MIN_YEAR}-{_MAX_YEAR}")
            if self._week[day.weekday()] and day not in self._holidays_of(day.year):
                count += 1
        # fold=0: an ambiguous wall time is its first occurrence, a missing one lands after the gap.
        wall = datetime(day.year, day.month, day.day, local.hour, local.minute, local.second, tzinfo=self._tz)
        return self.next_open(int(wall.timestamp()))

    def due(self, t: int, duration: Duration) -> int:
        """Due instant of ``duration`` started at ``t`` (minutes/hours or business days)."""
        if duration.is_business_days:
            return self.add_business_days(t, duration.amount)
        return self.add(t, duration.amount * 60)


_ALWAYS_OPEN: Final = BusinessCalendar._make_always_open()


def _always_open() -> BusinessCalendar:
    """The `24x7` calendar (what a pickled one becomes: one instance, as `is` comparisons expect)."""
    return _ALWAYS_OPEN


# --------------------------------------------------------------------------- specs

_HOLIDAY_KEYS: Final = ("country", "subdivision", "dates")


def timezone_attribute(spec: Any) -> str | None:
    """Ticket attribute that supplies the zone (``timezone: {attr: timezone, ...}``), if any.

    The engine reads that attribute and passes it as ``calendar_from_spec(..., timezone=)``.
    """
    if isinstance(spec, Mapping):
        tz = spec.get("timezone")
        if isinstance(tz, Mapping) and isinstance(tz.get("attr"), str):
            return tz["attr"]
    return None


def holiday_country_attribute(spec: Any) -> str | None:
    """Ticket attribute that supplies the holiday country (``holidays: {country: {attr: country,
    default: FR}}``), if any: customer-local calendars close on the customer's public holidays."""
    if isinstance(spec, Mapping) and isinstance(spec.get("holidays"), Mapping):
        country = spec["holidays"].get("country")
        if isinstance(country, Mapping) and isinstance(country.get("attr"), str):
            return country["attr"]
    return None


def _spec_country(hol: Mapping[str, Any], override: Any) -> tuple[Any, Any]:
    """(country, subdivision): a ticket's country (override) drops the spec's subdivision."""
    country, subdivision = hol.get("country"), hol.get("subdivision")
    if isinstance(country, Mapping):
        extra = sorted(str(k) for k in country if k not in ("attr", "default"))
        if extra or not isinstance(country.get("attr"), str) or not isinstance(country.get("default"), str):
            raise ValueError(f"bad holiday country {dict(country)!r}: expected a country code or "
                             "{attr: <ticket attribute>, default: <country code>}")
        country = country["default"]
    if override is not None and override != country:
        _check_country(override, None)
        return override, None
    return country, subdivision


def _spec_zone(spec: Mapping[str, Any], override: Any) -> str:
    if override is not None:
        load_zone(override)
        return override
    tz = spec.get("timezone")
    if tz is None:
        raise ValueError(
            "calendar has no 'timezone': expected an IANA name like 'Europe/London' or "
            "{attr: timezone, default: Europe/Paris}"
        )
    if isinstance(tz, Mapping):
        extra = sorted(str(k) for k in tz if k not in ("attr", "default"))
        if extra or not isinstance(tz.get("attr"), str):
            raise ValueError(
                f"bad timezone {dict(tz)!r}: expected an IANA name or {{attr: <ticket "
                "attribute>, default: <IANA name>}"
            )
        default = tz.get("default")
        if default is None:
            raise ValueError(
                f"calendar timezone comes from ticket attribute '{tz['attr']}' and has no "
                "'default': expected a default IANA name for tickets without it"
            )
        load_zone(default)
        return default
    load_zone(tz)
    return tz


def calendar_from_spec(spec: Any, timezone: Any = None, country: Any = None) -> BusinessCalendar:
    """Build a calendar from its docs/FORMAT.md ``calendars`` entry, or ``"24x7"``.

    ``timezone`` (when not None) replaces the spec's zone: it is the ticket's ``timezone``
    attribute for customer-local hours; ``country`` likewise replaces the holiday country (the
    ticket's country attribute, see ``holiday_country_attribute``). Keys other than timezone/hours/holidays (``clause``,
    ...) are left to the schema. Equal specs return the same shared instance, so per-ticket
    zones do not rebuild year tables for every ticket. ``timezone`` and ``country`` are typed Any
    because they are a ticket's attribute values, checked here (a number is a ValueError, not the
    TypeError the compiled build would raise for a parameter typed str).
    """
    if spec == "24x7":
        return _ALWAYS_OPEN
    if not isinstance(spec, Mapping):
        raise ValueError(
            f"bad calendar {spec!r}: expected '24x7' or a mapping with timezone, hours and optional holidays"
        )
    zone = _spec_zone(spec, timezone)
    if "hours" not in spec:
        raise ValueError("calendar has no 'hours': expected e.g. {mon-fri: ['09:00-17:00']}")
    week = parse_hours(spec["hours"])
    if not any(week):
        raise ValueError("calendar has no opening hours")
    hol = spec.get("holidays")
    ticket_country, country, subdivision = country, None, None
    dates: frozenset[date] = frozenset()
    if hol is not None:
        if not isinstance(hol, Mapping):
            raise ValueError(f"bad holidays {hol!r}: expected a mapping with country, subdivision, dates")
        unknown = [str(k) for k in hol if k not in _HOLIDAY_KEYS]
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}' in holidays: expected country, subdivision or dates")
        country, subdivision = _spec_country(hol, ticket_country)
        raw_dates = hol.get("dates") or []
        if not isinstance(raw_dates, list | tuple):
            raise ValueError(f"bad holiday dates {raw_dates!r}: expected a list of dates 'YYYY-MM-DD'")
        dates = frozenset(parse_holiday_date(d) for d in raw_dates)
        if country is not None:
            _check_country(country, subdivision)  # the precise message; `_shared_calendar` does not check
    return _shared_calendar(zone, week, dates, country, subdivision)


def localise(calendar: BusinessCalendar, timezone: Any = None, country: Any = None) -> BusinessCalendar:
    """``calendar`` read in a ticket's zone and/or with a ticket's holiday country, from the built
    calendar alone (no spec): ``localise(calendar_from_spec(spec), tz, c)`` is
    ``calendar_from_spec(spec, tz, c)`` for a spec whose holiday country comes from an attribute.

    Like ``calendar_from_spec``: a country other than the calendar's own drops its subdivision,
    and a bad zone or country raises ``ValueError`` with the same message (so both are Any).
    """
    if calendar.is_always_open or (timezone is None and country is None):
        return calendar
    zone = calendar.timezone
    if timezone is not None:
        load_zone(timezone)
        zone = timezone
    own, subdivision = calendar.country, calendar.subdivision
    if country is not None and country != own:
        _check_country(country, None)
        own, subdivision = country, None
    return _shared_calendar(zone, calendar.weekly_hours, calendar.holiday_dates, own, subdivision)


@lru_cache(maxsize=1024)
def _shared_calendar(
    zone: str,
    week: WeeklyHours,
    dates: frozenset[date],
    country: str | None,
    subdivision: str | None,
) -> BusinessCalendar:
    """The one calendar of these parts. Its holiday country is not checked here: the callers
    (`calendar_from_spec`, `localise`) check it first, and a pickled calendar (`__reduce__`) was
    checked when it was built; checking imports the country's holiday module, which a cached
    command would otherwise pay at start-up for every country, used or not."""
    return BusinessCalendar(
        zone,
        {d: spans for d, spans in enumerate(week) if spans},
        holidays=dates,
        country=country,
        subdivision=subdivision,
        _country_checked=True,
    )

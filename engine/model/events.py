"""Events in (docs/INTERFACE.md): parsing and checking one JSON object into an `Event`.

The checks mirror `schemas/event.schema.json` but are hand-written for the hot path (a jsonschema
call per event would cost more than evaluating it); `tests/model/test_events.py` keeps the two in step.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from engine.model.errors import EventError  # re-exported: where callers have always imported it from
from engine.model.jsonio import fast_loads
from engine.model.vocabulary import CHANNELS as _CHANNELS
from engine.model.vocabulary import EXTERNAL_EVENTS

EVENT_TYPES: Final = frozenset(EXTERNAL_EVENTS)  # what a log may carry (the vocabulary, as a set)
CHANNELS: Final = frozenset(_CHANNELS)
_BOOL_ATTRS: Final = ("production", "named_contact", "consent", "azure", "around_the_clock")
# Attributes the engine looks values up with (targets by severity, calendars by region and country,
# exclusions by category): a list or an object there is refused with a reason, not a crash later.
_KEY_ATTRS: Final = ("severity", "plan", "region", "category", "country")
_CHECKED_ATTRS: Final = frozenset({*_BOOL_ATTRS, "info", "by", "timezone"})  # what `_check_attrs` looks at after those
# RFC 3339 date-time (the `at` pattern of schemas/event.schema.json): `datetime.fromisoformat` alone
# also takes ISO 8601 forms RFC 3339 does not (20260302T1650Z, 2026-W10-1, +0100, no seconds).
_RFC3339: Final = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
# The fast path of `parse_instant` splits `2026-03-02T16:50:00+01:00` into three table lookups:
# `2026-03-02T16` (`_hour_start`), `:50:00` and `+01:00` (or `Z`); each table holds only valid text.
_ZONE_NAME: Final = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")  # the shape of an IANA name (attrs.timezone)
_SECONDS_INTO_HOUR: Final = {f":{m:02}:{s:02}": m * 60 + s for m in range(60) for s in range(60)}
_OFFSET_SECONDS: Final = {"Z": 0, "z": 0} | {
    f"{sign}{h:02}:{m:02}": factor * (h * 3600 + m * 60)
    for sign, factor in (("+", 1), ("-", -1)) for h in range(24) for m in range(60)
}
_HOUR_SHAPE: Final = bytes.maketrans(b"0123456789t ", b"0000000000TT")  # ASCII digits -> 0, the 3 date-time separators -> T
_UNIX_EPOCH_DAY: Final = date(1970, 1, 1).toordinal()
_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# The instants the engine accepts: UTC years FIRST_YEAR..LAST_YEAR. Python's dates end at years 1 and
# 9999, and the engine adds durations to instants (a deadline is the start plus a target of at most
# about a year, counted in business time, so a few calendar years at most); an instant near either
# end made that date arithmetic overflow and abort the whole replay. Centuries of margin on both
# sides make that impossible for any duration a contract may hold; every real ticket log fits, and
# the years stay four digits, so instants sort and print as text.
FIRST_YEAR, LAST_YEAR = 1900, 2199
MIN_INSTANT: Final = (date(FIRST_YEAR, 1, 1).toordinal() - _UNIX_EPOCH_DAY) * 86400  # 1900-01-01T00:00:00Z
MAX_INSTANT: Final = (date(LAST_YEAR + 1, 1, 1).toordinal() - _UNIX_EPOCH_DAY) * 86400 - 1  # 2199-12-31T23:59:59Z
# An hour of local time the fast path may take without a range check: at least a day inside the
# range, so that no offset (< 24 h) nor minute of the hour can carry the instant out of it.
_FAST_FIRST_HOUR: Final = MIN_INSTANT + 86400
_FAST_LAST_HOUR: Final = MAX_INSTANT + 1 - 86400 - 3600
_ORJSON_LOADS: Final = orjson.loads  # a C static in the compiled build: no module attribute look-up per line
_HOUR_MINUTE: Final = tuple(f"{h:02}:{m:02}" for h in range(24) for m in range(60))  # for format_instant
_SECOND_Z: Final = tuple(f":{s:02}Z" for s in range(60))


# Every code a reject may carry (docs/REJECTS.md lists them with examples); tests check raisers use only these.
REJECT_CODES: Final = frozenset({
    "invalid-json",        # not JSON, or beyond parse_json's limits (NaN/Infinity, 1e999, deep nesting, ...)
    "invalid-encoding",    # the line is not UTF-8
    "invalid-event",       # a required field is missing or has the wrong type or value
    "invalid-instant",     # `at` (or another instant) is not RFC 3339 with an offset, or out of range
    "duplicate-id",        # an event id seen before (counted, not written as a reject)
    "late-event",          # earlier than the stream's current time
    "unknown-contract",
    "no-version-in-force", # `opened` at an instant no version of its contract is in force (effective_from/to)
    "unknown-ticket",      # no `opened` before it
    "already-open",        # a second `opened` for one ticket
    "contract-mismatch",   # the event names another contract than its ticket's
    "unknown-severity",    # a severity the ticket's contract does not define
    "unknown-timezone",    # a `timezone` attribute (or a calendar's zone attribute) that is not an IANA zone
    "unknown-country",     # a holiday-country attribute a calendar cannot use
    "invalid-attribute",   # an attribute the contract declares (`attributes:`) given a wrong type or value
    "calendar-range",      # a target its contract's calendar cannot reach (open too rarely): ticket quarantined
    "rule-loop",           # the contract's rules kept re-activating on this event
    "quarantined",         # its ticket was quarantined by an earlier rule loop
})


@dataclass(slots=True)
class Event:
    """A parsed event (treated as immutable)."""

    id: str
    ticket: str
    at: int  # seconds since the epoch, UTC
    type: str
    contract: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    # Written out, as Action's (engine.model.actions): the compiled build runs this one as C, while
    # the one @dataclass generates stays interpreted (one call per event).
    def __init__(self, id: str, ticket: str, at: int, type: str, contract: str | None = None,
                 attrs: dict[str, Any] | None = None) -> None:
        self.id = id
        self.ticket = ticket
        self.at = at
        self.type = type
        self.contract = contract
        self.attrs = {} if attrs is None else attrs

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its fields, given back to __init__ (the external sort's runs, `--jobs`): the
        compiled class's __new__ would call it without them."""
        return (Event, (self.id, self.ticket, self.at, self.type, self.contract, self.attrs))


def parse_instant(text: Any, what: str = "at") -> int:
    """RFC 3339 with an offset (or Z) -> epoch seconds; sub-second digits are dropped. Raises
    EventError (code `invalid-instant`) for anything else, and for instants outside the years
    FIRST_YEAR..LAST_YEAR (UTC), which the engine's date arithmetic must never see.

    Runs once per event, so the shapes events use (`...T16:50:00Z`, `...T16:50:00+01:00`) take three
    dictionary lookups (a regex and an aware datetime cost three times as much); the rest (fractions,
    errors) goes through `_parse_instant_in_full`, which defines what is accepted, what it is worth
    and the wording of every rejection.
    """
    if (text.__class__ is str
            and (offset := _OFFSET_SECONDS.get(text[19:])) is not None
            and (into_hour := _SECONDS_INTO_HOUR.get(text[13:19])) is not None
            and (hour := _hour_start(text[:13])) is not None):
        return hour + into_hour - offset
    return _parse_instant_in_full(text, what)


@lru_cache(maxsize=4096)
def _hour_start(text: str) -> int | None:
    """`2026-03-02T16` -> epoch seconds of that hour (UTC), None if not a real one or too near the
    ends of the supported range (the full path checks those exactly); remembered, as most events
    share the hour of the one before, so the range check costs nothing."""
    if not (text.isascii() and text.encode().translate(_HOUR_SHAPE) == b"0000-00-00T00" and text[11:13] < "24"):
        return None
    try:
        day = date.fromisoformat(text[:10])  # month 01-12, day of that month, year 0001-9999
    except ValueError:
        return None
    hour = (day.toordinal() - _UNIX_EPOCH_DAY) * 86400 + int(text[11:13]) * 3600
    return hour if _FAST_FIRST_HOUR <= hour <= _FAST_LAST_HOUR else None


def _parse_instant_in_full(text: Any, what: str) -> int:
    """Any RFC 3339 instant (with a fraction too) and the reason for each rejection: the reference."""
    if not isinstance(text, str):
        raise EventError(f"'{what}' must be an RFC 3339 string with an offset, got {text!r}", "invalid-instant")
    if _RFC3339.fullmatch(text) is None:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?", text):
            raise EventError(f"'{what}' has no offset: {text!r}; expected e.g. 2026-03-02T16:50:00+01:00 or ...Z",
                             "invalid-instant")
        raise EventError(f"'{what}' is not an RFC 3339 instant: {text!r}; expected e.g. 2026-03-02T16:50:00+01:00",
                         "invalid-instant")
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError as exc:
        raise EventError(f"'{what}' is not a valid instant: {text!r} ({exc})", "invalid-instant") from None
    # whole seconds, floored (int(timestamp()) rounded instants before 1970 up), in exact integers
    seconds = (moment.replace(microsecond=0) - _UNIX_EPOCH) // timedelta(seconds=1)
    if not MIN_INSTANT <= seconds <= MAX_INSTANT:
        raise EventError(f"'{what}' is out of range: {text!r}; instants must lie in the years {FIRST_YEAR} to "
                         f"{LAST_YEAR} (UTC)", "invalid-instant")
    return seconds


def format_instant(t: int) -> str:
    """Epoch seconds -> `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, always a four-digit year; ValueError or
    OverflowError outside the years 1-9999). Every action's `at` and `due` go through here: the date
    part is formatted once per day, the time from tables."""
    day = t // 86400  # (floor division and a product: native integer operations in the compiled build,
    second = t - day * 86400  # where divmod() is a call into the interpreter's generic number protocol)
    return _day_text(day) + _HOUR_MINUTE[second // 60] + _SECOND_Z[second % 60]


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    """Days since the epoch -> `YYYY-MM-DDT`, padded by hand: strftime's %Y writes year 1 as `1` on Linux."""
    moment = date.fromordinal(day + _UNIX_EPOCH_DAY)
    return f"{moment.year:04}-{moment.month:02}-{moment.day:02}T"


# Limits on a log line's JSON beyond the grammar (RFC 8259 leaves them to the reader; I-JSON, RFC
# 7493, sets most): a value Python would turn into something no event means, or fail on, is refused.
MAX_DEPTH: Final = 32  # arrays/objects inside one another; json.loads itself fails (RecursionError) near 1000
MAX_INT_DIGITS: Final = 4300  # Python's own limit for int(text) (3.11), fixed here whatever the interpreter's setting


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS and len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


_DECODER: Final = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)


def parse_json(text: str) -> Any:
    """One log line's text -> its JSON value, or EventError (code `invalid-json`) with the reason.

    Python's json module takes NaN and Infinity, turns 1e999 into inf, fails with ValueError on a
    5000-digit integer and with RecursionError on deep nesting, and lets `\\ud800` make a string
    that cannot be written back as UTF-8: each of those is a refused line here, never a crash later.
    A str that is not Unicode text (a lone surrogate, as `surrogateescape` makes) is `invalid-encoding`.
    """
    if not text.isascii():  # a flag of the str: free for the usual ASCII line
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventError(f"not UTF-8: the lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start}",
                             "invalid-encoding") from None
    value = fast_loads(text, _strict_decode)
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:  # only lines that may be deep
        raise EventError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", "invalid-json")
    return value


def parse_json_line(text: str) -> Any:
    """`parse_json` of a line cut from a block of text already known to be valid UTF-8 (so without a
    lone surrogate) and to hold no run of 19 digits (engine.model.jsonio): orjson's reading is then
    the json module's, and only the depth is left to check. Same values, same rejects."""
    try:
        value = _ORJSON_LOADS(text)
    except orjson.JSONDecodeError:
        return parse_json(text)  # raises the reason the json module gives
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        return parse_json(text)  # raises
    return value


def _strict_decode(text: str) -> Any:
    """The json module's reading of a line orjson did not take (engine.model.jsonio): its errors are
    the reasons users see, and a lone surrogate escape is refused here as orjson refuses it."""
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise EventError(f"invalid JSON: {exc.msg} at column {exc.colno}", "invalid-json") from None
    except ValueError as exc:  # raised by the hooks above
        raise EventError(f"invalid JSON: {exc}", "invalid-json") from None
    except RecursionError:
        raise EventError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep", "invalid-json") from None
    if "\\u" in text:  # only an escape can still make a lone surrogate (the text is valid Unicode)
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventError(f"invalid JSON: a \\u escape makes the lone surrogate U+{ord(exc.object[exc.start]):04X}, "
                             "which is not a character", "invalid-json") from None
    return value


def _depth(value: Any) -> int:
    """How many arrays/objects deep `value` goes, without recursion (a list of (value, depth) to visit)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:  # deeper than that is all the caller needs to know
            todo.extend((child, level + 1) for child in item)
    return deepest


def parse_event(obj: Any) -> Event:
    """Check one decoded JSON value against docs/INTERFACE.md and build the `Event`."""
    return Event(*event_fields(obj))


def event_fields(obj: Any) -> tuple[str, str, int, str, str | None, dict[str, Any]]:
    """`parse_event`'s checks, returning the fields of the `Event` (id, ticket, at, type, contract,
    attrs) instead of building it: `Engine.process` only reads them, once per event."""
    if not isinstance(obj, dict):
        raise EventError(f"an event must be a JSON object, got {type(obj).__name__}")
    if not ("id" in obj and "ticket" in obj and "at" in obj and "type" in obj):  # a loop costs twice as much
        missing = next(key for key in ("id", "ticket", "at", "type") if key not in obj)
        raise EventError(f"missing required field '{missing}'")
    eid, ticket, kind = obj["id"], obj["ticket"], obj["type"]
    if not isinstance(eid, str) or not eid:
        raise EventError(f"'id' must be a non-empty string, got {eid!r}")
    if not isinstance(ticket, str) or not ticket:
        raise EventError(f"'ticket' must be a non-empty string, got {ticket!r}")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise EventError(f"unknown event type {kind!r}; expected one of {', '.join(sorted(EVENT_TYPES))}")
    at = parse_instant(obj["at"])
    contract = obj.get("contract")
    if contract is not None and not isinstance(contract, str):
        raise EventError(f"'contract' must be a string, got {contract!r}")
    if kind == "opened" and contract is None:
        raise EventError("'opened' needs 'contract'")
    attrs = obj.get("attrs")
    if attrs is None:
        attrs = {}
    elif not isinstance(attrs, dict):
        raise EventError(f"'attrs' must be an object, got {type(attrs).__name__}")
    if attrs or kind == "fulfilled":  # most events carry no attributes: nothing to check
        _check_attrs(kind, attrs)
    return eid, ticket, at, kind, contract, attrs


def _check_attrs(kind: str, attrs: dict) -> None:
    """The checks on an event's `attrs`, in the order their reasons are reported."""
    channel = attrs.get("channel")
    if channel is not None and (not isinstance(channel, str) or channel not in CHANNELS):
        raise EventError(f"attrs.channel is {channel!r}; expected one of {', '.join(_CHANNELS)}")
    for name in _KEY_ATTRS:
        value = attrs.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            raise EventError(f"attrs.{name} must be a string (or a number), got {value!r}")
    if attrs.__class__ is dict and kind != "fulfilled" and _CHECKED_ATTRS.isdisjoint(attrs):
        return  # the usual attributes (severity, plan, ...): one set operation instead of nine lookups
    # (a dict subclass, whose `get` may not agree with its keys, and `fulfilled` take every check below)
    for name in _BOOL_ATTRS:
        value = attrs.get(name)
        if value is not None and not isinstance(value, bool):
            raise EventError(f"attrs.{name} must be true or false, got {value!r}")
    if "info" in attrs and not isinstance(attrs["info"], dict):
        raise EventError(f"attrs.info must be an object, got {attrs['info']!r}")
    if kind == "fulfilled" and not (isinstance(attrs.get("obligation"), str) and attrs["obligation"]):
        raise EventError("'fulfilled' needs attrs.obligation, the id of the obligation that was met")
    if "by" in attrs and not isinstance(attrs["by"], str):
        raise EventError(f"attrs.by must be a string (vendor, customer, ...), got {attrs['by']!r}")
    if "timezone" in attrs:
        zone = attrs["timezone"]
        if not isinstance(zone, str):
            raise EventError(f"attrs.timezone must be an IANA zone name, got {zone!r}")
        problem = zone_problem(zone)
        if problem is not None:
            raise EventError(f"attrs.timezone is {zone!r}: {problem}", "unknown-timezone")


@lru_cache(maxsize=1024)
def zone_problem(name: str) -> str | None:
    """Why `name` is not an IANA zone this machine can load (None if it is one), asked of zoneinfo
    once per name: an event is refused for it here, so that the calendars never see a bad zone.
    `localtime` is the host's own zone, not an IANA name: a replay must not depend on the machine."""
    expected = "expected an IANA time zone name like 'Europe/Paris' or 'UTC'"
    if _ZONE_NAME.fullmatch(name) is None:  # what schemas/event.schema.json allows: no path, no space
        return f"not a time zone name; {expected}"
    if name == "localtime":
        return f"the host's local zone is not an IANA name; {expected}"
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return f"no such time zone; {expected}"
    except (ValueError, OSError):  # a path (../x, /x, x/), a file that is not zone data, a directory
        return f"not a time zone name; {expected}"
    return None

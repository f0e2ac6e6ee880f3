"""`engine.events`: the docs/INTERFACE.md event, each malformed variant rejected with a clear reason,
RFC 3339 instants, and the hand-written checks kept in step with schemas/event.schema.json."""

from __future__ import annotations

import json
import re
from collections import OrderedDict, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.language.schema import instance_errors
from engine.model import events as events_module
from engine.model.events import (
    CHANNELS,
    EVENT_TYPES,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_INSTANT,
    MIN_INSTANT,
    REJECT_CODES,
    Event,
    EventError,
    format_instant,
    parse_event,
    parse_instant,
    parse_json,
    zone_problem,
)

# docs/INTERFACE.md, "Events (input)", verbatim
EXAMPLE = json.loads('{"id": "e-17", "ticket": "T-1001", "at": "2026-03-02T16:50:00+01:00", "type": "opened", '
                     '"contract": "adobe", "attrs": {"plan": "ultimate", "region": "emea", "severity": "P2", "channel": "web"}}')


def event(**changes):
    """The docs/INTERFACE.md example with fields replaced (a value of DROP removes the field)."""
    out = json.loads(json.dumps(EXAMPLE))
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def with_attrs(**attrs):
    return event(attrs={**EXAMPLE["attrs"], **attrs})


DROP = object()


def test_the_interface_example_is_accepted():
    ev = parse_event(EXAMPLE)
    assert ev == Event("e-17", "T-1001", int(datetime(2026, 3, 2, 15, 50, tzinfo=UTC).timestamp()), "opened", "adobe",
                       {"plan": "ultimate", "region": "emea", "severity": "P2", "channel": "web"})
    assert format_instant(ev.at) == "2026-03-02T15:50:00Z"
    assert instance_errors(EXAMPLE, "event") == []


def test_every_event_type_of_interface_md_is_accepted():
    types = ["opened", "acknowledged", "updated", "responded", "info_requested", "info_provided", "escalation_requested",
             "reclassification_requested", "resolved", "reopened", "closed", "rca_requested", "incident_declared"]
    for kind in types:
        ev = event(type=kind, contract="adobe" if kind == "opened" else DROP)
        assert parse_event(ev).type == kind
        assert instance_errors(ev, "event") == []


def test_defaults_and_free_form_attrs():
    ev = parse_event({"id": "e1", "ticket": "T", "at": "2026-03-02T16:50:00Z", "type": "responded"})
    assert (ev.contract, ev.attrs) == (None, {})
    ev = parse_event(event(type="updated", attrs={"severity": "P1", "by": "customer", "consent": True,
                                                  "info": {"report": "x"}, "custom": [1, {"a": None}]}))
    assert ev.attrs["custom"] == [1, {"a": None}]


# --- malformed events, with the reason written to the rejects file ----------------------------

MALFORMED = [
    pytest.param([], "an event must be a JSON object, got list", id="not-an-object"),
    pytest.param("opened", "an event must be a JSON object, got str", id="a-string"),
    pytest.param(None, "an event must be a JSON object, got NoneType", id="null"),
    pytest.param(event(id=DROP), "missing required field 'id'", id="no-id"),
    pytest.param(event(ticket=DROP), "missing required field 'ticket'", id="no-ticket"),
    pytest.param(event(at=DROP), "missing required field 'at'", id="no-at"),
    pytest.param(event(type=DROP), "missing required field 'type'", id="no-type"),
    pytest.param(event(id=""), "'id' must be a non-empty string, got ''", id="empty-id"),
    pytest.param(event(id=17), "'id' must be a non-empty string, got 17", id="numeric-id"),
    pytest.param(event(ticket=""), "'ticket' must be a non-empty string, got ''", id="empty-ticket"),
    pytest.param(event(ticket=["T-1"]), "'ticket' must be a non-empty string, got ['T-1']", id="list-ticket"),
    pytest.param(event(type="open"), "unknown event type 'open'; expected one of acknowledged, closed,", id="unknown-type"),
    pytest.param(event(type="breach"), "unknown event type 'breach'", id="internal-type"),
    pytest.param(event(type=["opened"]), "unknown event type ['opened']", id="list-type"),
    pytest.param(event(type={"t": 1}), "unknown event type {'t': 1}", id="object-type"),
    pytest.param(event(at="2026-03-02T16:50:00"), "'at' has no offset: '2026-03-02T16:50:00'", id="no-offset"),
    pytest.param(event(at="2026-03-02"), "'at' is not an RFC 3339 instant: '2026-03-02'", id="date-only"),
    pytest.param(event(at="yesterday"), "'at' is not an RFC 3339 instant", id="words"),
    pytest.param(event(at=1772466600), "'at' must be an RFC 3339 string with an offset, got 1772466600", id="epoch"),
    pytest.param(event(at="2026-02-30T10:00:00Z"), "'at' is not a valid instant: '2026-02-30T10:00:00Z'", id="feb-30"),
    pytest.param(event(contract=DROP), "'opened' needs 'contract'", id="opened-without-contract"),
    pytest.param(event(contract=None), "'opened' needs 'contract'", id="opened-with-null-contract"),
    pytest.param(event(contract=7), "'contract' must be a string, got 7", id="numeric-contract"),
    pytest.param(event(attrs=[]), "'attrs' must be an object, got list", id="list-attrs"),
    pytest.param(event(attrs="plan=expert"), "'attrs' must be an object, got str", id="text-attrs"),
    pytest.param(with_attrs(channel="fax"), "attrs.channel is 'fax'; expected one of phone, email, web, chat", id="channel"),
    pytest.param(with_attrs(channel=["web"]), "attrs.channel is ['web']", id="list-channel"),
    pytest.param(with_attrs(channel="Web"), "attrs.channel is 'Web'", id="channel-case"),
    # the engine looks targets, calendars and exclusions up by these: a list or object crashed a lookup
    pytest.param(with_attrs(severity=["P1"]), "attrs.severity must be a string (or a number), got ['P1']", id="list-severity"),
    pytest.param(with_attrs(region={"r": 1}), "attrs.region must be a string (or a number), got {'r': 1}", id="object-region"),
    pytest.param(with_attrs(country=["FR"]), "attrs.country must be a string (or a number), got ['FR']", id="list-country"),
    pytest.param(with_attrs(production="yes"), "attrs.production must be true or false, got 'yes'", id="production"),
    pytest.param(with_attrs(production=1), "attrs.production must be true or false, got 1", id="production-1"),
    pytest.param(with_attrs(named_contact=0), "attrs.named_contact must be true or false", id="named-contact"),
    pytest.param(with_attrs(consent="true"), "attrs.consent must be true or false", id="consent"),
    pytest.param(with_attrs(azure="no"), "attrs.azure must be true or false", id="azure"),
    pytest.param(with_attrs(around_the_clock=1), "attrs.around_the_clock must be true or false", id="around-the-clock"),
    pytest.param(with_attrs(info="report, steps"), "attrs.info must be an object, got 'report, steps'", id="info"),
    pytest.param(with_attrs(info=None), "attrs.info must be an object, got None", id="info-null"),
    pytest.param(with_attrs(timezone=1), "attrs.timezone must be an IANA zone name, got 1", id="timezone"),
    pytest.param(with_attrs(timezone="Mars/Olympus"), "attrs.timezone is 'Mars/Olympus': no such time zone",
                 id="unknown-timezone"),
    pytest.param(with_attrs(timezone="../../etc/passwd"), "attrs.timezone is '../../etc/passwd': not a time zone name",
                 id="path-timezone"),
    pytest.param(event(at="0001-01-02T10:00:00Z"), "'at' is out of range: '0001-01-02T10:00:00Z'; instants must lie in "
                 "the years 1900 to 2199 (UTC)", id="year-1"),
    pytest.param(event(at="9999-12-31T23:00:00Z"), "'at' is out of range: '9999-12-31T23:00:00Z'", id="year-9999"),
]

# The code each MALFORMED case is rejected with (by id); every other case is a shape problem.
CODES = {"epoch": "invalid-instant", "no-offset": "invalid-instant", "date-only": "invalid-instant",
         "words": "invalid-instant", "feb-30": "invalid-instant", "year-1": "invalid-instant",
         "year-9999": "invalid-instant", "unknown-timezone": "unknown-timezone", "path-timezone": "unknown-timezone"}


@pytest.mark.parametrize(("obj", "reason"), MALFORMED)
def test_malformed_events_are_rejected_with_a_clear_reason(obj, reason, request):
    with pytest.raises(EventError) as info:
        parse_event(obj)
    assert reason in str(info.value)
    case = request.node.callspec.id
    assert info.value.code == CODES.get(case, "invalid-event")


# --- instants ---------------------------------------------------------------------------------

T = int(datetime(2026, 3, 2, 15, 50, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-03-02T15:50:00Z", T),
    ("2026-03-02T15:50:00z", T),
    ("2026-03-02t15:50:00Z", T),
    ("2026-03-02 15:50:00Z", T),
    ("2026-03-02T15:50:00+00:00", T),
    ("2026-03-02T15:50:00-00:00", T),
    ("2026-03-02T16:50:00+01:00", T),
    ("2026-03-02T10:50:00-05:00", T),
    ("2026-03-03T01:20:00+09:30", T),
    ("2026-03-02T15:50:00.999Z", T),  # sub-second digits are dropped
    ("2026-03-02T15:50:00.123456789Z", T),
    ("2026-03-01T23:59:59-23:59", int(datetime(2026, 3, 2, 23, 58, 59, tzinfo=UTC).timestamp())),
    ("2024-02-29T00:00:00Z", int(datetime(2024, 2, 29, tzinfo=UTC).timestamp())),
])
def test_parse_instant_with_offsets_and_z(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("2026-03-02T15:50:00", "has no offset"),
    ("2026-03-02 15:50:00.5", "has no offset"),
    ("2026-03-02T15:50Z", "is not an RFC 3339 instant"),         # no seconds
    ("2026-03-02T15:50:00+0100", "is not an RFC 3339 instant"),  # offset without colon
    ("2026-03-02T15:50:00+01", "is not an RFC 3339 instant"),
    ("2026-03-02T15:50:00+01:00:30", "is not an RFC 3339 instant"),
    ("20260302T155000Z", "is not an RFC 3339 instant"),          # ISO 8601 basic format
    ("2026-W10-1T15:50:00Z", "is not an RFC 3339 instant"),      # ISO week date
    ("2026-03-02T15:50:00,5Z", "is not an RFC 3339 instant"),    # comma fraction
    ("2026-03-02T15Z", "is not an RFC 3339 instant"),
    ("2026-3-2T15:50:00Z", "is not an RFC 3339 instant"),
    ("2026-03-02T24:00:00Z", "is not an RFC 3339 instant"),
    ("2026-13-02T15:50:00Z", "is not an RFC 3339 instant"),
    ("2026-03-02T15:50:60Z", "is not an RFC 3339 instant"),      # no leap seconds
    ("2026-02-29T15:50:00Z", "is not a valid instant"),          # 2026 is not a leap year
    ("2026-04-31T15:50:00Z", "is not a valid instant"),
    ("٢٠٢٦-03-02T15:50:00Z", "is not an RFC 3339 instant"),      # ASCII digits only
    (" 2026-03-02T15:50:00Z", "is not an RFC 3339 instant"),
    ("2026-03-02T15:50:00Z\n", "is not an RFC 3339 instant"),
    ("", "is not an RFC 3339 instant"),
])
def test_parse_instant_rejects(text, words):
    with pytest.raises(EventError) as info:
        parse_instant(text, "at")
    assert str(info.value).startswith(f"'at' {words}: {text!r}")


@pytest.mark.parametrize("value", [None, 1772466600, 1.5, ["2026-03-02T15:50:00Z"], b"2026-03-02T15:50:00Z"])
def test_parse_instant_needs_text(value):
    with pytest.raises(EventError, match="'--until' must be an RFC 3339 string with an offset"):
        parse_instant(value, "--until")


@settings(max_examples=500, deadline=None)
@given(st.integers(-62135596800, 253402300799))  # 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z
def test_format_instant_agrees_with_isoformat(t):
    # isoformat, not strftime: %Y writes year 999 as "999" on Linux, RFC 3339 needs "0999"
    assert format_instant(t) == datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(1, 1, 2, 10, tzinfo=UTC), "0001-01-02T10:00:00Z"),  # was "1-01-02T10:00:00Z"
    (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
    (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59Z"),
    (datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC), "1899-12-31T23:59:59Z"),
    (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59:59Z"),
])
def test_format_instant_writes_four_digit_years(moment, text):
    assert format_instant(int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())) == text


def test_format_instant_round_trips():
    for text in ("2026-03-02T15:50:00Z", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "1900-01-01T00:00:00Z",
                 "2199-12-31T23:59:59Z", "1969-12-31T23:59:59Z"):
        assert format_instant(parse_instant(text)) == text


# --- the supported range of instants ---------------------------------------------------------------

def test_the_supported_range_is_the_years_1900_to_2199_utc():
    assert (FIRST_YEAR, LAST_YEAR) == (1900, 2199)
    assert (format_instant(MIN_INSTANT), format_instant(MAX_INSTANT)) == ("1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z")


@pytest.mark.parametrize(("text", "expected"), [
    ("1900-01-01T00:00:00Z", MIN_INSTANT),
    ("1899-12-31T23:00:00-01:00", MIN_INSTANT),       # written in 1899, 1900 in UTC
    ("1900-01-01T00:59:00.999+00:59", MIN_INSTANT),
    ("2199-12-31T23:59:59Z", MAX_INSTANT),
    ("2200-01-01T00:59:59+01:00", MAX_INSTANT),       # written in 2200, 2199 in UTC
    ("2199-12-31T23:59:59.999999Z", MAX_INSTANT),
    ("1969-12-31T23:59:59.5Z", -1),                   # fractions are dropped (floored), before 1970 too
    ("1950-06-15T12:00:00.25+02:00", int((datetime(1950, 6, 15, 10, tzinfo=UTC)
                                          - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())),
])
def test_instants_at_the_ends_of_the_range_are_accepted(text, expected):
    events_module._hour_start.cache_clear()
    assert parse_instant(text) == expected
    assert parse_instant(text) == expected  # remembered hour


@pytest.mark.parametrize("text", [
    "0001-01-02T10:00:00Z", "9999-12-31T23:00:00Z",   # aborted a replay (date arithmetic overflowed)
    "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",  # beyond datetime's own range in UTC
    "1899-12-31T23:59:59Z", "1900-01-01T00:00:00+00:01", "1900-01-01T00:30:00.5+01:00",
    "2200-01-01T00:00:00Z", "2199-12-31T23:59:59-00:01", "2199-12-31T23:30:00.5-01:00",
    "1000-06-01T12:00:00Z", "3000-06-01T12:00:00Z",
])
def test_instants_outside_the_range_are_rejected_as_invalid_instant(text):
    for _ in range(2):  # the hour not seen before, then remembered
        with pytest.raises(EventError) as info:
            parse_instant(text, "at")
        assert info.value.code == "invalid-instant"
        assert str(info.value) == f"'at' is out of range: {text!r}; instants must lie in the years 1900 to 2199 (UTC)"


def test_every_instant_problem_is_coded_invalid_instant():
    for value in ("tomorrow", "2026-03-02T16:50:00", "2026-02-30T10:00:00Z", "0000-01-01T00:00:00Z", 17, None,
                  "2300-01-01T00:00:00Z"):
        with pytest.raises(EventError) as info:
            parse_instant(value)
        assert info.value.code == "invalid-instant", value


# --- parse_event and schemas/event.schema.json agree -------------------------------------------

AGREEMENT = [
    EXAMPLE,
    event(type="updated", contract=DROP, attrs={"severity": "P1", "by": "vendor"}),
    event(type="updated", contract=None),  # null contract off `opened`: absent
    event(type="responded", attrs=None),    # null attrs: none
    event(attrs={}),
    event(extra_field="kept"),
    with_attrs(channel=None, production=None, consent=None),  # null = not given
    with_attrs(production=False, named_contact=True, consent=True, azure=False, around_the_clock=True),
    with_attrs(info={"report": "a", "steps": "b"}, timezone="Europe/Paris", by="customer"),
    with_attrs(product="Azure StorSimple", severity=1, nested={"x": [1, 2]}),
    event(at="2026-03-02 16:50:00.25-03:00"),
    event(at="2026-03-02t16:50:00z"),
    event(at="1900-01-01T00:00:00Z"),
    event(at="2199-12-31T23:59:59Z"),
    event(at="1899-12-31T23:59:59Z"),
    event(at="2200-01-01T00:00:00Z"),
    with_attrs(timezone="UTC"),
    with_attrs(timezone="Etc/GMT+5"),
    with_attrs(timezone="America/Port-au-Prince"),
    with_attrs(timezone=""),
    with_attrs(timezone="/etc/passwd"),
    with_attrs(timezone="Europe/Paris "),
    *[p.values[0] for p in MALFORMED],
]


def schema_would_accept(obj: Any) -> bool:
    """Whether the parser takes `obj`, counting as taken what a JSON Schema cannot know is wrong: a
    well-formed zone name the zone database does not have (the zone check comes last, so every other
    check passed), an instant written in 1900 or 2199 whose UTC time falls outside the range."""
    try:
        parse_event(obj)
    except EventError as exc:
        return exc.code == "unknown-timezone" and "no such time zone" in str(exc) or (
            exc.code == "invalid-instant" and "out of range" in str(exc) and obj["at"][:4] in ("1900", "2199"))
    return True


@pytest.mark.parametrize("obj", AGREEMENT, ids=[str(i) for i in range(len(AGREEMENT))])
def test_parser_and_json_schema_agree(obj):
    parser_accepts = schema_would_accept(obj)
    schema_errors = instance_errors(obj, "event")
    if obj == event(at="2026-02-30T10:00:00Z"):
        # the one known difference: a pattern cannot know February has no 30th
        assert (parser_accepts, schema_errors) == (False, [])
        return
    assert parser_accepts == (schema_errors == []), schema_errors


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(
    ["", "x", "web", "fax", "opened", "updated", "Europe/Paris", "2026-03-02T16:50:00Z", "2026-03-02T16:50:00",
     "2026-03-02T16:50:00+01:00", "2026-03-02T16:50Z", "adobe", "UTC", "Mars/Olympus", "../etc/passwd",
     "0001-01-02T10:00:00Z", "9999-12-31T23:00:00Z"]))
_values = st.one_of(_scalars, st.lists(_scalars, max_size=2), st.dictionaries(st.sampled_from(["report", "x"]), _scalars,
                                                                                max_size=2))
_attrs = st.dictionaries(st.sampled_from(["channel", "production", "named_contact", "consent", "azure", "around_the_clock",
                                          "info", "timezone", "by", "plan"]), _values, max_size=3)
_events = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.sampled_from(["e1", ""]), _scalars),
    "ticket": st.one_of(st.just("T-1"), _scalars),
    "at": st.one_of(st.sampled_from(["2026-03-02T16:50:00Z", "2026-03-02T16:50:00.5+01:00", "2026-03-02 16:50:00z"]),
                    _scalars),
    "type": st.one_of(st.sampled_from(["opened", "updated", "closed", "breach"]), _scalars),
    "contract": st.one_of(st.just("adobe"), _scalars),
    "attrs": st.one_of(_attrs, _scalars),
})


@settings(max_examples=400, deadline=None)
@given(_events)
def test_parser_and_json_schema_agree_on_generated_events(obj):
    assert schema_would_accept(obj) == (instance_errors(obj, "event") == [])


# --- the fast paths give what the straightforward code gave ------------------------------------
# `parse_instant` reads the usual shapes with table lookups, and `parse_event` / `_check_attrs` skip
# checks that cannot fail; the reference_* functions are copies of the plain code they replaced, kept
# here so that values, accepted inputs and messages (hence the order of the checks) stay the same.

# The full RFC 3339 reader, which the fast path must agree with, is the previous parse_instant
# kept unchanged in the module (it handles fractions and words every rejection).
reference_parse_instant = events_module._parse_instant_in_full


def reference_parse_event(obj: Any) -> Event:
    if not isinstance(obj, dict):
        raise EventError(f"an event must be a JSON object, got {type(obj).__name__}")
    for key in ("id", "ticket", "at", "type"):
        if key not in obj:
            raise EventError(f"missing required field '{key}'")
    eid, ticket, kind = obj["id"], obj["ticket"], obj["type"]
    if not isinstance(eid, str) or not eid:
        raise EventError(f"'id' must be a non-empty string, got {eid!r}")
    if not isinstance(ticket, str) or not ticket:
        raise EventError(f"'ticket' must be a non-empty string, got {ticket!r}")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise EventError(f"unknown event type {kind!r}; expected one of {', '.join(sorted(EVENT_TYPES))}")
    at = reference_parse_instant(obj["at"], "at")
    contract = obj.get("contract")
    if contract is not None and not isinstance(contract, str):
        raise EventError(f"'contract' must be a string, got {contract!r}")
    if kind == "opened" and contract is None:
        raise EventError("'opened' needs 'contract'")
    attrs = obj.get("attrs", {})
    if attrs is None:
        attrs = {}
    if not isinstance(attrs, dict):
        raise EventError(f"'attrs' must be an object, got {type(attrs).__name__}")
    if attrs or kind == "fulfilled":
        reference_check_attrs(kind, attrs)
    return Event(eid, ticket, at, kind, contract, attrs)


_REFERENCE_BOOL_ATTRS = ("production", "named_contact", "consent", "azure", "around_the_clock")


def reference_check_attrs(kind: str, attrs: dict) -> None:
    channel = attrs.get("channel")
    if channel is not None and (not isinstance(channel, str) or channel not in CHANNELS):
        raise EventError(f"attrs.channel is {channel!r}; expected one of phone, email, web, chat")
    for name in ("severity", "plan", "region", "category", "country"):  # added with the fast path's successor
        value = attrs.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            raise EventError(f"attrs.{name} must be a string (or a number), got {value!r}")
    for name in _REFERENCE_BOOL_ATTRS:
        value = attrs.get(name)
        if value is not None and not isinstance(value, bool):
            raise EventError(f"attrs.{name} must be true or false, got {value!r}")
    if "info" in attrs and not isinstance(attrs["info"], dict):
        raise EventError(f"attrs.info must be an object, got {attrs['info']!r}")
    if kind == "fulfilled" and not (isinstance(attrs.get("obligation"), str) and attrs["obligation"]):
        raise EventError("'fulfilled' needs attrs.obligation, the id of the obligation that was met")
    if "by" in attrs and not isinstance(attrs["by"], str):
        raise EventError(f"attrs.by must be a string (vendor, customer, ...), got {attrs['by']!r}")
    if "timezone" in attrs and not isinstance(attrs["timezone"], str):
        raise EventError(f"attrs.timezone must be an IANA zone name, got {attrs['timezone']!r}")
    if "timezone" in attrs and zone_problem(attrs["timezone"]):  # added with the zone check, last
        raise EventError(f"attrs.timezone is {attrs['timezone']!r}: {zone_problem(attrs['timezone'])}", "unknown-timezone")


def outcome(fn, *args) -> tuple[str, Any, Any]:
    """What a call gives: ("ok", value, None) or (exception class, message, reject code)."""
    try:
        return "ok", fn(*args), None
    except Exception as exc:
        return type(exc).__name__, str(exc), getattr(exc, "code", None)


class Text(str):
    """A str subclass: accepted like a str (the fast path leaves it to the full one)."""


def _two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map("{:02}".format)


_EDIT_CHARS = "0123456789-:+.,TtZzW \n٢"


def _mostly(valid: st.SearchStrategy[Any], near: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` seven times in eight, else `near` (out of range or of the wrong shape)."""
    return st.integers(0, 7).flatmap(lambda i: near if i == 7 else valid)  # not 0: hypothesis favours it


@st.composite
def _instant_texts(draw) -> str:
    """RFC 3339 date-times, each part now and then out of range or of the wrong shape, and now and then
    one character replaced, dropped or added: valid and near-valid text, for the fast and the full path."""
    year = draw(_mostly(st.integers(1, 9999).map("{:04}".format), st.sampled_from(["0000", "202", "20260", "٢٠٢٦"])))
    month = draw(_mostly(_two_digits(1, 12), st.sampled_from(["00", "13", "1", "W1", "٠٣"])))
    day = draw(_mostly(_two_digits(1, 31), st.sampled_from(["00", "32", "1", "٠٢"])))
    sep = draw(_mostly(st.sampled_from("Tt "), st.sampled_from(["x", "", "TT"])))
    hour = draw(_mostly(_two_digits(0, 23), st.sampled_from(["24", "25", "1", "٢٣"])))
    minute = draw(_mostly(_two_digits(0, 59), st.sampled_from(["60", "5", ""])))
    second = draw(_mostly(_two_digits(0, 59), st.sampled_from(["60", "61", "5", "", "00:00"])))
    fraction = draw(_mostly(st.just(""), st.sampled_from([".5", ".999", ".000000", ".123456789", ".", ",5", ".٥"])))
    offset = draw(_mostly(
        st.one_of(st.sampled_from("Zz"), st.builds("{}{}:{}".format, st.sampled_from("+-"), _two_digits(0, 23),
                                                      _two_digits(0, 59))),
        st.sampled_from(["", "+0100", "+01", "-01:00:30", "UTC", "ZZ", "+01:00Z", "+24:00", "-01:60"]),
    ))
    text = f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{fraction}{offset}"
    edit = draw(st.sampled_from(["none"] * 9 + ["replace", "drop", "insert"]))
    if edit != "none":
        i = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(_EDIT_CHARS))
        text = {"replace": text[:i] + char + text[i + 1:], "drop": text[:i] + text[i + 1:],
                "insert": text[:i] + char + text[i:]}[edit]
    return text


_instant_inputs = st.one_of(_instant_texts(), _instant_texts().map(Text), st.text(max_size=30),
                            st.sampled_from([None, 0, 1772466600, 1.5, b"2026-03-02T15:50:00Z", ["2026-03-02T15:50:00Z"]]))


@settings(max_examples=600, deadline=None)
@given(_instant_inputs, st.sampled_from(["at", "--until"]))
def test_parse_instant_agrees_with_the_reference(text, what):
    expected = outcome(reference_parse_instant, text, what)
    events_module._hour_start.cache_clear()
    assert outcome(parse_instant, text, what) == expected  # the hour not seen before
    assert outcome(parse_instant, text, what) == expected  # and remembered


def test_parse_instant_agrees_with_the_reference_on_every_month_day_hour_minute_second_and_offset():
    texts = [f"{year}-{month:02}-{day:02}{sep}{hour:02}:59:59Z" for year in ("0000", "0001", "1970", "2000", "2024", "2026",
                                                                           "2100", "9999")
             for month in range(14) for day in range(33) for sep in "Tt " for hour in (0, 23, 24)]
    texts += [f"2026-03-02T16:{minute:02}:{second:02}z" for minute in range(62) for second in range(62)]
    texts += [f"{moment}{sign}{hours:02}:{minutes:02}" for moment in ("2026-03-02T16:50:00", "0001-01-01T00:00:00",
                                                                      "9999-12-31T23:59:59", "1970-01-01T00:00:00")
              for sign in "+-" for hours in range(26) for minutes in range(62)]
    texts += ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "2026-03-02T16:50:00.5+01:00"]
    for text in texts:
        assert outcome(parse_instant, text, "at") == outcome(reference_parse_instant, text, "at"), text


@pytest.mark.parametrize("valid", ["2026-03-02T16:50:00Z", "2024-02-29t23:59:59-09:30", "1970-01-01 00:00:00+00:00"])
def test_parse_instant_agrees_with_the_reference_after_any_one_character_change(valid):
    chars = [chr(c) for c in range(32, 127)] + ["\t", "\n", "\u00a0", "٢", "\ufeff", "\ud800"]
    for i in range(len(valid) + 1):
        texts = [valid[:i] + c + valid[i + 1:] for c in chars] + [valid[:i] + c + valid[i:] for c in chars]
        for text in [*texts, valid[:i] + valid[i + 1:]]:
            events_module._hour_start.cache_clear()
            assert outcome(parse_instant, text, "at") == outcome(reference_parse_instant, text, "at"), text


def test_the_hour_memo_stays_small_and_changes_no_value():
    hours = [T + 3600 * i for i in range(5000)]  # more hours than it keeps
    texts = [format_instant(t) for t in hours]
    assert [parse_instant(text) for text in texts] == hours
    assert 0 < events_module._hour_start.cache_info().currsize <= 4096
    assert [parse_instant(text) for text in reversed(texts)] == hours[::-1]
    assert events_module._hour_start.cache_info().currsize <= 4096


_attr_values = st.one_of(_values, st.sampled_from(["web", "Web", "fax", "ob-1", "P2", True, False]))
_rich_attrs = st.dictionaries(st.sampled_from(["channel", *_REFERENCE_BOOL_ATTRS, "info", "by", "timezone", "obligation",
                                               "severity", "plan", "region"]), _attr_values, max_size=4)


@st.composite
def _event_objects(draw) -> Any:
    """Events mostly well-formed up to their attrs (so that the attrs checks are reached), each field
    now and then of the wrong type or left out; as dicts, OrderedDicts and defaultdicts."""
    obj = {
        "id": draw(_mostly(st.just("e1"), _scalars)),
        "ticket": draw(_mostly(st.just("T-1"), _scalars)),
        "at": draw(_mostly(st.sampled_from(["2026-03-02T16:50:00Z", "2026-03-02 16:50:00.5-03:00"]),
                           st.one_of(_instant_texts(), _instant_texts().map(Text), _scalars))),
        "type": draw(_mostly(st.sampled_from([*sorted(EVENT_TYPES), "opened", "fulfilled", "fulfilled"]),
                             st.one_of(st.just("breach"), _scalars))),
        "contract": draw(st.one_of(st.just("adobe"), _scalars)),
        "attrs": draw(_mostly(_rich_attrs, st.one_of(_rich_attrs.map(OrderedDict), _rich_attrs.map(lambda d: defaultdict(str, d)),
                                                     _scalars))),
    }
    for key in draw(st.sets(st.sampled_from(sorted(obj)), max_size=3)):
        del obj[key]
    return draw(st.sampled_from([obj, obj, obj, OrderedDict(obj), defaultdict(str, obj)]))


@pytest.mark.parametrize("name", ["channel", *_REFERENCE_BOOL_ATTRS, "info", "by", "timezone", "obligation"])
def test_each_checked_attribute_as_the_reference_checks_it_among_plain_ones(name):
    for kind in ("updated", "fulfilled"):
        for value in (7, None, "", "web", True, {}, [], {"severity": "P1"}):
            for attrs in ({name: value}, {"severity": "P2", name: value, "plan": "ultimate"}):
                obj = event(type=kind, attrs=attrs)
                assert outcome(parse_event, obj) == outcome(reference_parse_event, obj), obj


@pytest.mark.parametrize("kind", ["updated", "fulfilled"])
@pytest.mark.parametrize("attrs", [{}, None, DROP])
def test_no_attributes_as_the_reference_checks_them(kind, attrs):
    obj = event(type=kind, attrs=attrs)
    assert outcome(parse_event, obj) == outcome(reference_parse_event, obj)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_event_objects(), _scalars, st.lists(_scalars, max_size=1)))
def test_parse_event_agrees_with_the_reference(obj):
    assert outcome(parse_event, obj) == outcome(reference_parse_event, obj)


# --- JSON limits of a log line (parse_json) -------------------------------------------------------

@pytest.mark.parametrize(("text", "reason"), [
    ('{"severity": NaN}', "invalid JSON: NaN is not a JSON number"),
    ("[Infinity]", "invalid JSON: Infinity is not a JSON number"),
    ('{"a": -Infinity}', "invalid JSON: -Infinity is not a JSON number"),
    ('{"a": 1e999}', "invalid JSON: 1e999 is too large for a number"),
    ('{"a": -1E+400}', "invalid JSON: -1E+400 is too large for a number"),
    ('{"a": ' + "9" * 5000 + "}", "invalid JSON: an integer of 5000 digits (at most 4300)"),
    ('{"a": -' + "9" * 4301 + "}", "invalid JSON: an integer of 4301 digits (at most 4300)"),
    ("[" * 100_000, "invalid JSON: nested more than 32 levels deep"),  # RecursionError in json itself
    ("[" * 33 + "]" * 33, "invalid JSON: nested more than 32 levels deep"),
    ('{"attrs": ' + '{"a": ' * 32 + "1" + "}" * 33, "invalid JSON: nested more than 32 levels deep"),
    ('{"ticket": "T\\ud800"}', "invalid JSON: a \\u escape makes the lone surrogate U+D800, which is not a character"),
    ('{"ticket": "\\uDC00x"}', "invalid JSON: a \\u escape makes the lone surrogate U+DC00"),
    ("this is not json", "invalid JSON: Expecting value at column 1"),
    ('{"a": 1} {"b": 2}', "invalid JSON: Extra data at column 10"),
])
def test_parse_json_refuses_what_python_would_take_or_crash_on(text, reason):
    with pytest.raises(EventError) as info:
        parse_json(text)
    assert str(info.value).startswith(reason) and info.value.code == "invalid-json"


def test_parse_json_refuses_a_str_that_is_not_unicode_text():
    with pytest.raises(EventError) as info:
        parse_json('{"ticket": "T\udcff"}')  # what surrogateescape makes of the byte 0xff
    assert (info.value.code, str(info.value)) == ("invalid-encoding", "not UTF-8: the lone surrogate U+DCFF at character 13")


@pytest.mark.parametrize(("text", "value"), [
    ('{"a": 1e-999}', {"a": 0.0}),
    ('{"a": 1e308, "b": -0.5}', {"a": 1e308, "b": -0.5}),
    ('{"a": ' + "9" * 4300 + "}", {"a": int("9" * 4300)}),
    ("[" * 32 + "]" * 32, json.loads("[" * 32 + "]" * 32)),
    ('{"a": "' + "[" * 52 + '"}', {"a": "[" * 52}),  # brackets in a string
    ('{"ticket": "\\ud83d\\ude00 \\u00e9"}', {"ticket": "\U0001f600 é"}),  # a surrogate pair is a character
    ('{"ticket": "\\\\ud800"}', {"ticket": "\\ud800"}),  # an escaped backslash, then text
    ('{"ticket": "Tâche-été"}', {"ticket": "Tâche-été"}),
])
def test_parse_json_takes_the_json_events_use(text, value):
    assert parse_json(text) == value


# --- ticket time zones ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["UTC", "Etc/GMT+5", "Etc/GMT-14", "Europe/Paris", "America/Argentina/Buenos_Aires",
                                  "America/Port-au-Prince", "Asia/Kolkata", "GMT"])
def test_iana_zones_are_accepted(name):
    assert zone_problem(name) is None
    assert parse_event(with_attrs(timezone=name)).attrs["timezone"] == name


@pytest.mark.parametrize(("name", "problem"), [
    ("Mars/Olympus", "no such time zone"),
    ("europe/paris", "no such time zone"),  # names are case-sensitive (a case-insensitive disk must not decide)
    ("Europe/Pari", "no such time zone"),
    ("../../etc/passwd", "not a time zone name"),  # ZoneInfo refuses it with ValueError
    ("/etc/passwd", "not a time zone name"),
    ("Europe/Paris/", "not a time zone name"),
    ("Europe/Paris ", "not a time zone name"),
    ("", "not a time zone name"),
    ("a\x00b", "not a time zone name"),
    ("America", "not a time zone name"),  # a directory of the zone database (IsADirectoryError)
    ("zone.tab", "not a time zone name"),  # a file of it that is not zone data
    ("x" * 300, "not a time zone name"),  # longer than a file name may be (OSError)
    ("localtime", "the host's local zone is not an IANA name"),
])
def test_unknown_or_path_like_zones_are_rejected_as_unknown_timezone(name, problem):
    assert zone_problem(name).startswith(problem)
    for kind in ("opened", "updated"):
        with pytest.raises(EventError) as info:
            parse_event(event(type=kind, attrs={"timezone": name}))
        assert info.value.code == "unknown-timezone"
        assert str(info.value).startswith(f"attrs.timezone is {name!r}: {problem}")


# --- every code a reject can carry is listed --------------------------------------------------------

def _reject_codes_in_engine_source() -> dict[str, str]:
    """code -> where, for every code the engine's source can give a rejected line: the literal code
    argument of an EventError (or subclass) or Reject call, a subclass's `code = ...`, and the codes a
    `*_problem` function returns; a non-literal code argument must pass on an already checked code."""
    import ast
    from pathlib import Path

    engine_dir = Path(events_module.__file__).resolve().parent.parent
    found: dict[str, str] = {"invalid-event": "EventError.code"}
    raisers = {"EventError", "Reject"}
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(engine_dir.rglob("*.py"))}
    for tree in trees.values():  # subclasses, in any module
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id in raisers for b in node.bases):
                raisers.add(node.name)
    passed_on = {"exc.code", "problem[0]", "code"}  # an EventError's own code; a *_problem's result (below)
    for path, tree in trees.items():
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in raisers:
                code = node.args[1] if node.func.id == "Reject" and len(node.args) > 1 else (
                    node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "code"), None))
                if isinstance(code, ast.Constant):
                    found[code.value] = where
                elif code is not None:
                    assert ast.unparse(code) in passed_on, f"{where}: a reject code from {ast.unparse(code)}"
            elif isinstance(node, ast.ClassDef) and node.name in raisers:
                for item in node.body:
                    if isinstance(item, ast.Assign) and [ast.unparse(t) for t in item.targets] == ["code"]:
                        found[item.value.value] = where
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("_problem"):
                for item in ast.walk(node):
                    if isinstance(item, ast.Constant) and isinstance(item.value, str) and \
                            re.fullmatch(r"(unknown|invalid|already|contract|late|duplicate)-[a-z-]+", item.value):
                        found[item.value] = f"{path.name}:{item.lineno}"
    return found


def test_every_code_a_reject_can_carry_is_in_reject_codes():
    found = _reject_codes_in_engine_source()
    assert {"invalid-event", "invalid-instant", "invalid-json", "invalid-encoding", "unknown-timezone",
            "unknown-ticket", "unknown-contract"} <= set(found)  # the scan sees the codes it must
    assert {code: where for code, where in found.items() if code not in REJECT_CODES} == {}


def test_reject_codes_are_documented_in_docs_rejects_md():

    doc = (REPO / "docs" / "REJECTS.md").read_text(encoding="utf-8")
    table = {line.split("|")[1].strip().strip("`") for line in doc.splitlines() if line.startswith("| `")}
    assert table == REJECT_CODES


def test_the_written_out_event_init_takes_the_fields_in_order_with_their_defaults() -> None:
    """Event's __init__ is written out (compiled as C); by behaviour: positionally, by name, and
    each event without attrs gets a dict of its own, as the dataclass default_factory gave."""
    import dataclasses

    from engine.model.events import Event

    assert [f.name for f in dataclasses.fields(Event)] == ["id", "ticket", "at", "type", "contract", "attrs"]
    values = ("e1", "T", 5, "opened", "c", {"severity": "P1"})
    for event in (Event(*values), Event(**dict(zip(("id", "ticket", "at", "type", "contract", "attrs"), values, strict=True)))):
        assert (event.id, event.ticket, event.at, event.type, event.contract, event.attrs) == values
    a, b = Event("e1", "T", 5, "opened"), Event("e2", "T", 6, "closed")
    assert a.contract is None and a.attrs == {} and b.attrs == {} and a.attrs is not b.attrs
    assert Event(*values) == Event(*values) and Event(*values) != a
    import pickle

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # the external sort's runs pickle events
        assert pickle.loads(pickle.dumps(Event(*values), protocol)) == Event(*values)

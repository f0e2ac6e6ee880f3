"""`engine.events`: the INTERFACE.md event, each malformed variant rejected with a clear reason,
RFC 3339 instants, and the hand-written checks kept in step with schemas/event.schema.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import Event, EventError, format_instant, parse_event, parse_instant
from engine.schema import instance_errors

# INTERFACE.md, "Events (input)", verbatim
EXAMPLE = json.loads('{"id": "e-17", "ticket": "T-1001", "at": "2026-03-02T16:50:00+01:00", "type": "opened", '
                     '"contract": "adobe", "attrs": {"plan": "ultimate", "region": "emea", "severity": "P2", "channel": "web"}}')


def event(**changes):
    """The INTERFACE.md example with fields replaced (a value of DROP removes the field)."""
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
    pytest.param(with_attrs(production="yes"), "attrs.production must be true or false, got 'yes'", id="production"),
    pytest.param(with_attrs(production=1), "attrs.production must be true or false, got 1", id="production-1"),
    pytest.param(with_attrs(named_contact=0), "attrs.named_contact must be true or false", id="named-contact"),
    pytest.param(with_attrs(consent="true"), "attrs.consent must be true or false", id="consent"),
    pytest.param(with_attrs(azure="no"), "attrs.azure must be true or false", id="azure"),
    pytest.param(with_attrs(around_the_clock=1), "attrs.around_the_clock must be true or false", id="around-the-clock"),
    pytest.param(with_attrs(info="report, steps"), "attrs.info must be an object, got 'report, steps'", id="info"),
    pytest.param(with_attrs(info=None), "attrs.info must be an object, got None", id="info-null"),
    pytest.param(with_attrs(timezone=1), "attrs.timezone must be an IANA zone name, got 1", id="timezone"),
]


@pytest.mark.parametrize(("obj", "reason"), MALFORMED)
def test_malformed_events_are_rejected_with_a_clear_reason(obj, reason):
    with pytest.raises(EventError) as info:
        parse_event(obj)
    assert reason in str(info.value)


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


def test_format_instant_round_trips():
    for text in ("2026-03-02T15:50:00Z", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z"):
        assert format_instant(parse_instant(text)) == text


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
    *[p.values[0] for p in MALFORMED],
]


@pytest.mark.parametrize("obj", AGREEMENT, ids=[str(i) for i in range(len(AGREEMENT))])
def test_parser_and_json_schema_agree(obj):
    try:
        parse_event(obj)
        parser_accepts = True
    except EventError:
        parser_accepts = False
    schema_errors = instance_errors(obj, "event")
    if obj == event(at="2026-02-30T10:00:00Z"):
        # the one known difference: a pattern cannot know February has no 30th
        assert (parser_accepts, schema_errors) == (False, [])
        return
    assert parser_accepts == (schema_errors == []), schema_errors


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(
    ["", "x", "web", "fax", "opened", "updated", "Europe/Paris", "2026-03-02T16:50:00Z", "2026-03-02T16:50:00",
     "2026-03-02T16:50:00+01:00", "2026-03-02T16:50Z", "adobe"]))
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
    try:
        parse_event(obj)
        parser_accepts = True
    except EventError:
        parser_accepts = False
    assert parser_accepts == (instance_errors(obj, "event") == [])

"""Events in (INTERFACE.md): parsing and checking one JSON object into an `Event`.

The checks mirror `schemas/event.schema.json` but are hand-written for the hot path (a jsonschema
call per event would cost more than evaluating it); `tests/test_events.py` keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EVENT_TYPES = frozenset({
    "opened", "acknowledged", "updated", "responded", "info_requested", "info_provided", "escalation_requested",
    "reclassification_requested", "resolved", "reopened", "closed", "rca_requested", "incident_declared",
    "fulfilled",  # extension: attrs.obligation (an obligation id) was met
})
CHANNELS = frozenset({"phone", "email", "web", "chat"})
_BOOL_ATTRS = ("production", "named_contact", "consent", "azure", "around_the_clock")
# RFC 3339 date-time (the `at` pattern of schemas/event.schema.json): `datetime.fromisoformat` alone
# also takes ISO 8601 forms RFC 3339 does not (20260302T1650Z, 2026-W10-1, +0100, no seconds).
_RFC3339 = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)


class EventError(ValueError):
    """An event the engine cannot apply; the message is the reason written to the rejects file."""


@dataclass(slots=True)
class Event:
    """A parsed event (treated as immutable)."""

    id: str
    ticket: str
    at: int  # seconds since the epoch, UTC
    type: str
    contract: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def parse_instant(text: Any, what: str = "at") -> int:
    """RFC 3339 with an offset (or Z) -> epoch seconds; sub-second digits are dropped."""
    if not isinstance(text, str):
        raise EventError(f"'{what}' must be an RFC 3339 string with an offset, got {text!r}")
    if _RFC3339.fullmatch(text) is None:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?", text):
            raise EventError(f"'{what}' has no offset: {text!r}; expected e.g. 2026-03-02T16:50:00+01:00 or ...Z")
        raise EventError(f"'{what}' is not an RFC 3339 instant: {text!r}; expected e.g. 2026-03-02T16:50:00+01:00")
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError as exc:
        raise EventError(f"'{what}' is not a valid instant: {text!r} ({exc})") from None
    return int(moment.timestamp())


def format_instant(t: int) -> str:
    """Epoch seconds -> `YYYY-MM-DDTHH:MM:SSZ`."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_event(obj: Any) -> Event:
    """Check one decoded JSON value against INTERFACE.md and build the `Event`."""
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
    at = parse_instant(obj["at"])
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
    if attrs or kind == "fulfilled":  # most events carry no attributes: nothing to check
        _check_attrs(kind, attrs)
    return Event(eid, ticket, at, kind, contract, attrs)


def _check_attrs(kind: str, attrs: dict) -> None:
    """The checks on an event's `attrs`, in the order their reasons are reported."""
    channel = attrs.get("channel")
    if channel is not None and (not isinstance(channel, str) or channel not in CHANNELS):
        raise EventError(f"attrs.channel is {channel!r}; expected one of phone, email, web, chat")
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
    if "timezone" in attrs and not isinstance(attrs["timezone"], str):
        raise EventError(f"attrs.timezone must be an IANA zone name, got {attrs['timezone']!r}")

"""The one vocabulary of the wire contract (docs/INTERFACE.md) and of the contract language: event types,
channels, exclusion categories, clock names, action kinds (output) and rule actions (input), and the
ticket and event facts the engine itself provides. Everything else imports these names;
tests/model/test_vocabulary.py checks every schema enum of engine/schemas/ against them, so a name added
here and not there (or the reverse) fails the tests."""

from __future__ import annotations

# Event types a log may carry (docs/INTERFACE.md "Core event types"; `fulfilled` is an extension:
# attrs.obligation, an obligation id, was met).
EXTERNAL_EVENTS = ("opened", "acknowledged", "updated", "responded", "info_requested", "info_provided",
                   "escalation_requested", "reclassification_requested", "resolved", "reopened", "closed",
                   "rca_requested", "incident_declared", "fulfilled")
# Event types the engine raises itself; rules may trigger on them, a log may not carry them.
INTERNAL_EVENTS = ("severity_changed", "breach", "warn", "timer", "obligation_breached")
EVENT_TYPES = (*EXTERNAL_EVENTS, *INTERNAL_EVENTS)
# Events whose attrs set the ticket's attributes (or ask for a severity): checked against the contract.
ATTRIBUTE_EVENTS = ("opened", "updated", "reclassification_requested")

CHANNELS = ("phone", "email", "web", "chat")
# Exclusion categories (attr `category`): the ones a contract's `exclusions:` may map to a clause.
# A ticket's category may be any other text too (an in-scope incident, question...).
CATEGORIES = ("misuse", "modification", "unsupported_version", "custom_code", "third_party_software",
              "customer_infrastructure", "hardware", "on_site", "enhancement", "integration", "custom_development",
              "training")
CLOCKS = ("response", "update", "resolution", "acknowledgement")

# Fields every action carries.
COMMON_FIELDS = ("id", "ticket", "at", "action", "contract", "version", "rule", "clause", "reason")
# Fields every clock action also carries (`severity` only once the ticket has one).
CLOCK_FIELDS = ("clock", "target", "calendar")
# Action kind -> the extra fields it must carry (docs/INTERFACE.md "Actions" and "Fields every action also carries").
ACTION_KINDS: dict[str, tuple[str, ...]] = {
    "start_clock": (*CLOCK_FIELDS, "due"),
    "pause_clock": CLOCK_FIELDS,
    "resume_clock": (*CLOCK_FIELDS, "due"),
    "reschedule_clock": (*CLOCK_FIELDS, "due"),
    "stop_clock": (*CLOCK_FIELDS, "met", "elapsed", "paused"),
    "warn": (*CLOCK_FIELDS, "due", "elapsed_ratio"),
    "breach": (*CLOCK_FIELDS, "due", "elapsed", "paused"),
    "notify": ("to",),
    "escalate": ("level", "to"),
    "downgrade": ("from", "to", "mode"),
    "reclassify": ("to",),  # and `from`, unless `initial` (the first severity is no change)
    "reclassify_refused": ("to",),  # likewise: a severity change the contract refused; nothing changed
    "refused": ("event_type",),  # an event the contract does not accept (`refusals`); nothing changed
    "exclude": ("exclusion",),
    "obligation": ("party", "due"),
    "obligation_breached": ("party",),
}
CLOCK_ACTIONS = frozenset(kind for kind, fields in ACTION_KINDS.items() if fields[:3] == CLOCK_FIELDS)
# What a rule's `then:` may do (schemas/common.schema.json `$defs/action`; one runtime handler each).
RULE_ACTIONS = ("start_clock", "stop_clock", "pause_clock", "resume_clock", "reschedule_clock", "notify", "escalate",
                "downgrade", "reclassify", "exclude", "obligation", "fulfil", "start_timer", "cancel_timer", "set")

# The types a contract's `attributes:` may declare (docs/FORMAT.md "Declared attributes").
ATTRIBUTE_TYPES = ("string", "boolean", "integer", "number", "object", "instant")
# Ticket facts (`ticket.<name>`) the engine provides whatever the contract declares: the ticket id,
# the severity it keeps (its values are the contract's `severities`), the `info` items merged by
# `info_provided`. A contract does not declare them.
BUILTIN_TICKET_ATTRIBUTES: dict[str, str] = {"id": "string", "severity": "string", "info": "object"}
# Attributes that describe an event rather than the ticket (`event.attrs.<name>`, docs/INTERFACE.md):
# never stored on the ticket, readable by every contract without a declaration.
EVENT_ATTRIBUTES: dict[str, str] = {"by": "string", "consent": "boolean", "obligation": "string",
                                    "impact_determined_at": "instant", "info": "object"}
# `event.<field>` of the event being applied, by the event types that carry it.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "type": EVENT_TYPES, "id": EVENT_TYPES, "attrs": EVENT_TYPES,
    "prev": ("updated",),  # the old values of the attributes an `updated` changed
    "from": ("severity_changed",), "to": ("severity_changed",),
    "clock": ("warn", "breach"), "ratio": ("warn",), "timer": ("timer",),
    "obligation": ("obligation_breached",), "party": ("obligation_breached",),
}

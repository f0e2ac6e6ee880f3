"""The one vocabulary of the wire contract (INTERFACE.md): action kinds and the fields each must
carry, clock names. `schemas/action.schema.json` and `schemas/scenario.schema.json` are tested
against it (tests/test_vocabulary.py), so a kind added here and not there fails `make test`."""

from __future__ import annotations

CLOCKS = ("response", "update", "resolution", "acknowledgement")

# Fields every action carries.
COMMON_FIELDS = ("id", "ticket", "at", "action", "contract", "version", "rule", "clause", "reason")
# Fields every clock action also carries (`severity` only once the ticket has one).
CLOCK_FIELDS = ("clock", "target", "calendar")
# Action kind -> the extra fields it must carry (INTERFACE.md "Actions" and "Fields every action also carries").
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

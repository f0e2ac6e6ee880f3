"""The schemas agree with the one vocabulary (engine/model/vocabulary.py), and the modules use it, not copies."""

from __future__ import annotations

import json

from conftest import REPO

from engine.language import check
from engine.model.events import CHANNELS as WIRE_CHANNELS
from engine.model.events import EVENT_TYPES as EVENT_TYPES_ON_THE_WIRE
from engine.model.vocabulary import (
    ACTION_KINDS,
    ATTRIBUTE_EVENTS,
    ATTRIBUTE_TYPES,
    BUILTIN_TICKET_ATTRIBUTES,
    CATEGORIES,
    CHANNELS,
    CLOCK_ACTIONS,
    CLOCKS,
    COMMON_FIELDS,
    EVENT_ATTRIBUTES,
    EVENT_FIELDS,
    EVENT_TYPES,
    EXTERNAL_EVENTS,
    INTERNAL_EVENTS,
    RULE_ACTIONS,
)


def _schema(name: str) -> dict:
    return json.loads((REPO / "engine" / "schemas" / name).read_text(encoding="utf-8"))


def _enums(node, key: str) -> list[list]:
    """Every `enum` under a property named `key`, anywhere in the schema."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get(key), dict) and "enum" in node[key]:
            found.append(node[key]["enum"])
        for value in node.values():
            found.extend(_enums(value, key))
    elif isinstance(node, list):
        for value in node:
            found.extend(_enums(value, key))
    return found


def test_action_schema_lists_exactly_the_vocabulary_kinds_and_required_fields():
    schema = _schema("action.schema.json")
    assert schema["properties"]["action"]["enum"] == list(ACTION_KINDS)
    assert schema["required"] == list(COMMON_FIELDS)
    required = {c["if"]["properties"]["action"]["const"]: c["then"]["required"] for c in schema["allOf"]}
    assert required == {kind: list(fields) for kind, fields in ACTION_KINDS.items()}
    assert schema["properties"]["clock"]["enum"] == list(CLOCKS)


def test_scenario_schema_accepts_exactly_the_vocabulary_kinds():
    enums = _enums(_schema("scenario.schema.json"), "action")
    assert enums and all(e == list(ACTION_KINDS) for e in enums)


def test_clock_actions_are_the_kinds_with_clock_fields():
    assert CLOCK_ACTIONS == {"start_clock", "pause_clock", "resume_clock", "reschedule_clock", "stop_clock", "warn",
                             "breach"}


def _all_enums(node, path=()) -> list[tuple[tuple, list]]:
    """(path, enum) of every enum anywhere in a schema."""
    found = []
    if isinstance(node, dict):
        if "enum" in node:
            found.append((path, node["enum"]))
        for key, value in node.items():
            found.extend(_all_enums(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_all_enums(value, (*path, i)))
    return found


def _vocabulary_of(enum: list) -> str | None:
    """Which vocabulary list an enum draws its names from (None: another kind of enum, e.g. mode)."""
    names = {v for v in enum if isinstance(v, str)}
    shared = {kind: len(names & set(EXPECTED_ALL[kind])) for kind in EXPECTED_ALL}  # `warn` is an event and an action
    best = max(shared, key=shared.__getitem__)
    return best if shared[best] * 2 > len(names) else None  # not escalation triggers (customer_request, breach, rule)


EXPECTED_ALL = {"event types": EVENT_TYPES, "channels": CHANNELS, "clocks": CLOCKS, "action kinds": tuple(ACTION_KINDS),
                "attribute types": ATTRIBUTE_TYPES}
EXPECTED = {"event types": list(EXTERNAL_EVENTS), "channels": list(CHANNELS), "clocks": list(CLOCKS),
            "action kinds": list(ACTION_KINDS), "attribute types": list(ATTRIBUTE_TYPES)}


def test_every_schema_enum_of_a_vocabulary_equals_it_exactly():
    """An enum that lists any event type, channel, clock, action kind or attribute type lists all of
    them, in the vocabulary's order (an event log carries external events only; `null` is an allowed
    unset channel)."""
    checked = []
    for path in sorted((REPO / "engine" / "schemas").glob("*.schema.json")):
        for where, enum in _all_enums(json.loads(path.read_text(encoding="utf-8"))):
            kind = _vocabulary_of(enum)
            if kind is None:
                continue
            checked.append((path.name, kind))
            assert [v for v in enum if v is not None] == EXPECTED[kind], f"{path.name} {where}"
    assert {kind for _, kind in checked} == set(EXPECTED)
    assert ("event.schema.json", "event types") in checked and ("event.schema.json", "channels") in checked
    assert ("contract.schema.json", "attribute types") in checked


def test_rule_actions_are_the_schema_actions():
    schema = _schema("common.schema.json")
    assert list(schema["$defs"]["action"]["properties"]) == list(RULE_ACTIONS)


def test_the_modules_use_the_vocabulary_not_copies():
    assert EVENT_TYPES_ON_THE_WIRE == frozenset(EXTERNAL_EVENTS)
    assert WIRE_CHANNELS == frozenset(CHANNELS)
    assert check.EXTERNAL_EVENTS is EXTERNAL_EVENTS and check.INTERNAL_EVENTS is INTERNAL_EVENTS
    assert check.CLOCKS is CLOCKS and check.CHANNELS is CHANNELS and check.CATEGORIES is CATEGORIES
    assert set(EVENT_TYPES) == {*EXTERNAL_EVENTS, *INTERNAL_EVENTS} and not set(EXTERNAL_EVENTS) & set(INTERNAL_EVENTS)


def test_builtin_facts_are_what_the_engine_reads_and_writes():
    assert set(BUILTIN_TICKET_ATTRIBUTES) == {"id", "severity", "info"}
    assert set(ATTRIBUTE_EVENTS) <= set(EXTERNAL_EVENTS)
    assert set(BUILTIN_TICKET_ATTRIBUTES.values()) | set(EVENT_ATTRIBUTES.values()) <= set(ATTRIBUTE_TYPES)
    assert set(EVENT_FIELDS["prev"]) | set(EVENT_FIELDS["clock"]) <= set(EVENT_TYPES)

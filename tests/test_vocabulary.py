"""The schemas agree with the one vocabulary (engine/vocabulary.py), and the engine emits only it."""

from __future__ import annotations

import json

from conftest import REPO

from engine.model.vocabulary import ACTION_KINDS, CLOCK_ACTIONS, CLOCKS, COMMON_FIELDS


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

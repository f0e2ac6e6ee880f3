"""Action.to_dict: INTERFACE.md's action object, keys in a fixed order. The method spells each field
out (fast, compiled or not); these tests hold it to `_EXTRA`, the order the module declares, through
the generic loop it replaced, on generated actions."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.model.actions import _DUE_ALWAYS, _EXTRA, _MET_NULL, ACTION_FIELDS, Action, action_id
from engine.model.events import format_instant


def reference(action: Action) -> dict[str, Any]:
    """The generic reading of the rules: identity, what, _EXTRA in order (None left out, but for
    the two nulls), provenance."""
    out: dict[str, Any] = {}
    if action.cause is not None:
        out["id"] = action_id(action.cause, action.rank)
    out.update(ticket=action.ticket, at=format_instant(action.at), action=action.action)
    for name in _EXTRA:
        value = getattr(action, name)
        if value is None:
            if name == "due" and action.action in _DUE_ALWAYS:
                out["due"] = None
            elif name == "met" and action.excluded and action.action in _MET_NULL:
                out["met"] = None
            continue
        out["from" if name == "from_" else name] = format_instant(value) if name == "due" else value
    out["contract"] = action.contract
    if action.version is not None:
        out["version"] = action.version
    out.update(rule=action.rule, clause=action.clause, reason=action.reason)
    if action.event is not None:
        out["event"] = action.event
    return out


INSTANT = st.integers(min_value=-2208988800, max_value=7258118399)  # 1900 to 2199
TEXT = st.text(max_size=5)
OPTIONAL: dict[str, st.SearchStrategy] = {
    "clock": TEXT, "due": INSTANT, "met": st.booleans(), "elapsed_ratio": st.floats(0, 2), "level": st.integers(0, 9),
    "from_": TEXT, "to": TEXT, "mode": TEXT, "exclusion": TEXT, "party": TEXT, "obligation": TEXT, "event": TEXT,
    "cause": st.lists(TEXT, min_size=1, max_size=4).map(tuple), "version": TEXT, "severity": TEXT, "target": TEXT,
    "calendar": TEXT, "elapsed": st.integers(0, 10**6), "paused": st.integers(0, 10**6), "excluded": st.booleans(),
    "initial": st.booleans(), "event_type": TEXT,
}


@st.composite
def actions(draw: st.DrawFn) -> Action:
    kind = draw(st.sampled_from(["start_clock", "stop_clock", "obligation", "breach", "warn", "escalate"]))
    optional = {name: draw(st.none() | strategy) for name, strategy in OPTIONAL.items()}
    return Action(ticket=draw(TEXT), at=draw(INSTANT), action=kind, contract="c", rule="r", clause="k",
                  reason=draw(TEXT), rank=draw(st.integers(0, 5)), **optional)


@given(actions())
def test_to_dict_is_the_generic_reading_of_its_rules(action: Action) -> None:
    got = action.to_dict()
    assert got == reference(action) and list(got) == list(reference(action))


def _every_field() -> dict[str, Any]:
    """A value of its type for every field, distinct where the type allows, in field order."""
    values: dict[str, Any] = {name: f"{name}-text" for name in ACTION_FIELDS}
    values.update(at=1, due=2, level=3, elapsed=4, paused=5, rank=6, met=True, excluded=True, initial=False,
                  elapsed_ratio=0.5, cause=("e1",))
    return values


def test_every_field_set_gives_the_declared_key_order() -> None:
    keys = list(Action(**_every_field()).to_dict())
    assert keys == ["id", "ticket", "at", "action", *("from" if n == "from_" else n for n in _EXTRA),
                    "contract", "version", "rule", "clause", "reason", "event"]


def test_the_two_nulls_interface_names() -> None:
    owed = Action(ticket="T", at=0, action="obligation", contract="c", rule="r", clause="k", reason="owed")
    assert "due" in owed.to_dict() and owed.to_dict()["due"] is None
    excluded = Action(ticket="T", at=0, action="stop_clock", contract="c", rule="r", clause="k", reason="x",
                      excluded=True)
    assert excluded.to_dict()["met"] is None
    plain = Action(ticket="T", at=0, action="stop_clock", contract="c", rule="r", clause="k", reason="x")
    assert "met" not in plain.to_dict() and "due" not in plain.to_dict()


def test_the_written_out_init_takes_the_fields_in_order_with_their_defaults() -> None:
    """By behaviour, not by signature: a compiled __init__ shows only (*args, **kwargs) to inspect."""
    import dataclasses

    fields = dataclasses.fields(Action)
    assert [f.name for f in fields] == list(ACTION_FIELDS)
    values = _every_field()
    for action in (Action(*values.values()), Action(**values)):  # positionally (as snapshot.py restores), by name
        assert [getattr(action, f.name) for f in fields] == list(values.values())
    required = {f.name: values[f.name] for f in fields if f.default is dataclasses.MISSING}
    bare = Action(**required)
    assert [getattr(bare, f.name) for f in fields if f.name not in required] == \
        [f.default for f in fields if f.name not in required]

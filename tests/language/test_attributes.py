"""Declared attributes (engine/language/attributes.py) and the pause-on-status rule document.

The fixture tests/attribute_fixtures/status.yaml is a contract of one's own: calendar `biz`
Mon-Fri 09:00-17:00 UTC, response 2 business hours, resolution 8 business hours, and
`pause-on-status` pausing the resolution clock while `status` is awaiting_vendor or awaiting_change.
Every due instant below is counted by hand in those business hours.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TESTS

from engine import Engine
from engine.language.loader import check_files, load_contracts
from engine.language.resources import standard_rules_dir
from engine.model.events import EventError

FIXTURE = TESTS / "attribute_fixtures" / "status.yaml"
TEXT = FIXTURE.read_text(encoding="utf-8")
RULE_DOC = standard_rules_dir() / "pause-on-status.yaml"


def _variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "status.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _where(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of the only occurrence of `needle` in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [(i + 1, line.index(needle) + 1) for i, line in enumerate(lines) if needle in line]
    assert len(found) == 1, needle
    return found[0]


def _found(path: Path) -> list[tuple]:
    return [(d.code, d.severity, d.file, d.line, d.col, d.message) for d in check_files([path])
            if d.code in ("unknown-attribute", "attribute-value", "builtin-attribute")]


# --- validation -----------------------------------------------------------------------------

def test_the_fixture_and_the_rule_document_are_valid():
    assert [d.render() for d in check_files([FIXTURE, RULE_DOC])] == []


def test_an_undeclared_ticket_path_in_a_condition_is_a_located_error_with_a_did_you_mean(tmp_path):
    path = _variant(tmp_path, ("{ticket.production: true, ticket.plan: gold}", "{ticket.prodution: true, ticket.plan: gold}"))
    line, col = _where(path, "ticket.prodution")
    assert _found(path) == [("unknown-attribute", "error", str(path), line, col,
                             "'ticket.prodution' is not declared under `attributes:`; did you mean 'ticket.production'?")]


def test_an_undeclared_path_in_a_reason_template_is_a_located_error(tmp_path):
    path = _variant(tmp_path, ("in status {ticket.status}", "in status {ticket.staus}"))
    line, col = _where(path, '"gold production')  # the reason's value
    assert _found(path) == [("unknown-attribute", "error", str(path), line, col,
                             "'ticket.staus' is not declared under `attributes:`; did you mean 'ticket.status'?")]


def test_an_event_field_that_does_not_exist_is_a_located_error(tmp_path):
    path = _variant(tmp_path, ("{ticket.production: true, ticket.plan: gold}", "{event.atrs.production: true}"))
    line, col = _where(path, "event.atrs")
    assert _found(path) == [("unknown-attribute", "error", str(path), line, col,
                             "unknown event field 'atrs' in 'event.atrs.production'; did you mean 'attrs'?")]


def test_values_outside_the_declaration_or_of_the_wrong_type_are_located_errors(tmp_path):
    path = _variant(tmp_path, ("{ticket.production: true, ticket.plan: gold}",
                               "{ticket.production: 'yes', ticket.plan: platinum, ticket.seats: '10'}"))
    line = _where(path, "ticket.seats")[0]
    assert _found(path) == [
        ("attribute-value", "error", str(path), line, _where(path, "ticket.production")[1],
         "'ticket.production' never equals 'yes': expected true or false, got 'yes'"),
        ("attribute-value", "error", str(path), line, _where(path, "ticket.plan: platinum")[1],
         "'ticket.plan' never equals 'platinum': expected one of 'basic', 'gold', got 'platinum'"),
        ("attribute-value", "error", str(path), line, _where(path, "ticket.seats")[1],
         "'ticket.seats' never equals '10': expected an integer, got '10'"),
    ]


def test_a_value_an_include_passes_in_is_checked_after_expansion_and_located_where_it_was_given(tmp_path):
    # the misspelled status reaches the standard rule document's conditions through `with:`: the
    # error is located at that `with:` value, which the author can fix (not in the package's file)
    path = _variant(tmp_path, ("statuses: [awaiting_vendor, awaiting_change]", "statuses: [awaiting_vendor, awaiting_chnge]"))
    found = _found(path)
    assert [f[0] for f in found] == ["attribute-value"] * 3 and all(f[2] == str(path) for f in found)
    assert {f[5] for f in found} == {"'ticket.status' never equals 'awaiting_chnge': expected one of 'new', "
                                     "'in_progress', 'awaiting_vendor', 'awaiting_change', got 'awaiting_chnge'",
                                     "'event.prev.status' never equals 'awaiting_chnge': expected one of 'new', "
                                     "'in_progress', 'awaiting_vendor', 'awaiting_change', got 'awaiting_chnge'"}
    assert {(f[3], f[4]) for f in found} == {_where(path, "awaiting_chnge]")}


def test_an_undeclared_read_in_a_standard_rule_document_is_located_at_the_include_naming_its_line(tmp_path):
    path = _variant(tmp_path, ("  status: {type: string, values: [new, in_progress, awaiting_vendor, awaiting_change], "
                               "description: the ticket's workflow status}\n", ""),
                    ("in status {ticket.status}", "in status"))
    found = _found(path)
    include = _where(path, "rules: pause-on-status")[0]
    lines = [_where(RULE_DOC, needle)[0] for needle in ("match: {$in: {ticket.status:", "$in: {event.prev.status:",
                                                         "- {$nex: {ticket.status: 1}}", "- {$nin: {ticket.status:")]
    assert {(f[0], f[2], f[3]) for f in found} == {("unknown-attribute", str(path), include)}
    assert sorted(int(f[5].rsplit("line ", 1)[1].rstrip(")")) for f in found) == sorted(lines)
    assert found[0][5].startswith("'ticket.status' is not declared under `attributes:`; did you mean 'ticket.seats'? "
                                  "(in the standard rule document 'pause-on-status', line ")


def test_without_an_attributes_section_undeclared_reads_are_warnings_once_per_name(tmp_path):
    start = TEXT.index("attributes:\n")
    end = TEXT.index("parties:\n")
    path = tmp_path / "status.yaml"
    path.write_text(TEXT[:start] + TEXT[end:], encoding="utf-8")
    found = _found(path)
    assert {(f[0], f[1]) for f in found} == {("unknown-attribute", "warning")}
    # ticket.status in the contract's rule first, event.prev.status (the same name) in the rule document
    assert [f[5].split("'")[1] for f in found] == ["ticket.plan", "ticket.production", "ticket.status"]
    contracts, diags = load_contracts([path])
    assert list(contracts) == ["status-desk"] and [d for d in diags if d.severity == "error"] == []


def test_a_builtin_attribute_cannot_be_declared(tmp_path):
    path = _variant(tmp_path, ("  seats: {type: integer}\n", "  seats: {type: integer}\n  severity: {type: string}\n"))
    line, col = _where(path, "  severity: {type: string}")
    assert _found(path) == [("builtin-attribute", "error", str(path), line, col + 2,
                             "'severity' is built in (ticket.severity is kept by the engine); remove it from "
                             "`attributes:`")]


def test_declared_values_must_have_the_declared_type(tmp_path):
    path = _variant(tmp_path, ("  seats: {type: integer}\n", "  seats: {type: integer, values: [1, '2']}\n"))
    line, col = _where(path, "'2'")
    assert _found(path) == [("attribute-value", "error", str(path), line, col,
                             "value '2' of 'seats' is not an integer (its type is integer)")]


# --- runtime --------------------------------------------------------------------------------

def ev(eid: str, at: str, kind: str, **attrs) -> dict:
    event = {"id": eid, "ticket": "T1", "at": at, "type": kind, "attrs": attrs}
    if kind == "opened":
        event["contract"] = "status-desk"
    return event


@pytest.mark.parametrize(("attrs", "reason"), [
    ({"plan": "platinum"}, "attrs.plan: expected one of 'basic', 'gold', got 'platinum'"),
    ({"plan": "gold", "seats": "ten"}, "attrs.seats: expected an integer, got 'ten'"),
    ({"plan": "gold", "seats": True}, "attrs.seats: expected an integer, got true"),
    ({"plan": "gold", "status": "closed"}, "attrs.status: expected one of 'new', 'in_progress', 'awaiting_vendor', "
                                           "'awaiting_change', got 'closed'"),
])
def test_an_event_giving_a_declared_attribute_a_bad_value_is_rejected(attrs, reason):
    engine = Engine.load([FIXTURE])
    with pytest.raises(EventError) as info:
        engine.process(ev("e1", "2026-03-02T09:00:00Z", "opened", severity="P1", **attrs))
    assert info.value.code == "invalid-attribute"
    assert str(info.value) == f"{reason} (declared under the contract's `attributes:`)"
    assert engine.tickets == {}


def test_undeclared_attributes_stay_free_and_null_unsets_a_declared_one():
    engine = Engine.load([FIXTURE])
    engine.process(ev("e1", "2026-03-02T09:00:00Z", "opened", severity="P1", plan="gold", colour=[1, 2], seats=12))
    engine.process(ev("e2", "2026-03-02T09:30:00Z", "updated", seats=None, mood="calm"))
    with pytest.raises(EventError) as info:
        engine.process(ev("e3", "2026-03-02T09:40:00Z", "updated", seats=2.5))
    assert info.value.code == "invalid-attribute"
    assert engine.read("T1", "ticket.colour") == [1, 2] and engine.read("T1", "ticket.seats") is None
    assert str(info.value) == "attrs.seats: expected an integer, got 2.5 (declared under the contract's `attributes:`)"


# --- pause-on-status ------------------------------------------------------------------------

def _clock_actions(actions: list) -> list[tuple]:
    return [(a.at_text if hasattr(a, "at_text") else a.to_dict()["at"], a.action, a.clock, a.to_dict().get("due"))
            for a in actions if a.clock == "resolution"]


def test_a_status_awaiting_the_vendor_pauses_the_resolution_only_and_leaving_it_resumes():
    engine = Engine.load([FIXTURE])
    out = engine.process(ev("e1", "2026-03-02T09:00:00Z", "opened", severity="P1", plan="basic", status="new"))
    # Mon 09:00 + 8 business hours is used up at Mon 17:00, a closing: due at the next opening, Tue 09:00
    # (docs/INTERFACE.md "Time"); response Mon 09:00 + 2 h = Mon 11:00
    assert [(a.action, a.clock, a.to_dict()["due"]) for a in out] == [
        ("start_clock", "response", "2026-03-02T11:00:00Z"), ("start_clock", "resolution", "2026-03-03T09:00:00Z")]
    out = engine.process(ev("e2", "2026-03-02T10:00:00Z", "updated", status="awaiting_vendor"))
    assert [(a.action, a.clock, a.rule, a.clause) for a in out] == [
        ("pause_clock", "resolution", "status-desk.waiting.pause", "SD-RES")]  # a clock action cites its target's clause
    # another pausing status: still paused, nothing resumes
    out = engine.process(ev("e3", "2026-03-02T15:00:00Z", "updated", status="awaiting_change"))
    # the response clock never paused: it breached at Mon 11:00 (fired before e3); the resolution stays paused
    assert [(a.action, a.clock, a.to_dict()["at"]) for a in out] == [("breach", "response", "2026-03-02T11:00:00Z")]
    out = engine.process(ev("e4", "2026-03-03T11:00:00Z", "updated", status="in_progress"))
    # 1 h used Mon 09:00-10:00; 7 h left from Tue 11:00: 6 h to 17:00, 1 h Wed 09:00-10:00
    assert [(a.action, a.clock, a.to_dict()["due"], a.rule) for a in out if a.clock == "resolution"] == [
        ("resume_clock", "resolution", "2026-03-04T10:00:00Z", "status-desk.waiting.resume")]


def test_opened_in_a_pausing_status_starts_then_pauses_and_clearing_the_status_resumes():
    engine = Engine.load([FIXTURE])
    out = engine.process(ev("e1", "2026-03-02T09:00:00Z", "opened", severity="P2", plan="gold", status="awaiting_change"))
    assert [(a.action, a.clock) for a in out] == [("start_clock", "response"), ("start_clock", "resolution"),
                                                  ("pause_clock", "resolution")]
    out = engine.process(ev("e2", "2026-03-02T13:00:00Z", "updated", status=None))
    # 0 used; 8 h from Mon 13:00: 4 h to 17:00, 4 h Tue 09:00-13:00
    assert [(a.action, a.clock, a.to_dict()["due"]) for a in out if a.clock == "resolution"] == [
        ("resume_clock", "resolution", "2026-03-03T13:00:00Z")]
    out = engine.process(ev("e3", "2026-03-03T13:00:00Z", "resolved"))
    assert [(a.action, a.clock, a.met) for a in out if a.clock == "resolution"] == [("stop_clock", "resolution", True)]


def test_a_clock_started_while_the_status_pauses_is_paused_at_once():
    """An update that does not touch the status leaves the pause; `responded` stops the response
    clock only; reopening the status resumes the resolution where it stood."""
    engine = Engine.load([FIXTURE])
    engine.process(ev("e1", "2026-03-02T09:00:00Z", "opened", severity="P1", plan="basic"))
    engine.process(ev("e2", "2026-03-02T09:30:00Z", "updated", status="awaiting_vendor"))
    assert engine.process(ev("e3", "2026-03-02T09:45:00Z", "updated", seats=3)) == []
    out = engine.process(ev("e4", "2026-03-02T10:00:00Z", "responded"))
    assert [(a.action, a.clock) for a in out] == [("stop_clock", "response")]
    out = engine.process(ev("e5", "2026-03-02T16:30:00Z", "updated", status="in_progress"))
    # 30 min used; 7 h 30 left from Mon 16:30: 30 min to 17:00, 7 h Tue 09:00-16:00
    assert [(a.action, a.to_dict()["due"]) for a in out] == [("resume_clock", "2026-03-03T16:00:00Z")]


_CONTRACTS = load_contracts([TESTS.parent / "contracts"])[0]


def _attrs_of_declared_names():
    from hypothesis import strategies as st

    names = sorted({name for c in _CONTRACTS.values() for name in c.attributes} - {"severity"})
    declared = sorted({v for c in _CONTRACTS.values() for a in c.attributes.values() for v in (a.values or ())
                       if isinstance(v, str)})
    values = st.one_of(st.sampled_from(declared), st.text(max_size=6), st.integers(-2, 2), st.booleans(), st.none(),
                       st.floats(allow_nan=False, width=16), st.lists(st.text(max_size=2), max_size=2))
    return st.dictionaries(st.sampled_from(names + ["free-form"]), values, max_size=4)


def test_the_look_up_of_declared_text_values_answers_as_the_full_check():
    """CompiledContract.attribute_problem checks a declared text or boolean attribute's value with one
    set look-up, and skips undeclared ones; on generated attributes its answer (code and reason) is
    engine.model.attribute_values'."""
    from hypothesis import given, settings

    from engine.model.attribute_values import event_attribute_problem

    @settings(max_examples=300, deadline=None)
    @given(attrs=_attrs_of_declared_names())
    def check(attrs):
        for contract in _CONTRACTS.values():
            if any(attrs.get(c.zone_attr) is not None or attrs.get(c.country_attr) is not None
                   for c in contract.calendars.values()):
                continue  # the calendars' checks come first; not what this compares
            expected = event_attribute_problem(contract.attributes, attrs) if contract.attributes else None
            assert contract.attribute_problem(attrs) == expected

    check()

"""The public Python API: `engine.__all__`, Engine.load errors, the small helpers."""

from __future__ import annotations

import pytest
from runtime_fixtures.helpers import ACME, MINI, write

import engine
from engine import (
    Action,
    ContractError,
    Diagnostic,
    Engine,
    Event,
    check_files,
    format_instant,
    load_contracts,
    parse_event,
    parse_instant,
)
from engine.model.durations import parse_duration


def test_star_import_exposes_exactly_all():
    namespace: dict = {}
    exec("from engine import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(engine.__all__)
    assert len(engine.__all__) == len(set(engine.__all__))
    for name in engine.__all__:
        assert getattr(engine, name) is namespace[name]


def test_all_holds_the_documented_entry_points():
    assert {"Engine", "Action", "Event", "EventError", "ContractError", "Diagnostic", "ObligoError",
            "load_contracts", "check_files", "parse_event", "parse_instant", "format_instant", "evaluate",
            "Evaluation"} <= set(engine.__all__)


def test_engine_load_raises_contract_error_with_every_diagnostic(tmp_path):
    text = MINI.replace("calendar: local", "calendar: locl").replace("clause: MINI-SEV", "clause: MINI-SEVERITY")
    path = write(tmp_path / "mini.yaml", text)
    with pytest.raises(ContractError) as info:
        Engine.load([path])
    diags = info.value.diagnostics
    assert all(isinstance(d, Diagnostic) for d in diags)
    codes = {d.code for d in diags}
    assert {"unknown-calendar", "unknown-clause"} <= codes
    for d in diags:
        if d.code in ("unknown-calendar", "unknown-clause"):
            assert d.file == str(path) and d.line and d.col
    assert str(info.value).startswith(diags[0].render())
    assert f"(+{len(diags) - 1} more)" in str(info.value)


def test_engine_load_yaml_syntax_error_is_located(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI.replace("parties: {vendor: Vendor, customer: Customer}", "parties: {vendor: ["))
    with pytest.raises(ContractError) as info:
        Engine.load([path])
    (diag,) = info.value.diagnostics
    assert diag.code == "yaml-syntax" and diag.file == str(path) and diag.line is not None


def test_engine_load_missing_file(tmp_path):
    with pytest.raises(ContractError, match="no such file"):
        Engine.load([tmp_path / "nope.yaml"])


def test_load_contracts_and_check_files_return_diagnostics_instead_of_raising(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI.replace("all: 2 hours", "all: 2 fortnights"))
    contracts, diags = load_contracts([path])
    assert contracts == {} and diags and diags[0].code == "schema"
    assert [d.code for d in check_files([path])] == [d.code for d in diags]
    contracts, diags = load_contracts([ACME])
    assert list(contracts) == ["acme"] and [d for d in diags if d.severity == "error"] == []


def test_process_accepts_a_dict_or_an_event_and_returns_actions():
    eng = Engine.load([ACME])
    event = parse_event({"id": "e1", "ticket": "T1", "at": "2026-03-02T10:00:00+01:00", "type": "opened", "contract": "acme",
                         "attrs": {"plan": "gold", "region": "france", "severity": "S2"}})
    assert isinstance(event, Event) and event.at == parse_instant("2026-03-02T09:00:00Z")
    out = eng.process(event)
    assert out and all(isinstance(a, Action) for a in out)


def test_instants_and_durations():
    assert parse_instant("2026-03-02T10:00:00+01:00") == parse_instant("2026-03-02T09:00:00Z") == 1772442000
    assert format_instant(1772442000) == "2026-03-02T09:00:00Z"
    assert parse_duration("2 hours") == parse_duration("120 minutes")
    assert parse_duration("3 business days").is_business_days

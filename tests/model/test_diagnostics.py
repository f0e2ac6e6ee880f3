"""`engine.diagnostics`: one Diagnostic type, rendered `file:line:col: code: message (at $.path)`."""

from __future__ import annotations

import pytest

from engine.model.diagnostics import ContractError, Diagnostic, did_you_mean, errors_only, format_path


@pytest.mark.parametrize(("diag", "text"), [
    (Diagnostic("unknown-calendar", "unknown calendar 'emae'", "c.yaml", 42, 15, ("targets", 0, "calendar")),
     "c.yaml:42:15: unknown-calendar: unknown calendar 'emae' (at $.targets[0].calendar)"),
    (Diagnostic("yaml-syntax", "bad", "c.yaml", 3, None), "c.yaml:3:1: yaml-syntax: bad"),
    (Diagnostic("file-not-found", "no such file", "c.yaml"), "c.yaml: file-not-found: no such file"),
    (Diagnostic("x", "m"), "<input>: x: m"),
    (Diagnostic("x", "m", path=("a",)), "<input>: x: m (at $.a)"),
    (Diagnostic("inventory-missing", "not found", severity="warning"), "<input>: warning: inventory-missing: not found"),
    (Diagnostic("x", "m", "f", 1, 2, ("a", 0, "b.c", 3), "note"), "f:1:2: note: x: m (at $.a[0].b.c[3])"),
])
def test_render(diag, text):
    assert diag.render() == text


def test_at_fills_in_only_what_is_unknown():
    d = Diagnostic("x", "m")
    assert d.at("f.yaml", 3, 4) == Diagnostic("x", "m", "f.yaml", 3, 4)
    located = Diagnostic("x", "m", "own.yaml", 1, 2)
    assert located.at("other.yaml", 9, 9) == located
    assert Diagnostic("x", "m", line=0, col=0).at("f", 5, 5) == Diagnostic("x", "m", "f", 0, 0)


def test_diagnostics_are_frozen_values():
    d = Diagnostic("x", "m")
    with pytest.raises(AttributeError):
        d.code = "y"  # type: ignore[misc]
    assert d == Diagnostic("x", "m") and hash(d) == hash(Diagnostic("x", "m"))


def test_to_dict():
    d = Diagnostic("unknown-plan", "unknown plan 'x'", "c.yaml", 4, 5, ("targets", 1, "match", "ticket.plan"))
    assert d.to_dict() == {"code": "unknown-plan", "message": "unknown plan 'x'", "file": "c.yaml", "line": 4, "col": 5,
                           "path": "$.targets[1].match.ticket.plan", "severity": "error", "clause": None, "hint": None}
    assert d.json_path == "$.targets[1].match.ticket.plan"


def test_format_path():
    assert format_path(()) == "$"
    assert format_path(["rules", 2, "then", 0, "start_clock"]) == "$.rules[2].then[0].start_clock"
    assert format_path(("when", "match", "$in", "ticket.severity")) == "$.when.match.$in.ticket.severity"


@pytest.mark.parametrize(("name", "candidates", "hint"), [
    ("emae", ["emea", "apac", "americas"], "; did you mean 'emea'?"),
    ("standrad", {"standard": 1, "premium": 2}, "; did you mean 'standard'?"),
    ("P3", ["P1", "P2"], "; expected one of: P1, P2"),
    ("zzz", ["b", "a", "a"], "; expected one of: a, b"),
    ("zzz", [f"opt{i:02d}" for i in range(13)], ""),
    ("zzz", [], ""),
    (None, ["customer", "vendor"], "; expected one of: customer, vendor"),  # a missing name
    (3, ["3x", "abc"], "; did you mean '3x'?"),  # names that are not text
])
def test_did_you_mean(name, candidates, hint):
    assert did_you_mean(name, candidates) == hint


def test_contract_error_carries_every_diagnostic():
    diags = [Diagnostic("a", "first", "f", 1, 1), Diagnostic("b", "second"), Diagnostic("c", "third")]
    err = ContractError(diags)
    assert err.diagnostics == diags
    assert str(err) == "f:1:1: a: first (+2 more)"
    assert str(ContractError(diags[:1])) == "f:1:1: a: first"
    assert str(ContractError([])) == "invalid contract"


def test_errors_only():
    warning = Diagnostic("w", "m", severity="warning")
    error = Diagnostic("e", "m")
    assert errors_only([warning, error, warning]) == [error]
    assert errors_only(iter([])) == []

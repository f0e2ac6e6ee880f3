"""Mapping files: schema and semantic problems located file:line:col like a contract's; built-ins load."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest import MappingError, import_events
from engine.ingest.mapping import load_mapping_file, load_mapping_text
from engine.ingest.registry import builtin_names, resolve

HERE = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("name", "code", "line", "col", "words"), [
    ("bad-state-event.yaml", "schema", 9, 31, "'event' is \"opend\""),
    ("bad-timezone.yaml", "unknown-timezone", 8, 13, "'Europe/Amsterdm' is not an IANA time zone"),
    ("bad-from.yaml", "unknown-state", 10, 37, "did you mean 'Resolved'"),
    ("missing-zone.yaml", "missing-timezone", 5, 10, "timezone"),
])
def test_failure_fixtures_are_located(name, code, line, col, words):
    mapping, diags = load_mapping_file(HERE / name)
    assert mapping is None
    assert [(d.code, d.line, d.col) for d in diags] == [(code, line, col)]
    assert words in diags[0].message
    assert diags[0].render().startswith(f"{HERE / name}:{line}:{col}: {code}: ")


def test_unknown_field_with_did_you_mean():
    text = "id: x\ninput: {format: csv}\ncontract: c\ntickett: n\nticket: n\ninstant: {column: a, format: iso}\n" \
           "states: {column: s, values: {A: {status: a}}}\n"
    _, diags = load_mapping_text(text, "m.yaml")
    assert [(d.code, d.line, d.col) for d in diags] == [("schema", 4, 1)]
    assert "did you mean 'ticket'" in diags[0].message


def test_yaml_limits_apply_to_mappings():
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for p, c in zip("abcde", "bcdef", strict=True):
        lines.append(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]")
    text = "\n".join(lines) + "\n"
    _, diags = load_mapping_text(text, "bomb.yaml")
    assert diags and diags[0].code == "yaml-aliases"


def test_import_events_raises_with_every_diagnostic():
    with pytest.raises(MappingError) as info:
        import_events(HERE / "bad-from.yaml", [HERE / "desk.csv"])
    assert info.value.diagnostics[0].code == "unknown-state"


def test_builtins_are_package_data_and_valid():
    names = builtin_names()
    assert "servicenow" in names
    for name in names:
        mapping, diags = resolve(name)
        assert mapping is not None, [d.render() for d in diags]
        assert mapping.id == name


def test_unknown_name_suggests_a_builtin():
    mapping, diags = resolve("servicenw")
    assert mapping is None and diags[0].code == "unknown-mapping" and "did you mean 'servicenow'" in diags[0].message


def test_bad_override_is_a_value_error():
    with pytest.raises(ValueError, match="only contract, timezone"):
        import_events(HERE / "desk.yaml", [HERE / "desk.csv"], {"zone": "UTC"})
    with pytest.raises(ValueError, match="time zone"):
        import_events(HERE / "desk.yaml", [HERE / "desk.csv"], {"timezone": "../etc/passwd"})


def test_a_zone_that_is_a_directory_or_too_long_a_name_is_refused_in_words():
    from engine.ingest.mapping import zone_problem

    assert zone_problem("Europe/Amsterdam") is None
    for name in ("Europe", "x" * 5000):  # IsADirectoryError, then OSError (file name too long) from zoneinfo
        problem = zone_problem(name)
        assert problem is not None and problem.endswith("is not an IANA time zone name this machine knows "
                                                        "(e.g. Europe/Amsterdam, UTC)")

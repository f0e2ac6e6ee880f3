"""`engine.load`: safe YAML with a line/column for every JSON path, YAML 1.2 booleans, text timestamps,
string keys, duplicate keys as errors, and problems returned as diagnostics (never raised)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import INVALID, MINIMAL
from hypothesis import event, given, settings
from hypothesis import strategies as st

import engine.language.load as loader_module
from engine.language.load import load_file, load_text, load_value


def load(text: str):
    doc, problems = load_text(text, "t.yaml")
    assert problems == [], [p.render() for p in problems]
    return doc


# --- positions --------------------------------------------------------------------------------

def test_every_value_and_key_has_its_line_and_column():
    doc = load(
        "id: x\n"                      # 1
        "targets:\n"                   # 2
        "  - id: a\n"                  # 3
        "    severities:\n"            # 4
        "      P1: {duration: 1 hour, calendar: 24x7}\n"  # 5
        "      P2: 2 hours\n"          # 6
        "    match: {$in: {ticket.plan: [a, b]}}\n"      # 7
    )
    assert doc.positions[("id",)] == (1, 5)
    assert doc.key_positions[("id",)] == (1, 1)
    assert doc.positions[("targets", 0)] == (3, 5)
    assert doc.positions[("targets", 0, "severities", "P1")] == (5, 11)
    assert doc.positions[("targets", 0, "severities", "P1", "calendar")] == (5, 40)
    assert doc.key_positions[("targets", 0, "severities", "P1", "calendar")] == (5, 30)
    assert doc.positions[("targets", 0, "severities", "P2")] == (6, 11)
    assert doc.key_positions[("targets", 0, "severities", "P2")] == (6, 7)
    assert doc.positions[("targets", 0, "match", "$in", "ticket.plan", 1)] == (7, 36)


def test_locate_falls_back_to_the_nearest_located_ancestor():
    doc = load("a:\n  b: {c: 1}\n")
    assert doc.locate(("a", "b", "c")) == (2, 10)
    assert doc.locate(("a", "b", "missing", 3)) == (2, 6)
    assert doc.locate(("a", "b"), key=True) == (2, 3)
    assert doc.locate(("a", "nope"), key=True) == (2, 3)  # no key position: the value of the ancestor
    assert doc.locate(()) == (1, 1)


def test_diag_is_located_and_carries_the_json_path():
    doc = load("a:\n  - b: 1\n")
    d = doc.diag("some-code", "msg", ("a", 0, "b"))
    assert (d.file, d.line, d.col, d.json_path) == ("t.yaml", 2, 8, "$.a[0].b")
    k = doc.diag("some-code", "msg", ("a", 0, "b"), key=True)
    assert (k.line, k.col) == (2, 5)


def test_positions_of_the_base_fixture():
    doc, problems = load_file(MINIMAL)
    assert problems == []
    assert doc.positions[("targets", 0, "calendar")] == (42, 15)
    line = MINIMAL.read_text(encoding="utf-8").splitlines()[58]
    assert doc.positions[("include", 0, "with", "stop_on", 0)] == (59, line.index("responded") + 1) == (59, 76)


# --- YAML 1.2 scalars, string keys ------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("on: [opened]", {"on": ["opened"]}),
    ("off: 1", {"off": 1}),
    ("a: yes", {"a": "yes"}),
    ("a: no", {"a": "no"}),
    ("a: on", {"a": "on"}),
    ("a: Off", {"a": "Off"}),
    ("a: y", {"a": "y"}),
    ("a: true", {"a": True}),
    ("a: False", {"a": False}),
    ("a: TRUE", {"a": True}),
    ("a: ~", {"a": None}),
    ("a: null", {"a": None}),
    ("a: 2", {"a": 2}),
    ("a: 2.5", {"a": 2.5}),
    ('a: "2026.1"', {"a": "2026.1"}),
])
def test_yaml_1_2_booleans(text, expected):
    assert load(text).data == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("effective_from: 2026-01-01", "2026-01-01"),
    ("at: 2026-03-02T16:50:00+01:00", "2026-03-02T16:50:00+01:00"),
    ("at: 2026-03-02 16:50:00Z", "2026-03-02 16:50:00Z"),
    ("at: 2026-03-02t16:50:00.5z", "2026-03-02t16:50:00.5z"),
])
def test_timestamps_stay_text_as_written(text, expected):
    (value,) = load(text).data.values()
    assert value == expected


def test_timestamps_inside_lists_and_as_keys_stay_text():
    data = load("dates: [2026-12-24, 2026-12-25]\n2026-01-01T10:00:00Z: x\n2026-01-02: y\n").data
    assert data == {"dates": ["2026-12-24", "2026-12-25"], "2026-01-01T10:00:00Z": "x", "2026-01-02": "y"}


def test_keys_become_strings():
    data = load("1: a\n2.5: b\ntrue: c\nfalse: d\n~: e\nyes: f\n").data
    assert data == {"1": "a", "2.5": "b", "true": "c", "false": "d", "null": "e", "yes": "f"}
    assert all(isinstance(k, str) for k in data)


def test_nested_keys_become_strings_and_values_keep_their_type():
    data = load("severities: {1: 1 hour, 2: {duration: 2 hours}}\n").data
    assert data == {"severities": {"1": "1 hour", "2": {"duration": "2 hours"}}}


@pytest.mark.parametrize(("text", "col"), [
    ("a: !!python/object/apply:os.system ['true']\n", 4),
    ("a: !!python/object:builtins.dict {x: 1}\n", 4),
    ("a: !!python/name:os.system\n", 4),
    ("a: !!set {x, y}\n", 4),
    ("a: !custom 3\n", 4),
])
def test_no_tags(text, col):
    doc, problems = load_text(text, "t.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("yaml-syntax", 1, col)]


def test_anchors_and_merge_keys_work():
    data = load("base: &b {calendar: emea, P1: 1 hour}\nother:\n  <<: *b\n  P2: 2 hours\n").data
    assert data["other"] == {"calendar": "emea", "P1": "1 hour", "P2": "2 hours"}


# --- problems as diagnostics ------------------------------------------------------------------

def test_duplicate_key_is_an_error_at_the_second_key_and_the_document_still_loads():
    doc, problems = load_text("a:\n  b: 1\n  c: 2\n  b: 3\n", "t.yaml")
    assert doc is not None and doc.data == {"a": {"b": 3, "c": 2}}
    assert [(p.code, p.line, p.col, p.json_path) for p in problems] == [("duplicate-key", 4, 3, "$.a.b")]
    assert problems[0].message == "key 'b' appears twice in this mapping; the second would silently win"


def test_keys_equal_after_becoming_strings_are_duplicates():
    _, problems = load_text("1: a\n'1': b\n", "t.yaml")
    assert [(p.code, p.line) for p in problems] == [("duplicate-key", 2)]


def test_duplicate_key_fixture():
    doc, problems = load_file(INVALID / "duplicate-key.yaml")
    assert doc is not None
    assert [(p.code, p.line, p.col) for p in problems] == [("duplicate-key", 46, 7)]


@pytest.mark.parametrize(("text", "kind", "line"), [
    ("- a\n- b\n", "a list", 1),
    ("just text\n", "text", 1),
    ("# comment\n42\n", "a number", 2),
    ("true\n", "true/false", 1),
])
def test_top_level_must_be_a_mapping(text, kind, line):
    doc, problems = load_text(text, "t.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("not-a-mapping", line, 1)]
    assert problems[0].message == f"expected a YAML mapping at the top, got {kind}"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "--- null\n", "~\n"])
def test_empty_documents(text):
    doc, problems = load_text(text, "t.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("empty-file", 1, 1)]


@pytest.mark.parametrize(("text", "line", "col", "words"), [
    ("a: [1, 2\nb: 3\n", 2, 2, "while parsing a flow sequence (opened at line 1, column 4), expected ',' or ']'"),
    ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "expected <block end>, but found '<block mapping start>'"),
    ('a: "open\n', 2, 1, "while scanning a quoted scalar (opened at line 1, column 4), found unexpected end of stream"),
    ("a: 1\n\tb: 2\n", 2, 1, "found character '\\t' that cannot start any token"),
    ("a: 1\n---\nb: 2\n", 2, 1, "expected a single document in the stream"),
    ("a: *nowhere\n", 1, 4, "found undefined alias 'nowhere'"),
])
def test_yaml_syntax_errors_are_located(text, line, col, words):
    doc, problems = load_text(text, "t.yaml")
    assert doc is None
    (p,) = problems
    assert (p.code, p.line, p.col) == ("yaml-syntax", line, col)
    assert words in p.message
    assert p.render().startswith(f"t.yaml:{line}:{col}: yaml-syntax: YAML syntax error: ")


def test_yaml_syntax_fixture():
    _, problems = load_file(INVALID / "yaml-syntax.yaml")
    assert [(p.code, p.line, p.col) for p in problems] == [("yaml-syntax", 10, 1)]


# --- files ------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    doc, problems = load_file(tmp_path / "nope.yaml")
    assert doc is None
    assert [(p.code, p.file, p.line, p.message) for p in problems] == [
        ("file-not-found", str(tmp_path / "nope.yaml"), None, "no such file")]


def test_directory_instead_of_file(tmp_path):
    _, problems = load_file(tmp_path)
    assert [(p.code, p.message) for p in problems] == [("file-not-found", "is a directory, expected a YAML file")]


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Assistance d'experts\nparty: Société\n".encode("latin-1"))
    doc, problems = load_file(path)
    assert doc is None
    assert [(p.code, p.file, p.line, p.col) for p in problems] == [("encoding", str(path), 2, 12)]
    assert problems[0].message == ("not UTF-8 text: invalid continuation byte (byte 0xE9 at offset 39); "
                                   "save the file as UTF-8")


def test_utf8_with_bom_and_non_ascii_text(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufefftitle: Société\n".encode())
    doc, problems = load_file(path)
    assert problems == []
    assert doc.data == {"title": "Société"}
    assert doc.positions[("title",)] == (1, 8)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    try:
        _, problems = load_file(path)
    finally:
        path.chmod(0o600)
    assert [(p.code, p.message) for p in problems] == [("file-unreadable", "Permission denied")]


@pytest.mark.parametrize(("data", "line", "col"), [
    (b"\xff\xfea\x00:\x00", 1, 1),  # UTF-16 with its byte-order mark
    (b"a: 1\nb: [x, \xc3]\n", 2, 8),  # a truncated two-byte sequence
    ("a: 1\r\nb: \u2603 \u2603 ".encode() + b"\x80\n", 2, 8),  # columns count characters, not bytes
])
def test_not_utf8_is_located_at_the_first_bad_byte(tmp_path, data, line, col):
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    _, problems = load_file(path)
    assert [(p.code, p.line, p.col) for p in problems] == [("encoding", line, col)]


# --- hostile documents: bounded, located, never a traceback -------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit():
    doc, problems = load_text(billion_laughs(), "t.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("yaml-aliases", 5, 25)]  # the fourth *a3
    assert problems[0].message == "aliases expand the document to more than 50,000 values (*a3 stands for 11,111)"


def test_aliases_within_the_limits_still_work():
    doc = load(billion_laughs(4))  # 12,349 values once expanded
    assert doc.data["a3"][9][9][9] == ["lol"] * 10


def test_too_many_alias_uses_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 1_001) + "]\n"
    _, problems = load_text(text, "t.yaml")
    assert [(p.code, p.line) for p in problems] == [("yaml-aliases", 2)]
    assert "more than 1,000 uses of aliases" in problems[0].message


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: {c: *a}}\n", "a: &a\n  - 1\n  - *a\n"])
def test_a_recursive_alias_is_refused(text):
    _, problems = load_text(text, "t.yaml")
    assert [p.code for p in problems] == ["yaml-aliases"]
    assert "recursive structure" in problems[0].message


@pytest.mark.parametrize(("text", "line", "col"), [
    ("a: " + "[" * 600 + "]" * 600 + "\n", 1, 3 + 64),  # the top mapping is level 1, the first `[` level 2
    ("a: " + "{a: " * 600 + "1" + "}" * 600 + "\n", 1, 4 * 64 - 3),  # the key `a` of the 64th mapping
    ("a: &x " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*x" + "]" * 30 + "\n", 2, 3 + 31),  # depth through an alias
])
def test_deep_nesting_is_refused_before_anything_recurses(text, line, col):
    _, problems = load_text(text, "t.yaml")
    assert [(p.code, p.line, p.col) for p in problems] == [("too-deep", line, col)]


def test_block_nesting_at_the_limit_loads():
    text = "".join("  " * i + "k:\n" for i in range(62)) + "  " * 62 + "k: 1\n"  # the 1 is level 64
    assert load(text).data["k"]["k"]["k"] is not None


@pytest.mark.parametrize(("text", "line", "col", "char"), [
    ("a: 1\nb: x\x00y\n", 2, 5, "U+0000 (NUL)"),
    ("a: 1\nb: 'x\x07'\n", 2, 6, "U+0007 (BEL)"),
    ("a: 1\r\nb: \u00e9\x1b\n", 2, 5, "U+001B (ESC)"),
    ("\ufeffa: \x7f\n", 1, 4, "U+007F (DEL)"),
    ("a: \ud800\n", 1, 4, "U+D800"),
])
def test_control_characters_are_located(text, line, col, char):
    doc, problems = load_text(text, "t.yaml")
    assert doc is None
    assert [(p.code, p.line, p.col) for p in problems] == [("control-character", line, col)]
    assert problems[0].message.startswith(f"character {char} is not allowed in a YAML file; delete it")


def test_a_control_character_in_a_file_is_located(tmp_path):
    path = tmp_path / "bel.yaml"
    path.write_bytes(MINIMAL.read_bytes().replace(b"title: Minimal test contract", b"title: Minimal\x07test contract"))
    _, problems = load_file(path)
    assert [(p.code, p.line, p.col) for p in problems] == [("control-character", 3, 15)]


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    _, problems = load_file(path)
    assert [(p.code, p.line, p.col) for p in problems] == [("too-large", 1, 1)]
    assert problems[0].message == "larger than 1 MiB; a contract needs far less"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_file_is_refused():
    _, problems = load_file("/dev/zero")
    assert [p.code for p in problems] == ["too-large"]


def test_too_many_values_are_refused():
    _, problems = load_text("a: [" + "1, " * 50_000 + "1]\n", "t.yaml")
    assert [(p.code, p.line) for p in problems] == [("too-large", 1)]
    assert problems[0].message == "more than 50,000 values; a contract needs far fewer"


def test_a_number_python_cannot_read_is_a_diagnostic():
    _, problems = load_text("a: 1\nb: " + "9" * 5000 + "\n", "t.yaml")
    assert [(p.code, p.line, p.col) for p in problems] == [("too-large", 2, 4)]


@pytest.mark.parametrize(("text", "value"), [("[0.5]", [0.5]), ("2 hours", "2 hours"), ("on", "on"), ("", None),
                                             ("{a: 1}", {"a": 1})])
def test_load_value_reads_one_value_of_any_kind(text, value):
    assert load_value(text) == (value, [])


@pytest.mark.parametrize(("text", "code"), [
    ("&a [*a]", "yaml-aliases"),
    ("[" * 600 + "]" * 600, "too-deep"),
    ("[x, \x07]", "control-character"),
    ("[0.5", "yaml-syntax"),
])
def test_load_value_has_the_limits_of_a_file(text, code):
    value, problems = load_value(text, "--param a.b")
    assert value is None
    assert [(p.code, p.file, p.line) for p in problems] == [(code, "--param a.b", 1)]


# --- LibYAML's parser first, PyYAML's own for the messages (engine.language.load._parse) ---------

def _every_yaml_file() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    files = [p for d in ("contracts", "examples", "engine/rules", "tests") for p in (root / d).rglob("*.yaml")]
    return sorted(p for p in files if p.stat().st_size < 200_000)


@pytest.mark.skipif(loader_module._FAST is None, reason="PyYAML without LibYAML: only the pure-Python loader exists")
def test_the_fast_loader_gives_the_same_document_and_positions_on_every_yaml_file_we_have() -> None:
    files = _every_yaml_file()
    assert len(files) > 50
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if loader_module._text_problem(text, str(path)) is not None:
            continue  # refused before either parser runs
        fast, fast_problems = loader_module._read(loader_module._FAST, text, str(path))
        slow, slow_problems = loader_module._read(loader_module._Loader, text, str(path))
        if any(p.code == "yaml-syntax" for p in fast_problems):
            continue  # read again by the pure-Python loader: its message is the one users see
        assert fast_problems == slow_problems, path
        if fast is not None:
            assert (fast.data, fast.positions, fast.key_positions) == (slow.data, slow.positions, slow.key_positions), path
            compared += 1
    assert compared > 50


def test_a_syntax_error_is_reported_with_pyyamls_message_whichever_parser_found_it(monkeypatch) -> None:
    text = "id: x\nclauses: [a, b\nrules: []\n"
    with_fast = loader_module.load_text(text, "c.yaml")[1]
    monkeypatch.setattr(loader_module, "_FAST", None)
    assert loader_module.load_text(text, "c.yaml")[1] == with_fast
    assert with_fast[0].code == "yaml-syntax" and "opened at line 2" in with_fast[0].message


_yaml_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=8)
_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | _yaml_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_yaml_text, inner, max_size=3), max_leaves=12)


@pytest.mark.skipif(loader_module._FAST is None, reason="PyYAML without LibYAML: only the pure-Python loader exists")
@settings(max_examples=300, deadline=None)
@given(value=_yaml_values, flow=st.booleans())
def test_the_fast_and_the_pure_loader_read_well_formed_yaml_alike(value, flow) -> None:
    import yaml

    text = yaml.safe_dump({"doc": value}, default_flow_style=flow, allow_unicode=True)
    fast, fast_problems = loader_module._read(loader_module._FAST, text, "g.yaml")
    slow, slow_problems = loader_module._read(loader_module._Loader, text, "g.yaml")
    assert fast_problems == slow_problems
    assert fast is not None and slow is not None
    assert (fast.data, fast.positions, fast.key_positions) == (slow.data, slow.positions, slow.key_positions)


@pytest.mark.skipif(loader_module._FAST is None, reason="PyYAML without LibYAML: only the pure-Python loader exists")
@settings(max_examples=300, deadline=None)
@given(value=_yaml_values, flow=st.booleans(), cut=st.integers(0, 400),
       insert=st.sampled_from(["", ":", "-", "[", "{", "'", '"', "&a ", "*a", "\t", " ", "\n", "?", ","]))
def test_on_mangled_yaml_what_loads_is_what_libyaml_read_and_what_it_refuses_is_an_error(value, flow, cut,
                                                                                         insert) -> None:
    import yaml

    text = yaml.safe_dump({"doc": value}, default_flow_style=flow, allow_unicode=True)
    text = text[:cut] + insert + text[cut:]
    if loader_module._text_problem(text, "g.yaml") is not None:
        return
    fast, fast_problems = loader_module._read(loader_module._FAST, text, "g.yaml")
    doc, problems = loader_module._parse(text, "g.yaml")
    refused = any(p.code == "yaml-syntax" for p in fast_problems)
    event(f"LibYAML refused: {refused}")
    if refused:
        assert doc is None and problems and all(p.code == "yaml-syntax" for p in problems)
    else:
        assert problems == fast_problems
        assert (doc is None) == (fast is None)
        if doc is not None and fast is not None:
            assert (doc.data, doc.positions) == (fast.data, fast.positions)


@pytest.mark.parametrize("text", ["d\toc: 1\n", "{d?oc: 1}\n"])
def test_inputs_where_the_two_parsers_differ_are_read_as_libyaml_reads_them(text) -> None:
    if loader_module._FAST is None:
        pytest.skip("PyYAML without LibYAML")
    assert any(p.code == "yaml-syntax" for p in loader_module._read(loader_module._Loader, text, "g.yaml")[1])
    doc, problems = loader_module._parse(text, "g.yaml")
    assert problems == [] and doc is not None and list(doc.data.values()) == [1]

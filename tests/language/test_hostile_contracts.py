"""Hostile and broken contracts (issue 12, section 3): every one gives located diagnostics, never a
traceback, an internal error, a hang or unbounded memory.

The property mutates the valid contracts (the five in contracts/ and tests/fixtures/valid/minimal.yaml)
the ways a careless editor or an attacker would: bytes and characters inserted or deleted, lines
swapped, duplicated or dropped, values changed to another type, deep nesting, alias bombs, huge
numbers and durations, control characters, invalid UTF-8, includes leading out, regexes RE2 refuses,
and feeds each to `check_files` (what `obligo validate` runs) or `load_contracts` (what `replay`
and `test` run). A few fixed hostile files also go through the real command line in a subprocess
with its address space capped. The "ci" profile (conftest.py) runs 200 cases, `make fuzz` 10,000.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MINIMAL, REPO, RULES
from hypothesis import event, given
from hypothesis import strategies as st

from engine.language.loader import check_files, load_contracts
from engine.model.diagnostics import ContractError, Diagnostic

SEEDS = sorted(p for p in (REPO / "contracts").glob("*.yaml") if not p.name.endswith(".tests.yaml")) + [MINIMAL]
TEXTS = {p.name: p.read_bytes() for p in SEEDS}
CASE_SECONDS = 10.0  # a seed contract validates in ~0.2 s (8 s seen on a machine busy with the whole suite)
CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
UNLOCATED = {"no-contracts"}  # diagnostics about no file in particular
FILE_LEVEL = {"file-not-found", "file-unreadable"}  # about a file that cannot be read: no line to give

# values a line's value may be changed to: other types, limits, hostile forms
VALUES = [
    "12", "-3.5", "1e999", "9" * 5000, "0x1F", "[a, 1, [b]]", "{x: 1, y: [2]}", "[]", "{}", "null", "~", "true",
    "''", '"\\x07"', '"\\0"', "!!binary aGVsbG8=", "!!set {a}", "&a [*a]", "*nowhere", "999999999 hours",
    "527041 minutes", "367 business days", "0 minutes", "-1 hours", "'${nope}'", "'${p2_response}'",
    "{$mt: {ticket.product: '(a+)+$'}}", "{$mt: {ticket.product: '(a)\\1'}}", "{$imt: {ticket.x: '(?=a)'}}",
    "../../../etc/passwd", "/etc/passwd", "case.yaml", "../rules/../../x.yaml", "../rules/sla-clock.yaml",
    "sla-clock", "sla-clok", "rules/clock.yaml",
    "'" + "x" * 2000 + "'", "é\u2028ü", "\U0001F600", "[[[[[[[[[[]]]]]]]]]]",
]
SPECIALS = list("[]{}:,-&*!|>'\"#%@`?\t\n \\") + ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\r",
                                                   "<<: *a", "&a ", "*a", "---", "...", "\n  ", "\n- "]


@st.composite
def mutations(draw: st.DrawFn) -> tuple:
    """One edit, with positions as fractions so it applies to any seed."""
    # edits that keep the YAML well formed come more often, so that the schema, expansion, semantic
    # checks and the compiler see broken contracts, not only the YAML parser
    kind = draw(st.sampled_from(["retype"] * 5 + ["dup", "drop", "swap"] * 2 + ["insert", "bytes", "delete", "nest",
                                                                            "bomb", "unicode", "control"]))
    pos = draw(st.floats(0, 1))
    if kind == "insert":
        return kind, pos, draw(st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=4).map("".join))
    if kind == "bytes":
        return kind, pos, draw(st.binary(min_size=1, max_size=4))
    if kind == "delete":
        return kind, pos, draw(st.integers(1, 400))
    if kind == "swap":
        return kind, pos, draw(st.floats(0, 1))
    if kind in ("dup", "drop"):
        return kind, pos, None
    if kind == "retype":
        return kind, pos, draw(st.sampled_from(VALUES) | st.text(max_size=20))
    if kind == "nest":
        return kind, pos, (draw(st.integers(1, 300)), draw(st.sampled_from(["[", "{a: ", "- "])))
    if kind == "bomb":
        return kind, pos, (draw(st.integers(1, 9)), draw(st.integers(2, 10)))
    if kind == "unicode":
        return kind, pos, draw(st.text(min_size=1, max_size=6))
    return kind, pos, draw(st.sampled_from(SPECIALS[-15:-6]))


def _at(seq_len: int, pos: float) -> int:
    return min(int(pos * seq_len), max(seq_len - 1, 0))


def mutate(data: bytes, edit: tuple) -> bytes:
    """`data` with one edit applied (lines split on b"\\n", so invalid UTF-8 survives)."""
    kind, pos, arg = edit
    if kind in ("insert", "unicode", "control", "bytes"):
        i = int(pos * len(data))
        add = arg if isinstance(arg, bytes) else arg.encode("utf-8", "surrogatepass")
        return data[:i] + add + data[i:]
    if kind == "delete":
        i = int(pos * len(data))
        return data[:i] + data[i + arg:]
    lines = data.split(b"\n")
    i = _at(len(lines), pos)
    if kind == "swap":
        j = _at(len(lines), arg)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "dup":
        lines.insert(i, lines[i])
    elif kind == "drop":
        del lines[i]
    elif kind in ("retype", "nest"):
        value = arg if kind == "retype" else arg[1] * arg[0] + ("x" if arg[1] == "- " else "]" * arg[0]
                                                                 if arg[1] == "[" else "1" + "}" * arg[0])
        head, sep, _ = lines[i].partition(b": ")
        lines[i] = (head + sep if sep else lines[i] + b" ") + value.encode("utf-8", "surrogatepass")
    elif kind == "bomb":
        levels, width = arg
        bomb = [b"lol0: &lol0 [" + b", ".join([b"lol"] * width) + b"]"]
        for k in range(1, levels):
            bomb.append(f"lol{k}: &lol{k} [{', '.join([f'*lol{k - 1}'] * width)}]".encode())
        lines[i:i] = bomb
    return b"\n".join(lines)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """root/contracts/ for the mutated file, with rules/clock.yaml (minimal.yaml's own include) below it and the
    standard rule documents beside it in root/rules/ (which a contract may no longer read: include-outside)."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO / "engine" / "rules", root / "rules")
    (root / "contracts" / "rules").mkdir(parents=True)
    shutil.copy(RULES / "clock.yaml", root / "contracts" / "rules" / "clock.yaml")
    return root


def check_diagnostics(diags: list[Diagnostic], path: Path) -> None:
    """Each diagnostic is data a user can act on: a stable code, a message, a file and, for a file
    that exists, the line and column."""
    for d in diags:
        assert isinstance(d, Diagnostic), d
        assert CODE.fullmatch(d.code), d
        assert isinstance(d.message, str) and d.message, d
        assert "Traceback" not in d.message and "internal error" not in d.message, d
        if d.file is None:
            assert d.code in UNLOCATED, d
        elif Path(d.file).is_file() and d.code not in FILE_LEVEL:
            assert d.line is not None and d.line >= 1 and d.col is not None and d.col >= 1, d
        d.render()
        d.to_dict()


@given(seed=st.sampled_from(sorted(TEXTS)), edits=st.lists(mutations(), min_size=1, max_size=4),
       library=st.booleans())
def test_a_mutated_contract_gives_located_diagnostics_in_bounded_time(tree, seed, edits, library):
    data = TEXTS[seed]
    for edit in edits:
        data = mutate(data, edit)
        event(f"mutation: {edit[0]}")
    path = tree / "contracts" / "case.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    try:
        if library:  # what replay, test and Engine.load run
            contracts, diags = load_contracts([path])
        else:  # what obligo validate runs
            diags = check_files([path])
    except ContractError as exc:  # the one exception the library documents
        diags = exc.diagnostics
    elapsed = time.perf_counter() - start
    assert elapsed < CASE_SECONDS, f"{elapsed:.1f} s"
    check_diagnostics(diags, path)
    codes = sorted({d.code for d in diags})
    event(f"outcome: {'valid' if not codes else codes[0] if len(codes) == 1 else 'several codes'}")


# --- the real command line, address space capped ----------------------------------------------------

HOSTILE_FILES: dict[str, tuple[bytes, str]] = {
    "alias-bomb": (mutate(TEXTS[MINIMAL.name], ("bomb", 0.05, (9, 10))), "yaml-aliases"),
    "deep": (mutate(TEXTS[MINIMAL.name], ("nest", 0.9, (600, "["))), "too-deep"),
    "nul": (TEXTS[MINIMAL.name].replace(b"Minimal test", b"Minimal\x00test"), "control-character"),
    "latin-1": (TEXTS[MINIMAL.name].replace(b"Minimal test", "Minimal été".encode("latin-1")), "encoding"),
    "outside": (TEXTS[MINIMAL.name].replace(b"rules/clock.yaml", b"/etc/passwd"), "include-outside"),
    "regex": (TEXTS[MINIMAL.name].replace(b"{$in: {ticket.severity: [P1, P2]}}", b"{$mt: {ticket.plan: '(a)\\1'}}"),
              "bad-regex"),
    "duration": (TEXTS[MINIMAL.name].replace(b"value: 2 hours", b"value: 999999999 business days"),
                 "duration-too-long"),
}
MEMORY = 2 << 30  # bytes of address space for the subprocess: far below what an alias bomb needed


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_the_command_line_answers_a_hostile_file_with_a_located_error(tree, name):
    data, code = HOSTILE_FILES[name]
    path = tree / "contracts" / f"cli-{name}.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "engine.cli.main", "validate", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env={**os.environ},
                          preexec_fn=_cap_memory)
    assert time.perf_counter() - start < 60
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert re.match(rf"{re.escape(str(path))}:[0-9]+:[0-9]+: {code}: ", first), first

"""engine/native.py: the Cython-built modules and the guard that never lets an old build shadow an edit.

The end-to-end check replays one generated log twice in fresh processes, compiled and with
OBLIGO_PURE=1, and compares actions, decision log and rejects byte for byte.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_fixtures.helpers import CONTRACTS, REPO, load_bench_generator

from engine.native import SourceFirst, compiled_modules, extension_files, pure_requested, stale_modules

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
ENGINE_DIR = REPO / "engine"


def fake_tree(tmp_path: Path, *, setup: bool = True) -> Path:
    """A source tree with package `pkg`: mod.py (with a fake extension), plain.py (none), orphan (no .py)."""
    package = tmp_path / "pkg"
    package.mkdir()
    if setup:
        (tmp_path / "setup.py").write_text("")
    for name in ("mod", "plain"):
        (package / f"{name}.py").write_text("VALUE = 'source'\n")
    (package / f"mod{SUFFIX}").write_bytes(b"")
    (package / f"orphan{SUFFIX}").write_bytes(b"")
    return package


def set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


def test_extension_files_lists_built_modules_that_have_a_source(tmp_path):
    package = fake_tree(tmp_path)
    assert extension_files(package) == {"mod": package / f"mod{SUFFIX}"}


def test_a_source_edited_after_its_build_is_stale(tmp_path):
    package = fake_tree(tmp_path)
    set_mtime(package / "mod.py", 1_000)
    set_mtime(package / f"mod{SUFFIX}", 2_000)
    assert stale_modules(package) == []  # built after the last edit
    set_mtime(package / "mod.py", 3_000)
    assert stale_modules(package) == ["mod"]  # edited (or checked out) since


def test_an_installed_copy_is_never_stale(tmp_path):
    # pip writes a wheel's files in any order: outside a source tree the mtimes say nothing
    package = fake_tree(tmp_path, setup=False)
    set_mtime(package / "mod.py", 3_000)
    set_mtime(package / f"mod{SUFFIX}", 2_000)
    assert stale_modules(package) == []


def test_source_first_finds_only_its_modules_as_source(tmp_path):
    package = fake_tree(tmp_path)
    finder = SourceFirst({"pkg.mod": package / "mod.py"})
    spec = finder.find_spec("pkg.mod")
    assert spec is not None and spec.origin == str(package / "mod.py")
    assert isinstance(spec.loader, importlib.machinery.SourceFileLoader)
    assert finder.find_spec("pkg.plain") is None and finder.find_spec("json") is None


@pytest.mark.parametrize(("value", "pure"), [(None, False), ("", False), ("0", False), ("1", True), ("yes", True)])
def test_obligo_pure_values(value, pure):
    assert pure_requested({} if value is None else {"OBLIGO_PURE": value}) is pure


def run_python(code: str, *args: str, pure: bool) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "OBLIGO_PURE"}
    if pure:
        env["OBLIGO_PURE"] = "1"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)


def require_fresh_build() -> None:
    """Skip where the engine was not compiled (no C compiler); CI, which has one, must have built it."""
    built, stale = extension_files(ENGINE_DIR), stale_modules(ENGINE_DIR)
    if built and not stale:
        return
    why = f"modules changed since compiled: {stale} (make native)" if built else "engine modules not compiled here"
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the compiled engine (setup.py): {why}")
    pytest.skip(why)


def test_pure_python_mode_imports_every_module_from_source():
    require_fresh_build()
    code = "import engine.cli, engine.native as n, json; print(json.dumps(n.compiled_modules()))"
    compiled, pure = run_python(code, pure=False), run_python(code, pure=True)
    assert compiled.returncode == 0 and pure.returncode == 0, compiled.stderr + pure.stderr
    assert json.loads(compiled.stdout) == sorted(extension_files(ENGINE_DIR)) and "runtime" in compiled.stdout
    assert json.loads(pure.stdout) == []
    assert "RuntimeWarning" not in compiled.stderr + pure.stderr


def test_compiled_and_pure_python_replay_to_the_same_bytes(tmp_path):
    require_fresh_build()
    gen = load_bench_generator()
    events = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in gen.generate(1500, 5)]
    lines[40:40] = ["{not json", json.dumps({"id": "x", "ticket": "nobody", "at": "2026-03-02T09:00:00Z",
                                             "type": "responded"})]
    events.write_text("\n".join(lines) + "\n")
    outputs = {}
    for pure in (False, True):
        prefix = tmp_path / ("pure" if pure else "compiled")
        code = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
        done = run_python(code, "replay", "--contracts", str(CONTRACTS), str(events), "--out", f"{prefix}.out",
                          "--trace", f"{prefix}.trace", "--rejects", f"{prefix}.rejects", pure=pure)
        assert done.returncode == 0, done.stderr
        outputs[pure] = [Path(f"{prefix}.{kind}").read_bytes() for kind in ("out", "trace", "rejects")]
    assert outputs[False][0].count(b"\n") > 10_000 and outputs[False][2].count(b"\n") == 2
    assert outputs[False] == outputs[True]


def test_compiled_modules_names_what_this_process_runs_compiled():
    names = compiled_modules()
    assert set(names) <= set(extension_files(ENGINE_DIR))
    assert "native" not in names  # the guard itself is never compiled: it must run before the rest

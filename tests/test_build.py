"""The two builds (setup.py): pure Python, and OBLIGO_COMPILE=1 with the modules of
buildtools/compiled.txt compiled by mypyc. `make test` runs the whole suite on each (`make
test-compiled` on a compiled copy of the checkout, OBLIGO_EXPECT_COMPILED=1), so every test is also a
test that the compiled build behaves as the pure one. These tests check that each run really ran the
build it names, and the rules compiled.txt states."""

from __future__ import annotations

import ast
import importlib
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPILED = os.environ.get("OBLIGO_EXPECT_COMPILED") == "1"


def compiled_paths() -> list[str]:
    text = (ROOT / "buildtools" / "compiled.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


@pytest.mark.parametrize("path", compiled_paths())
def test_each_listed_module_is_loaded_from_the_build_this_run_names(path: str) -> None:
    """Pure run: from its .py (an extension module left in the checkout would shadow the source
    being edited). Compiled run: from the extension module mypyc built."""
    module = importlib.import_module(module_name(path))
    origin = Path(module.__file__ or "")
    assert origin.is_relative_to(ROOT / "engine"), origin
    if COMPILED:
        assert origin.suffix == ".so", f"{module.__name__} is not compiled: {origin}"
    else:
        assert origin.name.endswith(".py"), f"{module.__name__} comes from {origin}, not its source"


def _exception_classes(path: str) -> list[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(base) for base in node.bases]
            if any(base.endswith(("Error", "Exception", "Warning")) for base in bases):
                names.append(node.name)
    return names


@pytest.mark.parametrize("path", compiled_paths())
def test_no_listed_module_defines_an_exception_class(path: str) -> None:
    """mypyc loses a class attribute such as `code` of an exception class it compiles (EventError's
    'invalid-event' read 'error'): exception classes live in modules that stay Python."""
    assert (ROOT / path).is_file(), f"buildtools/compiled.txt lists {path}, which does not exist"
    assert _exception_classes(path) == []


def test_the_pure_build_needs_only_setuptools_and_the_compiled_one_asks_for_mypy(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "buildtools"))
    sys.modules.pop("backend", None)
    backend = importlib.import_module("backend")
    monkeypatch.delenv("OBLIGO_COMPILE", raising=False)
    pure = backend.get_requires_for_build_wheel()
    assert not any(req.startswith("mypy") for req in pure)
    monkeypatch.setenv("OBLIGO_COMPILE", "1")
    assert [req for req in backend.get_requires_for_build_wheel() if req not in pure] == ["mypy>=1.10"]
    assert [req for req in backend.get_requires_for_build_editable() if req.startswith("mypy")] == ["mypy>=1.10"]

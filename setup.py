"""The optional compiled build. `OBLIGO_COMPILE=1 pip install .` compiles the modules listed in
buildtools/compiled.txt with mypyc (C extensions built from the same type-checked Python): about
1.6x faster evaluation and 1.35x faster `obligo replay` end to end (README "Benchmarks"). Without
it, the package is pure Python, as always; both builds give byte-identical output
(`make test-compiled` runs the whole suite on the compiled one). Everything else is in pyproject.toml."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
# Commands that build: only these run mypyc. The metadata ones (egg_info, dist_info) run first,
# before the build environment has mypy, and need no extension modules.
BUILDING = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop"}


def compiled_modules() -> list[str]:
    text = (HERE / "buildtools" / "compiled.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def ext_modules() -> list:
    if os.environ.get("OBLIGO_COMPILE", "") != "1" or not BUILDING & set(sys.argv[1:]):
        return []
    from mypyc.build import mypycify  # only the compiled build needs mypy (buildtools/backend.py asks for it)

    # mypyc type-checks the whole program first. pip's build environment has mypy but not the
    # runtime dependencies nor their stubs (PyYAML, jsonschema, orjson, ...): their types are taken
    # as Any here (`make test` type-checks against them in full), and an ignore comment that only
    # a stub made necessary is not an error.
    return mypycify(["--ignore-missing-imports", "--no-warn-unused-ignores", *compiled_modules()], opt_level="3")


setup(ext_modules=ext_modules())

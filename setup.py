"""Build hook: compile the engine's hot-path modules with Cython, as they are.

The modules stay plain Python (no Cython syntax, no .pxd): Cython compiles their unchanged source
to C extension modules, which run the same code about 20 % faster (bench/bench_engine.py prints
which form ran). Where Cython or a C compiler is missing, or OBLIGO_PURE=1 is set, the build
skips them with a warning and the package installs as pure Python, as PyYAML does with its C
loader. Argument annotations are not enforced as C types (`annotation_typing=False`), so compiled
and pure Python accept and reject exactly the same values; tests/test_native.py checks both give
byte-identical output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

# The modules every event goes through: parse, agenda, clocks, calendars, conditions, actions.
HOT_MODULES = ["actions", "calendar", "clocks", "compile", "conditions", "durations", "escalation", "events",
               "runtime", "trace"]


class OptionalBuildExt(build_ext):
    """Build the extensions when possible; a failure leaves the pure Python modules in place."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1  # the modules compile independently

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means: install pure Python
            _skip(f"could not build the C extensions ({exc})")

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            _skip(f"could not compile {ext.name} ({exc})")


def _skip(why: str) -> None:
    print(f"obligo: {why}; running as pure Python instead (same results, slower)", file=sys.stderr)


def extensions() -> list:
    if os.environ.get("OBLIGO_PURE"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _skip("Cython is not installed")
        return []
    out = []
    for name in HOT_MODULES:  # one by one: a module Cython cannot translate stays Python, the rest compile
        try:
            out += cythonize([f"engine/{name}.py"], build_dir="build/cython", quiet=True,
                             compiler_directives={"language_level": 3, "annotation_typing": False})
        except Exception as exc:  # noqa: BLE001
            _skip(f"Cython could not translate engine/{name}.py ({exc})")
    return out


class BuildPyWithData(build_py):
    """Ship the JSON Schemas (`schemas/`) and obligo's rule documents (`rules/`) inside the package
    (`engine/schemas`, `engine/rules`): an installed obligo reads them from there, a source tree
    from the repository's folders (engine/schema.py, engine/expand.py)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for folder, pattern in (("schemas", "*.schema.json"), ("rules", "*.yaml")):
            target = Path(self.build_lib) / "engine" / folder
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted(Path(folder).glob(pattern)):
                self.copy_file(str(source), str(target / source.name))


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithData})

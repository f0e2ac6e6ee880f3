"""Compiled or pure Python: which engine modules run as C extensions, and a guard for source trees.

setup.py compiles the hot-path modules with Cython, unchanged, into extension files beside their
sources (engine/runtime.cpython-311-x86_64-linux-gnu.so next to engine/runtime.py in a source
tree). Python imports an extension before a source file of the same name, so an edited module
would silently keep running its old compiled form. `prefer_sources` (called by engine/__init__.py
before any other engine module is imported) prevents that: in a source tree, a module whose .py
file changed after its extension was built is imported from the .py file, with a warning saying
how to rebuild; with OBLIGO_PURE=1 every module is (for debugging, and for the test that checks
both forms give the same bytes). Installed copies are left alone: their extensions were built
from the very files beside them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from importlib.machinery import ModuleSpec
from pathlib import Path

PURE_VARIABLE = "OBLIGO_PURE"


def extension_files(package_dir: Path) -> dict[str, Path]:
    """Module name -> its extension file built for this interpreter, for modules that have a .py source."""
    out: dict[str, Path] = {}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:  # most specific first: .cpython-311-...so
        for path in sorted(package_dir.glob(f"*{suffix}")):
            name = path.name[: -len(suffix)]
            if (package_dir / f"{name}.py").is_file():
                out.setdefault(name, path)
    return out


def stale_modules(package_dir: Path) -> list[str]:
    """Modules of a source tree whose .py file is newer than their extension (edited, or checked
    out, since the last build); none outside a source tree (no setup.py beside the package)."""
    if not (package_dir.parent / "setup.py").is_file():
        return []
    return sorted(name for name, ext in extension_files(package_dir).items()
                  if (package_dir / f"{name}.py").stat().st_mtime_ns > ext.stat().st_mtime_ns)


def pure_requested(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    """OBLIGO_PURE set to anything but '' or '0'."""
    return environ.get(PURE_VARIABLE, "") not in ("", "0")


class SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their .py files, ahead of their compiled forms."""

    def __init__(self, sources: dict[str, Path]):
        self.sources = sources

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        source = self.sources.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source is not None else None


def prefer_sources(package: str, package_dir: Path) -> list[str]:
    """Import stale modules (all of them under OBLIGO_PURE=1) from source; returns their names."""
    if any(isinstance(finder, SourceFirst) for finder in sys.meta_path):
        return []  # already decided for this process
    pure = pure_requested()
    names = sorted(extension_files(package_dir)) if pure else stale_modules(package_dir)
    if not names:
        return []
    if not pure:
        warnings.warn(f"{', '.join(f'{package}/{n}.py' for n in names)} changed since compiled: running from "
                      f"source (slower); `make native` rebuilds", RuntimeWarning, stacklevel=2)
    sys.meta_path.insert(0, SourceFirst({f"{package}.{n}": package_dir / f"{n}.py" for n in names}))
    return names


def compiled_modules(package: str = "engine") -> list[str]:
    """The modules of `package` imported so far that run as C extensions (for benchmarks and bug reports)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(name.removeprefix(package + ".") for name, module in list(sys.modules.items())
                  if name.startswith(package + ".") and str(getattr(module, "__file__", "") or "").endswith(suffixes))

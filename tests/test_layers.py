"""The stages import only downwards, and evaluation never imports the YAML front end: the
import-linter contracts of pyproject.toml hold (also run by `make test` as `lint-imports`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.skipif(not LINT_IMPORTS.is_file() and shutil.which("lint-imports") is None,
                    reason="import-linter is not installed (pip install -e '.[dev]')")
def test_the_import_contracts_are_kept():
    exe = str(LINT_IMPORTS) if LINT_IMPORTS.is_file() else "lint-imports"
    run = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.stdout.count("KEPT") == 3  # layers, no YAML in evaluation, Dask only in replay.distributed


def test_the_runtime_takes_compiled_contracts_without_loading_yaml():
    # a fresh interpreter: importing the engine's evaluation stage must not load the YAML front end
    code = ("import sys, engine.runtime.engine, engine.language.model; "
            "print(sorted(m for m in ('yaml', 'jsonschema', 'engine.language.expand', 'engine.language.loader') "
            "if m in sys.modules))")
    # engine/__init__.py imports the whole public API, front end included: load the stage modules alone
    prelude = ("import importlib.util, sys, types; spec = importlib.util.find_spec('engine'); "
               "pkg = types.ModuleType('engine'); pkg.__path__ = list(spec.submodule_search_locations); "
               "sys.modules['engine'] = pkg; ")
    run = subprocess.run([sys.executable, "-c", prelude + code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_no_module_of_engine_takes_part_in_an_import_cycle():
    grimp = pytest.importorskip("grimp")  # import-linter's graph builder
    import networkx as nx

    graph = grimp.build_graph("engine")
    imports = nx.DiGraph((module, imported) for module in graph.modules
                         for imported in graph.find_modules_directly_imported_by(module))
    assert list(nx.simple_cycles(imports)) == []

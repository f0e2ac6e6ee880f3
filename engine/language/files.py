"""Which files a contracts argument names: light on purpose (no YAML, no schema), so that a cached
load (engine.language.cache) can find and hash them without importing the checking pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.model.paths import is_dir

SCENARIO_SUFFIX = ".tests.yaml"


def contract_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories to their contract files (`*.yaml`, scenario files excluded), sorted."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if is_dir(path):
            out.extend(sorted(f for f in path.glob("*.yaml") if not f.name.endswith(SCENARIO_SUFFIX)))
            out.extend(sorted(f for f in path.glob("*.yml") if not f.name.endswith(SCENARIO_SUFFIX)))
        else:
            out.append(path)
    return out

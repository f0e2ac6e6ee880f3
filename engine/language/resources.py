"""The package data the front end reads: JSON Schemas and the standard rule documents.

Both ship inside the package (`engine/schemas`, `engine/rules`) and are found with
`importlib.resources`, so a source tree, an editable install and a wheel read the same files.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

SCHEMAS: Traversable = files("engine") / "schemas"
STANDARD_RULES: Traversable = files("engine") / "rules"


def standard_rules_dir() -> Path:
    """The standard rule documents' folder as a path (includes and diagnostics name files by path).

    obligo installs as plain files, never zipped, so the resource is a real directory."""
    return Path(str(STANDARD_RULES))


def standard_rule_names() -> list[str]:
    """The names a contract may include with `{rules: NAME}`: the documents' stems, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in STANDARD_RULES.iterdir() if p.name.endswith(".yaml"))


__all__ = ["SCHEMAS", "STANDARD_RULES", "standard_rule_names", "standard_rules_dir"]

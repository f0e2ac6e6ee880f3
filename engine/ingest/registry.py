"""Built-in mappings by name (`servicenow`, `bpi2014`, `helpdesk`, `bpi2013`): YAML files shipped in
the package (engine/ingest/mappings/*.yaml, found with importlib.resources like the standard rule
documents), so `--mapping servicenow` works from any folder. Anything else is a file path."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from engine.ingest.mapping import Mapping, load_mapping_file
from engine.model.diagnostics import Diagnostic, did_you_mean
from engine.model.paths import exists

MAPPINGS: Traversable = files("engine.ingest") / "mappings"


def builtin_names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in MAPPINGS.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    return Path(str(MAPPINGS / f"{name}.yaml"))


def resolve(name_or_path: str | Path) -> tuple[Mapping | None, list[Diagnostic]]:
    """A built-in mapping's name, or a mapping file's path (a name with '/' or '.yaml' is a path)."""
    text = str(name_or_path)
    if text in builtin_names():
        return load_mapping_file(builtin_path(text))
    if "/" in text or "\\" in text or text.endswith((".yaml", ".yml")) or exists(text):
        return load_mapping_file(text)
    return None, [Diagnostic("unknown-mapping", f"no built-in mapping '{text}' and no such file"
                             f"{did_you_mean(text, builtin_names())}", text)]


__all__ = ["MAPPINGS", "builtin_names", "builtin_path", "resolve"]

"""The clause inventory (`shared/seeds/INVENTORY.md`): which clause ids exist, per seed file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

_SECTION = re.compile(r"^##\s+(\d{3})\b.*?\(`([^`]+)`\)")
_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\s*\|\s*(.*?)\s*\|\s*$")
INVENTORY_ENV = "OBLIGO_INVENTORY"


@dataclass(frozen=True)
class Inventory:
    """Clause id -> text, and seed file -> its clause ids in document order."""

    path: str
    clauses: dict[str, str] = field(default_factory=dict)
    by_seed: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def seed_of(self, clause: str) -> str | None:
        for seed, ids in self.by_seed.items():
            if clause in ids:
                return seed
        return None


def parse_inventory(text: str, path: str = "INVENTORY.md") -> Inventory:
    clauses: dict[str, str] = {}
    by_seed: dict[str, list[str]] = {}
    seed = None
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            seed = section.group(2)
            by_seed.setdefault(seed, [])
            continue
        row = _ROW.match(line)
        if row and seed:
            clauses[row.group(1)] = row.group(2)
            by_seed[seed].append(row.group(1))
    return Inventory(path, clauses, {k: tuple(v) for k, v in by_seed.items()})


def find_inventory(start: str | Path) -> Path | None:
    """`$OBLIGO_INVENTORY`, else the first `shared/seeds/INVENTORY.md` above `start`."""
    env = os.environ.get(INVENTORY_ENV)
    if env:
        return Path(env)
    here = Path(start).resolve()
    for parent in [here, *here.parents]:
        candidate = parent / "shared" / "seeds" / "INVENTORY.md"
        if candidate.is_file():
            return candidate
    return None


def load_inventory(path: str | Path) -> Inventory:
    return parse_inventory(Path(path).read_text(encoding="utf-8"), str(path))

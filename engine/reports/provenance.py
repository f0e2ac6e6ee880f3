"""What makes a report reproducible: the sha256 of every contract file and input, and obligo's version.

A second auditor who re-runs the report on files with the same hashes, with the same version, gets
the same bytes; the report states them and nothing that changes between runs (no wall-clock date).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Provenance:
    version: str
    contracts: tuple[tuple[str, str], ...]  # (path as given, sha256)
    inputs: tuple[tuple[str, str], ...]
    mapping: str | None = None

    def lines(self) -> list[str]:
        """The provenance as text lines (terminal and CSV comment-free footer alike)."""
        out = [f"obligo {self.version}"]
        out += [f"contract {path} sha256 {digest}" for path, digest in self.contracts]
        if self.mapping:
            out.append(f"mapping {self.mapping}")
        out += [f"input {path} sha256 {digest}" for path, digest in self.inputs]
        return out


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def obligo_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("obligo")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def provenance(contract_paths: Iterable[str | Path], inputs: Iterable[str | Path], mapping: str | None = None,
               input_digests: dict[str, str] | None = None) -> Provenance:
    """Hashes of the given files (`input_digests` for inputs already hashed, e.g. standard input)."""
    known = input_digests or {}
    return Provenance(
        obligo_version(),
        tuple((str(p), sha256_file(p)) for p in contract_paths),
        tuple((str(p), known[str(p)] if str(p) in known else sha256_file(p)) for p in inputs),
        mapping,
    )

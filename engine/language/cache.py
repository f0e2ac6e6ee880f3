"""Contracts checked before: skip the schema, semantic and lint checks when nothing they read changed.

Every CLI call loads its contracts; the checks are ~0.2 s of the five seed contracts' ~0.35 s load
(compiling stays: compiled contracts hold generated functions and do not pickle). What is kept is
"these exact inputs were checked clean, with these warnings": one small JSON file per contract
under $XDG_CACHE_HOME/obligo/checked (or ~/.cache/obligo/checked), named by the sha256 of
- the engine's own files (every file under engine/: a changed check is a changed key),
- the contract's path and bytes, the overrides (`--param`),
- what expanding it gave (its data, parameters and rules, with included rule documents inlined),
  the expansion's diagnostics, and the bytes of every rule document a rule came from.
A contract with an error is never kept. `OBLIGO_CACHE=off` turns the cache off; a cache that cannot
be read, written or decoded is ignored silently: at worst the checks run, as without a cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.language.compile import CompiledContract, compile_contract
from engine.language.expand import expand
from engine.language.load import Document
from engine.model.diagnostics import Diagnostic, errors_only

Checker = Callable[[Document, "dict[str, Any] | None"], "tuple[CompiledContract | None, list[Diagnostic]]"]
ENGINE = Path(__file__).resolve().parents[1]  # the engine package: its files are part of every key


def cache_dir() -> Path | None:
    """Where checked contracts are kept, or None when `OBLIGO_CACHE=off`."""
    if os.environ.get("OBLIGO_CACHE", "").strip().lower() == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "obligo" / "checked"


def checked_contract(doc: Document, overrides: dict[str, Any] | None, check: Checker,
                     ) -> tuple[CompiledContract | None, list[Diagnostic]]:
    """`check(doc, overrides)` (loader.check_contract), or, for inputs checked clean before, the
    contract compiled and the warnings of that check, without checking again."""
    directory = cache_dir()
    if directory is None:
        return check(doc, overrides)
    try:
        exp, expand_diags = expand(doc, overrides)
        key = _key(doc, overrides, exp, expand_diags)
    except Exception:  # noqa: BLE001 - a document the checks must see: they give the reasons
        return check(doc, overrides)
    found = _read(directory / f"{key}.json")
    if found is not None:
        return compile_contract(exp), found
    compiled, diags = check(doc, overrides)
    if compiled is not None and not errors_only(diags):
        _write(directory, f"{key}.json", diags)
    return compiled, diags


@functools.cache
def engine_fingerprint(root: Path = ENGINE) -> str:
    """The sha256 of every file of the engine package (path and bytes), compiled files apart."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(root)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _key(doc: Document, overrides: dict[str, Any] | None, exp: Any, expand_diags: list[Diagnostic]) -> str:
    sources = {doc.file} | {origin.doc.file for _, _, origin in exp.rules}
    material = {
        "engine": engine_fingerprint(),
        "contract": doc.file,
        "overrides": overrides or {},
        "files": {name: hashlib.sha256(Path(name).read_bytes()).hexdigest() for name in sorted(sources)},
        "expanded": [exp.data, exp.params, [(rid, rule) for rid, rule, _ in exp.rules]],
        "expand_diagnostics": [repr(d) for d in expand_diags],
    }
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _plain(value: Any) -> str:
    """A YAML value JSON has no type for (a date, as a rule) as its repr; a set has no stable order."""
    if isinstance(value, (set, frozenset)):
        raise TypeError("a set has no stable order")
    return f"{type(value).__name__}:{value!r}"


def _encode(diags: list[Diagnostic]) -> str:
    return json.dumps([dataclasses.asdict(d) for d in diags], ensure_ascii=False)


def _decode(text: str) -> list[Diagnostic]:
    return [Diagnostic(**{**item, "path": tuple(item["path"])}) for item in json.loads(text)]


def _read(path: Path) -> list[Diagnostic] | None:
    try:
        return _decode(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # absent (as a rule), unreadable or not ours: check again


def _write(directory: Path, name: str, diags: list[Diagnostic]) -> None:
    """Keep the warnings of a clean check, when they read back exactly (else keep nothing); written
    to a temporary file renamed into place, so that a reader never sees half a file."""
    try:
        text = _encode(diags)
        if _decode(text) != diags:
            return
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, directory / name)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, ValueError, TypeError):
        pass  # an unwritable or full cache: the next call checks again


__all__ = ["cache_dir", "checked_contract", "engine_fingerprint"]

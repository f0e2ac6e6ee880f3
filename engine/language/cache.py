"""Compiled contracts kept on disk between two commands, so that a command does not check them again.

A command's start-up is mostly loading its contracts: YAML, the JSON Schema, expansion, semantic
checks, lint and compilation took about 0.45 of the 0.85 s of `obligo replay` on an empty log with
the five seed contracts, plus the imports only checking needs. A load whose contracts compiled
without an error is stored here, and the next load of the same contracts reads it back instead.

The key is everything the result depends on, so a hit is what a fresh load would give:
- the bytes of every contract file found, and of every rule document the contracts included (these
  are checked again, by content, on every hit);
- the paths as given and the working directory (diagnostics and `file` fields show paths as given);
- the parameter overrides (`--param`);
- the engine's own files (each one's size and modification time), the interpreter, and the files of
  the libraries that take part in checking (holidays, jsonschema, PyYAML, networkx, google-re2, tzdata).

Unpickling runs code, so the only folder used is one owned by the user that nobody else can write
(created 0700). Anything wrong with the folder or an entry (not private, unreadable, corrupt, from
another version) is a miss: the contracts are loaded as without a cache, never an error. Only the
command line uses this (engine.cli); `engine.api` and `load_contracts` never touch the disk.

`OBLIGO_CACHE_DIR` names the folder (default `$XDG_CACHE_HOME/obligo`, else `~/.cache/obligo`);
`OBLIGO_CACHE=off` turns the cache off. At most `MAX_ENTRIES` entries are kept, the least recently
used removed first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from engine.language.conditions import generated_parts, rebuilt
from engine.language.files import contract_files
from engine.language.model import CompiledContract
from engine.model.diagnostics import Diagnostic, errors_only

FORMAT = b"obligo-contract-cache 1"
MAX_BYTES = 8 * 1024 ** 2  # a contract file larger than this is not cached (load_file refuses beyond its own limit)
MAX_ENTRIES = 64
SUFFIX = ".pickle"
# the libraries whose behaviour checking and compiling depend on (by import name)
_LIBRARIES = ("holidays", "jsonschema", "yaml", "networkx", "re2", "tzdata")
_OFF = frozenset({"0", "off", "no", "false"})

Loaded = tuple[dict[str, CompiledContract], list[Diagnostic]]
Loader = Callable[..., Loaded]  # load_contracts(paths, overrides)


@dataclass(frozen=True)
class ContractCache:
    """A folder of compiled contract sets, one file each, named by the hash of their key."""

    folder: Path
    max_entries: int = MAX_ENTRIES

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> ContractCache | None:
        """The cache `OBLIGO_CACHE_DIR` / `XDG_CACHE_HOME` / the home folder say, None when turned off."""
        if environ.get("OBLIGO_CACHE", "").strip().lower() in _OFF:
            return None
        named = environ.get("OBLIGO_CACHE_DIR")
        if named:
            return cls(Path(named))
        base = environ.get("XDG_CACHE_HOME") or (str(Path(environ["HOME"]) / ".cache") if environ.get("HOME") else "")
        return cls(Path(base) / "obligo") if base else None

    def load(self, paths: Iterable[str | Path], overrides: dict[str, dict[str, Any]] | None = None,
             loader: Loader | None = None) -> Loaded:
        """`load_contracts(paths, overrides)` (or `loader`'s), from the cache when it holds this load."""
        given = [str(p) for p in paths]
        key = _key(given, overrides)
        entry = self.folder / (key + SUFFIX) if key is not None and self._usable() else None
        if entry is not None:
            found = _read(entry)
            if found is not None:
                return found
        contracts, diags = (loader or _load_contracts)(given, overrides)
        if entry is not None and contracts and not errors_only(diags):
            self._store(entry, contracts, diags)
        return contracts, diags

    def _usable(self) -> bool:
        """The folder exists (made if need be) and is private to this user: only then is it read."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return _private(os.stat(self.folder))
        except OSError:
            return False

    def _store(self, entry: Path, contracts: dict[str, CompiledContract], diags: list[Diagnostic]) -> None:
        included = sorted({f for c in contracts.values() for f in c.included})
        digests = [(f, _digest(Path(f))) for f in included]
        if any(d is None for _, d in digests):
            return
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((FORMAT, digests, contracts, diags))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return  # something in these contracts does not pickle: they are simply not cached
        try:
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".tmp-", delete=False) as out:
                out.write(buffer.getvalue())
            os.replace(out.name, entry)
            self._trim()
        except OSError:
            try:
                os.unlink(out.name)
            except (OSError, UnboundLocalError):
                pass

    def _trim(self) -> None:
        """Keep the `max_entries` most recently used entries."""
        entries = []
        for path in self.folder.glob("*" + SUFFIX):
            try:
                entries.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
        for _, path in sorted(entries, reverse=True)[self.max_entries:]:
            try:
                path.unlink()
            except OSError:
                pass


def load_contracts_cached(paths: Iterable[str | Path], overrides: dict[str, dict[str, Any]] | None = None,
                          environ: Mapping[str, str] = os.environ) -> Loaded:
    """The command line's load: through the cache the environment names, or straight when it is off."""
    cache = ContractCache.from_environment(environ)
    if cache is None:
        return _load_contracts([str(p) for p in paths], overrides)
    return cache.load(paths, overrides)


def _load_contracts(paths: list[str], overrides: dict[str, dict[str, Any]] | None) -> Loaded:
    from engine.language.loader import load_contracts  # only on a miss: checking's imports cost 0.1-0.3 s

    return load_contracts(paths, overrides)


class _Pickler(pickle.Pickler):
    """Pickles the functions conditions.py generates by their parts (they have no module to be found
    in), and frozen dataclasses field by field (`_frozen_rebuilt`)."""

    def reducer_override(self, obj: Any) -> Any:
        parts = generated_parts(obj)
        if parts is not None:
            return rebuilt, parts
        params = getattr(type(obj), "__dataclass_params__", None)
        if params is not None and params.frozen and not isinstance(obj, type):
            return _frozen_rebuilt, (type(obj), tuple((f.name, getattr(obj, f.name)) for f in fields(obj)))
        return NotImplemented


def _frozen_rebuilt(cls: Any, state: tuple[tuple[str, Any], ...]) -> Any:
    """A frozen dataclass instance with these field values, its __init__ not run (a Rule's would
    compile its match function again). pickle's own way sets the fields with setattr, which the
    compiled build's frozen classes refuse (FrozenInstanceError)."""
    obj = cls.__new__(cls)
    for name, value in state:
        object.__setattr__(obj, name, value)
    return obj


def _read(entry: Path) -> Loaded | None:
    """The entry's load when it is whole, of this format, and its included files are unchanged."""
    try:
        with open(entry, "rb") as stream:
            data = stream.read()
        fmt, digests, contracts, diags = pickle.loads(data)  # noqa: S301 - our own file, in a private folder
    except Exception:  # noqa: BLE001 - a truncated, corrupt or foreign entry is a miss, whatever it raises
        return None
    if fmt != FORMAT or any(_digest(Path(f)) != d for f, d in digests):
        return None
    try:
        os.utime(entry)  # recently used: kept by `_trim`
    except OSError:
        pass
    return contracts, diags


def _key(paths: list[str], overrides: dict[str, dict[str, Any]] | None) -> str | None:
    """The hash of everything a load depends on but its included files; None when a contract file
    cannot be read (the load itself says why, uncached)."""
    h = hashlib.sha256(FORMAT)
    h.update(_environment())
    h.update(os.getcwd().encode("utf-8", "surrogatepass") + b"\0")
    try:
        h.update(pickle.dumps((paths, overrides), protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    for path in contract_files(paths):
        digest = _digest(path)
        if digest is None:
            return None
        h.update(f"{path}\0{digest}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _environment() -> bytes:
    """The interpreter, the engine's files and the checking libraries' files: size and modification
    time of each (a changed or reinstalled engine or library is a new key)."""
    package = Path(__file__).resolve().parents[1]  # engine/
    parts = [sys.version, os.path.realpath(sys.executable), str(package)]
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            parts.append(_stamp(Path(root) / name))
    for library in _LIBRARIES:
        spec = importlib.util.find_spec(library)
        parts.append(f"{library}:{_stamp(Path(spec.origin)) if spec is not None and spec.origin else '-'}")
    return "\n".join(parts).encode("utf-8", "surrogatepass")


def _stamp(path: Path) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _digest(path: Path) -> str | None:
    """The hash of a regular file's bytes; None for anything else (a pipe read here would be empty
    for the load after it, /dev/zero endless: such contracts are loaded, not cached)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: a pipe without a writer would block
            return None
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest() if len(data) <= MAX_BYTES else None


def _private(st: os.stat_result) -> bool:
    """A folder of this user's that neither its group nor others can write."""
    getuid = getattr(os, "getuid", None)
    owned = getuid is None or st.st_uid == getuid()
    return stat.S_ISDIR(st.st_mode) and owned and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)

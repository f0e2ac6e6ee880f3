"""File-system questions about paths a user gives, answered without raising.

`Path.is_dir()` and friends answer False for a missing file, but raise OSError for a name the file
system refuses to look up (longer than NAME_MAX, 255 bytes on Linux): `obligo validate
xxx...x` was an internal error. A path that cannot be looked up is not a directory and does not
exist; the next step (opening it) then reports it as the user's mistake, with its reason.
"""

from __future__ import annotations

from pathlib import Path


def is_dir(path: str | Path) -> bool:
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def is_file(path: str | Path) -> bool:
    try:
        return Path(path).is_file()
    except OSError:
        return False


def exists(path: str | Path) -> bool:
    try:
        return Path(path).exists()
    except OSError:
        return False


__all__ = ["exists", "is_dir", "is_file"]

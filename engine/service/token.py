"""The bearer token of `obligo serve`: read from a file only its owner can read, or created beside the database."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from engine.model.errors import ObligoError
from engine.model.paths import exists


class TokenError(ObligoError):
    code = "token"


def read_token(path: str | Path) -> str:
    """The token in `path` (surrounding whitespace dropped). Refused when the file is readable or
    writable by group or others, empty, or unreadable: each with a message that says what to do."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise TokenError(f"token file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenError(f"token file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise TokenError(f"token file {path} is accessible by group or others (mode {stat.S_IMODE(info.st_mode):04o}); "
                         f"run: chmod 600 {path}")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenError(f"token file {path}: cannot be read as text ({exc})") from None
    if not text:
        raise TokenError(f"token file {path} is empty")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise TokenError(f"token file {path}: the token must be one line of printable characters without spaces")
    return text


def default_token_path(db: str | Path) -> Path:
    db = Path(db)
    return db.with_name(db.name + ".token")


def ensure_token(db: str | Path) -> tuple[Path, str, bool]:
    """The token file beside the database (`<db>.token`): read when it exists, else created with
    mode 0600 and a random token. Returns (path, token, created)."""
    path = default_token_path(db)
    if exists(path):
        return path, read_token(path), False
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created meanwhile by another process: use it
        return path, read_token(path), False
    except OSError as exc:
        raise TokenError(f"cannot create the token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path, token, True

"""Where an engine with a retention keeps the tickets it evicted: on disk, not in memory.

A finished ticket (closed, nothing left that can fire) is written here with its event ids once the
stream's time has passed its retention, and taken back, whole, by the first later event that names
it, so every answer is the one an engine that keeps everything gives: a `reopened` months later
reopens it, a repeated id is a duplicate, a second `opened` is `already-open`. Memory then follows
the tickets open at once (and those finished within the retention), not the log; the disk holds
the rest, about a kilobyte per evicted ticket.

One SQLite file in a temporary directory (stdlib `sqlite3`: an indexed table without a home-made
file format), removed as soon as it is open (POSIX keeps it until the connection closes), with no
journal, no fsync and no commit: it lives no longer than the process and nothing reads it after a
crash.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator

from engine.model.errors import SpillError  # re-exported
from engine.model.jsonio import dumps, loads


def scratch_database(prefix: str, directory: str | None, what: str, schema: str) -> tuple[sqlite3.Connection, str]:
    """A SQLite database in a new file of `directory` (default: the temporary directory) holding
    `schema`, and where it is. The file is removed as soon as it is open (POSIX keeps it until the
    connection closes: nothing is left behind, even after a crash); no journal, no fsync, and one
    transaction for its whole life, never committed (no write per call; pages reach the file only
    when SQLite's cache is full, and every read sees the writes). SpillError, naming `what`, when
    the directory cannot hold it."""
    try:
        handle, path = tempfile.mkstemp(prefix=prefix, suffix=".db", dir=directory)
        os.close(handle)
    except OSError as exc:
        raise SpillError(f"cannot create the file of {what} in {directory or tempfile.gettempdir()}: "
                         f"{exc.strerror}") from None
    try:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(schema)
        db.execute("BEGIN")
    except sqlite3.Error as exc:
        raise SpillError(f"cannot use the file of {what} {path}: {exc}") from None
    finally:
        os.unlink(path)
    return db, os.path.dirname(path)


class Spill:
    """Evicted tickets by id: (the ticket's state as `snapshot.ticket_to_dict` data, its finish
    instant, its event ids). Created on the first eviction; `close` removes everything."""

    def __init__(self, directory: str | None = None) -> None:
        # a rowid table, its key in an index: rows of ~1 KB are what WITHOUT ROWID is slow at
        # (SQLite's docs); on the 156k-event log 11k evictions wrote in 0.03 s instead of 0.10,
        # and a third of them read back in 0.012 s instead of 0.027. One transaction for the file's
        # life: a commit per call was 0.1 ms, a third of a replay's eviction cost.
        self._db, self._where = scratch_database(
            "obligo-evicted-", directory, "evicted tickets",
            "CREATE TABLE evicted (ticket TEXT PRIMARY KEY, finished INTEGER NOT NULL, ids TEXT NOT NULL, "
            "state TEXT NOT NULL)")
        self.count = 0  # tickets held here now

    def put_many(self, rows: Iterable[tuple[str, int, list[str], dict]]) -> None:
        """Write evicted tickets: (ticket, finish instant, event ids, state data)."""
        batch = [(ticket, finished, dumps(ids), dumps(state)) for ticket, finished, ids, state in rows]
        try:
            self._db.executemany("INSERT INTO evicted VALUES (?, ?, ?, ?)", batch)
        except sqlite3.Error as exc:  # a full disk, as a rule
            raise SpillError(f"cannot write evicted tickets in {self._where}: {exc}") from None
        self.count += len(batch)

    def take(self, ticket: str) -> tuple[int, list[str], dict] | None:
        """The evicted ticket (finish instant, event ids, state data), removed from here; None if
        it is not here (most calls: an `opened` of a new ticket)."""
        try:
            row = self._db.execute("SELECT finished, ids, state FROM evicted WHERE ticket = ?", (ticket,)).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM evicted WHERE ticket = ?", (ticket,))
        except sqlite3.Error as exc:
            raise SpillError(f"cannot read evicted tickets in {self._where}: {exc}") from None
        self.count -= 1
        return int(row[0]), loads(row[1]), loads(row[2])

    def items(self) -> Iterator[tuple[str, int, list[str], dict]]:
        """Every ticket held, in ticket order (a snapshot includes them)."""
        for ticket, finished, ids, state in self._db.execute("SELECT ticket, finished, ids, state FROM evicted "
                                                               "ORDER BY ticket"):
            yield ticket, int(finished), loads(ids), loads(state)

    def close(self) -> None:
        self._db.close()


__all__ = ["Spill", "SpillError", "scratch_database"]

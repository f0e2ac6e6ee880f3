"""Per-ticket values a report keeps for the whole log, in memory only while the ticket is active.

`obligo report` numbers each ticket's cycles and `obligo diff` chains a digest of each ticket's
actions: both need a value per ticket ever seen, since a ticket can come back months later (a
reopen). Held in dicts, those values made memory grow with the log. With a `window`, the value of a
ticket not touched for `window` seconds of event time (the reports pass the engine's retention)
goes to disk, and comes back the next time the ticket is touched: memory then follows the tickets
active within the window, as the engine's does, and the values are those of a dict.

The disk is a scratch SQLite file (engine.runtime.spill.scratch_database), made when the first
ticket moves there; `close` removes it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from engine.model.errors import SpillError
from engine.runtime.spill import scratch_database

V = TypeVar("V")


class WindowedByTicket(Generic[V]):
    """`get(ticket, at)` gives the ticket's value (made by `new` the first time) to read and change in
    place; values are stored on disk as `encode` gives them and read back with `decode`."""

    def __init__(self, new: Callable[[], V], encode: Callable[[V], bytes], decode: Callable[[bytes], V],
                 window: int | None = None, spill_dir: str | None = None, what: str = "ticket values") -> None:
        self._new, self._encode, self._decode = new, encode, decode
        self._window = window
        self._spill_dir = spill_dir
        self._what = what
        # ticket -> (instant it was last touched, its value), the least recently touched first
        self._hot: OrderedDict[str, tuple[int, V]] = OrderedDict()
        self._cold: sqlite3.Connection | None = None
        self._now: int | None = None

    def get(self, ticket: str, at: int) -> V:
        entry = self._hot.pop(ticket, None)
        value = entry[1] if entry is not None else self._take(ticket)
        self._hot[ticket] = (at, value)  # the most recently touched, last
        if self._window is not None:
            self._now = at if self._now is None else max(self._now, at)
            self._cool(self._now - self._window)
        return value

    def __len__(self) -> int:
        """Tickets whose values are in memory."""
        return len(self._hot)

    def items(self) -> Iterator[tuple[str, V]]:
        """Every ticket's value, those in memory first (memory and disk never hold the same ticket)."""
        for ticket, (_, value) in self._hot.items():
            yield ticket, value
        if self._cold is not None:
            for ticket, data in self._run("read", "SELECT ticket, value FROM cold").fetchall():
                yield ticket, self._decode(data)

    def close(self) -> None:
        if self._cold is not None:
            self._cold.close()
            self._cold = None

    def _cool(self, before: int) -> None:
        """Move to disk the tickets last touched before `before`."""
        moved: list[tuple[str, bytes]] = []
        hot = self._hot
        while hot:
            ticket, (last, value) = next(iter(hot.items()))
            if last >= before:
                break
            del hot[ticket]
            moved.append((ticket, self._encode(value)))
        if moved:
            if self._cold is None:
                self._cold, _ = scratch_database("obligo-report-", self._spill_dir, self._what,
                                                 "CREATE TABLE cold (ticket TEXT PRIMARY KEY, value BLOB NOT NULL) "
                                                 "WITHOUT ROWID")  # small rows, read by ticket
            self._run("write", "INSERT INTO cold VALUES (?, ?)", moved, many=True)

    def _take(self, ticket: str) -> V:
        """The ticket's value from disk (removed there), or a new one."""
        if self._cold is None:  # nothing has moved to disk: a ticket not in memory is new
            return self._new()
        row = self._run("read", "SELECT value FROM cold WHERE ticket = ?", (ticket,)).fetchone()
        if row is None:
            return self._new()
        self._run("write", "DELETE FROM cold WHERE ticket = ?", (ticket,))
        return self._decode(row[0])

    def _run(self, doing: str, sql: str, args: object = (), many: bool = False) -> sqlite3.Cursor:
        assert self._cold is not None
        try:
            return self._cold.executemany(sql, args) if many else self._cold.execute(sql, args)  # type: ignore[arg-type]
        except sqlite3.Error as exc:  # a full disk, as a rule
            raise SpillError(f"cannot {doing} the {self._what} in {self._spill_dir or tempfile.gettempdir()}: "
                             f"{exc}") from None

"""The number of each ticket x clock cycle (engine.reports.cycles), in memory only while it is used.

A clock of a ticket started again is its next cycle, months later too (a reopened ticket), so the
count of every ticket x clock ever started has to be kept. Held in a dict for the whole log, it
was what made `obligo report`'s memory grow with the log (about 200 bytes a ticket x clock: 1.96x
from 150k to 2.4M events). With a `window` (the report passes the engine's retention), the counts
of a ticket with no cycle started for `window` seconds of event time move to disk, and come back
the next time a clock of that ticket starts; memory then follows the tickets active within the
window, as the engine's does.

The disk is one SQLite file in a temporary directory, made as the engine's evicted tickets' is
(engine.runtime.spill.scratch_database): removed as soon as it is open, nothing left behind.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import OrderedDict

from engine.model.errors import SpillError
from engine.runtime.spill import scratch_database


class CycleCounter:
    """`next(ticket, clock, at)`: 1 for the first start of that clock of that ticket, then 2, 3, ..."""

    def __init__(self, window: int | None = None, spill_dir: str | None = None) -> None:
        # ticket -> (instant of its last start, its clocks' counts), the least recently started first
        self._hot: OrderedDict[str, tuple[int, dict[str, int]]] = OrderedDict()
        self._window = window
        self._spill_dir = spill_dir
        self._cold: sqlite3.Connection | None = None  # made when the first ticket moves there
        self._now: int | None = None

    def next(self, ticket: str, clock: str, at: int) -> int:
        entry = self._hot.pop(ticket, None)
        counts = entry[1] if entry is not None else self._cold_counts(ticket)
        n = counts.get(clock, 0) + 1
        counts[clock] = n
        self._hot[ticket] = (at, counts)  # the most recently started, last
        if self._window is not None:
            self._now = at if self._now is None else max(self._now, at)
            self._cool(self._now - self._window)
        return n

    def __len__(self) -> int:
        """Tickets whose counts are in memory."""
        return len(self._hot)

    def close(self) -> None:
        if self._cold is not None:
            self._cold.close()
            self._cold = None

    def _cool(self, before: int) -> None:
        """Move to disk the tickets whose last start is before `before`."""
        moved: list[tuple[str, str, int]] = []
        hot = self._hot
        while hot:
            ticket, (last, counts) = next(iter(hot.items()))
            if last >= before:
                break
            del hot[ticket]
            moved.extend((ticket, clock, n) for clock, n in counts.items())
        if moved:
            try:
                self._disk().executemany("INSERT OR REPLACE INTO counts VALUES (?, ?, ?)", moved)
            except sqlite3.Error as exc:  # a full disk, as a rule
                raise SpillError(f"cannot write cycle counts in {self._spill_dir or tempfile.gettempdir()}: "
                                 f"{exc}") from None

    def _cold_counts(self, ticket: str) -> dict[str, int]:
        if self._cold is None:  # nothing has moved to disk: a ticket not in memory is new
            return {}
        try:
            rows = self._cold.execute("SELECT clock, n FROM counts WHERE ticket = ?", (ticket,)).fetchall()
        except sqlite3.Error as exc:
            raise SpillError(f"cannot read cycle counts in {self._spill_dir or tempfile.gettempdir()}: {exc}") from None
        return {clock: n for clock, n in rows}

    def _disk(self) -> sqlite3.Connection:
        if self._cold is None:
            self._cold, _ = scratch_database(
                "obligo-cycles-", self._spill_dir, "cycle counts",
                "CREATE TABLE counts (ticket TEXT NOT NULL, clock TEXT NOT NULL, n INTEGER NOT NULL, "
                "PRIMARY KEY (ticket, clock)) WITHOUT ROWID")  # small rows, read by ticket
        return self._cold

"""The number of each ticket x clock cycle (engine.reports.cycles), in memory only while it is used.

A clock of a ticket started again is its next cycle, months later too (a reopened ticket), so the
count of every ticket x clock ever started has to be kept. Held in a dict for the whole log, it
was what made `obligo report`'s memory grow with the log (about 200 bytes a ticket x clock: 1.96x
from 150k to 2.4M events). With a `window` (the report passes the engine's retention), the counts
of a ticket with no cycle started for `window` seconds of event time move to disk, and come back
the next time a clock of that ticket starts (engine.reports.windowed).
"""

from __future__ import annotations

import json

from engine.reports.windowed import WindowedByTicket


class CycleCounter:
    """`next(ticket, clock, at)`: 1 for the first start of that clock of that ticket, then 2, 3, ..."""

    def __init__(self, window: int | None = None, spill_dir: str | None = None) -> None:
        self._counts: WindowedByTicket[dict[str, int]] = WindowedByTicket(
            dict, _encode, _decode, window, spill_dir, "cycle counts")

    def next(self, ticket: str, clock: str, at: int) -> int:
        counts = self._counts.get(ticket, at)
        n = counts[clock] = counts.get(clock, 0) + 1
        return n

    def __len__(self) -> int:
        """Tickets whose counts are in memory."""
        return len(self._counts)

    def close(self) -> None:
        self._counts.close()


def _encode(counts: dict[str, int]) -> bytes:
    return json.dumps(counts, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> dict[str, int]:
    counts: dict[str, int] = json.loads(data.decode("utf-8", "surrogatepass"))
    return counts

"""The cycle CSV: docs/INTERFACE.md's 15 columns in their order, then ours (engine.reports.cycles).

Written row by row as cycles end (RFC 4180 quoting, `\\n` line ends), so the file grows with the
log while memory does not. Same input, same bytes.
"""

from __future__ import annotations

import csv
from typing import IO

from engine.reports.cycles import COLUMNS, EXTRA_COLUMNS, Cycle


class CycleCsv:
    def __init__(self, stream: IO[str]):
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow([*COLUMNS, *EXTRA_COLUMNS])
        self.rows = 0

    def write(self, cycle: Cycle) -> None:
        self._writer.writerow(cycle.row())
        self.rows += 1

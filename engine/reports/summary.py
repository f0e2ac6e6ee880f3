"""Compliance figures per contract x clock x severity, and the plain text table a terminal shows.

Definitions (stated in the report itself, so an auditor reads them beside the numbers):
- clocks: cycles of that clock (a clock started again is counted again);
- met: stopped with its goal reached in time; breached: a `breach` fired or the clock stopped late
  (a cycle that breached and still runs counts as breached: its verdict is known);
- running: still running at the end of the log without a breach (no verdict yet);
- excluded: the request was excluded (`stop_clock` with `excluded: true`): out of the figures;
- compliance % = met / (met + breached) x 100, one decimal; `-` when no cycle has a verdict.
Output is a pure function of the tallies, rows sorted, so the text is byte-identical across runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.reports.cycles import Cycle

ALL = "all"  # the severity of a contract x clock's total row
OUTCOMES = ("met", "breached", "running", "excluded")
COMPLIANCE_DEFINITION = ("compliance % = met / (met + breached); running clocks (no verdict yet) and excluded "
                         "requests are left out")


@dataclass(slots=True)
class Tally:
    clocks: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0
    excluded: int = 0

    def add(self, verdict: str) -> None:
        self.clocks += 1
        setattr(self, verdict, getattr(self, verdict) + 1)

    @property
    def compliance(self) -> float | None:
        judged = self.met + self.breached
        return None if judged == 0 else 100.0 * self.met / judged

    def compliance_text(self) -> str:
        value = self.compliance
        return "-" if value is None else f"{value:.1f}"


Key = tuple[str, str, str]  # contract, clock, severity


class Summary:
    """Tallies cycles as they come (streaming); `rows()` gives them sorted with a total per contract x clock.

    `tallies` counts per contract whatever its versions; `rows()` and `headline()` split a contract
    whose cycles ran under several versions (docs/INTERFACE.md "Contract versions and what-if") into
    one row per version, labelled `progr1 2026.2`: their targets differ, so their figures do."""

    def __init__(self) -> None:
        self.tallies: dict[Key, Tally] = {}
        self.versioned: dict[tuple[str, str, str, str], Tally] = {}  # contract, version, clock, severity

    def add(self, cycle: Cycle) -> None:
        verdict = cycle.verdict
        for severity in (cycle.severity, ALL):
            key = (cycle.contract, cycle.clock, severity)
            tally = self.tallies.get(key)
            if tally is None:
                tally = self.tallies[key] = Tally()
            tally.add(verdict)
            vkey = (cycle.contract, cycle.version, cycle.clock, severity)
            tally = self.versioned.get(vkey)
            if tally is None:
                tally = self.versioned[vkey] = Tally()
            tally.add(verdict)

    def labelled(self) -> dict[Key, Tally]:
        """The tallies, a contract run under several versions split into `contract version` rows."""
        versions: dict[str, set[str]] = {}
        for contract, version, _, _ in self.versioned:
            versions.setdefault(contract, set()).add(version)
        out = {key: t for key, t in self.tallies.items() if len(versions.get(key[0], ())) <= 1}
        out.update({(f"{c} {v}", k, s): t for (c, v, k, s), t in self.versioned.items() if len(versions[c]) > 1})
        return out

    def extend(self, cycles: Iterable[Cycle]) -> None:
        for cycle in cycles:
            self.add(cycle)

    def rows(self) -> list[tuple[Key, Tally]]:
        """Sorted by contract, clock, severity (natural order: P2 before P10), the `all` row last of each
        contract x clock; the `all` row is left out where a contract x clock has a single severity."""
        tallies = self.labelled()
        severities: dict[tuple[str, str], int] = {}
        for contract, clock, severity in tallies:
            if severity != ALL:
                severities[(contract, clock)] = severities.get((contract, clock), 0) + 1
        keys = [k for k in tallies if k[2] != ALL or severities.get((k[0], k[1]), 0) > 1]
        keys.sort(key=lambda k: (natural_key(k[0]), k[1], k[2] == ALL, natural_key(k[2])))
        return [(k, tallies[k]) for k in keys]

    def headline(self) -> list[tuple[str, str, Tally]]:
        """One (contract, clock, tally) per contract x clock: all severities together."""
        return [(c, k, t) for (c, k, s), t in sorted(self.labelled().items(), key=lambda item: (
            natural_key(item[0][0]), item[0][1])) if s == ALL]

    def total(self) -> Tally:
        out = Tally()
        for (_, _, severity), tally in self.tallies.items():
            if severity == ALL:
                for name in ("clocks", *OUTCOMES):
                    setattr(out, name, getattr(out, name) + getattr(tally, name))
        return out


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Digits compare as numbers: P2 < P10, 2 < 10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


HEADER = ("contract", "clock", "severity", "clocks", "met", "breached", "running", "excluded", "compliance %")


def table_cells(summary: Summary) -> list[list[str]]:
    """The table as text cells, header first."""
    body = [[contract, clock, severity, str(t.clocks), _cell(t.met), _cell(t.breached), _cell(t.running),
             _cell(t.excluded), t.compliance_text()] for (contract, clock, severity), t in summary.rows()]
    return [list(HEADER), *body]


def text_table(summary: Summary) -> str:
    """The summary as aligned plain text (first three columns left-aligned, counts right-aligned)."""
    if not summary.tallies:
        return "clocks: none\n"
    lines = table_cells(summary)
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    return "".join(_line(line, widths) + "\n" for line in lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
    right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
    return "  ".join(left + right).rstrip()


def _cell(n: int) -> str:
    return str(n) if n else "-"

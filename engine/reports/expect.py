"""`--expect ATTRIBUTE`: the contract's verdict per ticket against the outcome the export recorded.

An export such as the UCI ServiceNow log records its own SLA outcome per ticket (`made_sla`). The
contract's verdict for a ticket is that of one clock (`--expect-clock`, default `resolution`):
breached when any cycle of it breached, else met when a cycle was met, else running (no verdict
yet), excluded, or `no clock` when the clock never started. The export's outcome is the LAST value
the ticket's events gave the attribute (`true`/`false`, any case; anything else is shown as it
is; `(not recorded)` when no event carried it). The disagreements are the tickets the export calls
made that the contract breached, and the reverse: where the contract as written and the system as
operated part ways.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import IO, Any

from engine.reports.audit import Audit
from engine.reports.cycles import Cycle

VERDICTS = ("met", "breached", "running", "excluded", "no clock")
NOT_RECORDED = "(not recorded)"
DISAGREEMENT_COLUMNS = ("ticket", "contract", "export", "verdict", "clock", "severity", "target", "breached_at",
                        "elapsed", "clause")


@dataclass
class Comparison:
    attribute: str
    clock: str
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)  # (export value, verdict) -> tickets
    disagreements: list[tuple[str, str, str, str]] = field(default_factory=list)  # ticket, contract, export, verdict

    def exported_values(self) -> list[str]:
        values = {v for v, _ in self.matrix}
        fixed = [v for v in ("true", "false") if v in values]
        return fixed + sorted(values - {"true", "false", NOT_RECORDED}) + ([NOT_RECORDED] if NOT_RECORDED in values else [])

    @property
    def agreeing(self) -> int:
        return self.matrix.get(("true", "met"), 0) + self.matrix.get(("false", "breached"), 0)

    @property
    def judged(self) -> int:
        """Tickets with both a true/false export value and a met/breached verdict."""
        return sum(self.matrix.get((v, w), 0) for v in ("true", "false") for w in ("met", "breached"))

    def agreement_text(self) -> str:
        if not self.judged:
            return "agreement: no ticket has both a true/false export value and a met/breached verdict"
        return (f"agreement: {self.agreeing} of {self.judged} tickets judged by both "
                f"({100.0 * self.agreeing / self.judged:.1f}%); disagreements: {len(self.disagreements)}")


def normalise(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text.lower() if text.lower() in ("true", "false") else text


def compare(audit: Audit, attribute: str, clock: str) -> Comparison:
    out = Comparison(attribute, clock)
    for ticket in sorted(audit.ticket_contract):
        exported = normalise(audit.expected[ticket]) if ticket in audit.expected else NOT_RECORDED
        verdict = audit.verdicts.get(ticket, "no clock")
        out.matrix[(exported, verdict)] = out.matrix.get((exported, verdict), 0) + 1
        if (exported, verdict) in (("true", "breached"), ("false", "met")):
            out.disagreements.append((ticket, audit.ticket_contract[ticket], exported, verdict))
    return out


def matrix_text(comparison: Comparison) -> str:
    """The confusion matrix as aligned text: rows the export's values, columns the contract's verdicts."""
    corner = f"{comparison.attribute} \\ {comparison.clock}"
    header = [corner, *VERDICTS, "total"]
    rows = [header]
    for value in comparison.exported_values():
        counts = [comparison.matrix.get((value, v), 0) for v in VERDICTS]
        rows.append([value, *(str(n) if n else "-" for n in counts), str(sum(counts))])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join([r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]).rstrip()
             for r in rows]
    return "\n".join(lines) + "\n" + comparison.agreement_text() + "\n"


def write_disagreements(comparison: Comparison, audit: Audit, stream: IO[str]) -> None:
    """One CSV row per disagreeing ticket; for a breached verdict, the first breached cycle of the clock."""
    first: dict[str, Cycle] = {}
    for cycle in audit.breached:
        if cycle.clock == comparison.clock:
            first.setdefault(cycle.ticket, cycle)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(DISAGREEMENT_COLUMNS)
    for ticket, contract, exported, verdict in comparison.disagreements:
        c = first.get(ticket)
        cells = c.row() if c else [""] * 16
        writer.writerow([ticket, contract, exported, verdict, comparison.clock, cells[5], cells[6], cells[12], cells[13],
                         c.clause if c else ""])

"""The summary a person reads after `obligo replay --out FILE`: plain text tables, no dependency.

When the actions go to a file, the terminal is free for what a reader wants to know at a glance:
how many actions of each kind each contract produced, which clocks breached, what was rejected and
where the full JSONL went. Pure function of the replay's counts, so it is tested without a terminal
and the output is byte-identical across runs (rows and columns sorted).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.replay.log import ReplayStats

EMPTY = "-"  # a zero cell: the non-zero figures stand out


def headline(stats: ReplayStats) -> str:
    """The one-line counts, without the per-kind list (the table has it)."""
    later = f", after --until {stats.after_until}" if stats.after_until else ""
    return (f"obligo replay: events {stats.events}, actions {stats.actions}, rejects {stats.rejects}, "
            f"duplicates {stats.duplicates}{later}")


def table(corner: str, rows: Sequence[str], columns: Sequence[str], cells: dict[tuple[str, str], int]) -> list[str]:
    """Rows x columns of counts with a total column and a total row; first column left-aligned."""
    header = [corner, *columns, "total"]
    body = []
    for row in rows:
        counts = [cells.get((row, col), 0) for col in columns]
        body.append([row, *(_cell(n) for n in counts), str(sum(counts))])
    totals = [sum(cells.get((row, col), 0) for row in rows) for col in columns]
    body.append(["total", *(_cell(n) for n in totals), str(sum(totals))])
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return [_line(line, widths) for line in [header, *body]]


def summary_table(stats: ReplayStats, out_path: str, rejects_path: str | None) -> str:
    """The whole summary: headline, actions by kind x contract, breaches by contract x clock, rejects, files."""
    lines = [headline(stats), ""]
    kinds = sorted({kind for kind, _ in stats.by_contract})
    contracts = sorted({contract for _, contract in stats.by_contract})
    if kinds:
        lines += table("actions", kinds, contracts, stats.by_contract)
    else:
        lines.append("actions: none")
    lines.append("")
    if stats.breaches:
        clocks = sorted({clock for _, clock in stats.breaches})
        breached = sorted({contract for contract, _ in stats.breaches})
        lines += table("breaches", breached, clocks, stats.breaches)
    else:
        lines.append("breaches: none")
    lines.append("")
    codes = ", ".join(f"{code} {n}" for code, n in sorted(stats.by_reject.items()))
    lines.append(f"rejects: {stats.rejects}" + (f" ({codes})" if codes else ""))
    lines.append(f"actions (JSONL, {_lines(stats.actions)}): {out_path}")
    if rejects_path:
        lines.append(f"rejects (JSONL, {_lines(stats.rejects)}): {rejects_path}")
    elif stats.rejects:
        lines.append("rejected lines were not kept; pass --rejects FILE to keep them")
    return "\n".join(lines) + "\n"


def _cell(n: int) -> str:
    return str(n) if n else EMPTY


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    first, *rest = cells
    return "  ".join([first.ljust(widths[0]), *(c.rjust(w) for c, w in zip(rest, widths[1:], strict=True))]).rstrip()


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"

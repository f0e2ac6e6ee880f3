"""The self-contained HTML report: one file, inline CSS, inline SVG charts, no script, no external URL.

Rendered with Jinja2 (autoescaping on: ticket ids, reasons and attribute values come from the
export and are never trusted as markup) from `templates/report.html.j2`, package data. The report
holds every breached cycle in a table, and the full timeline (every event and action, clause,
reason, paused intervals) of the first `timeline_limit` breached tickets in ticket order, each
folded in a `<details>`; the page says how many were left out and that `obligo explain` answers for
any ticket. Same inputs, same bytes: no wall-clock date, everything sorted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from engine.language.versions import VersionRow
from engine.model.events import format_instant
from engine.reports import charts
from engine.reports.audit import BUCKETS, DAY_BUCKETS, Audit, Entry
from engine.reports.cycles import Cycle
from engine.reports.expect import VERDICTS, Comparison
from engine.reports.provenance import Provenance
from engine.reports.summary import ALL, COMPLIANCE_DEFINITION, HEADER, table_cells

TIMELINE_LIMIT = 200  # tickets whose whole timeline is in the page; the rest: `obligo explain`
INTERVAL_LIMIT = 40  # business intervals listed per clock cycle in a timeline (`obligo explain` lists all)
DISAGREEMENT_LIMIT = 2000  # rows of the --expect disagreement table in the page (the CSV has them all)
BUCKET_COLOURS = dict(zip(BUCKETS, (charts.GOOD, charts.FAIR, charts.WARN, charts.BAD), strict=True))
BUCKET_COLOURS.update({"met": charts.GOOD, "breached": charts.BAD})


@dataclass
class Timeline:
    ticket: str
    cycles: list[Cycle]
    entries: list[Entry]
    explanation: Any = None  # engine.reports.explain.TicketExplanation: the business intervals counted, pauses


def _instant(value: int | None) -> str:
    return "" if value is None else format_instant(value)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    h, rest = divmod(seconds, 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min {rest % 60:02d} s"


def _charts(audit: Audit) -> dict[str, str]:
    rows = [(f"{c} · {k} · {s}" if s != ALL else f"{c} · {k} · all", t.compliance, f"{t.met} of {t.met + t.breached}"
             if t.met + t.breached else f"{t.running} running") for (c, k, s), t in audit.summary.rows()]
    compliance = charts.compliance_bars(rows, "Compliance by contract, clock and severity")
    months = sorted({m for m, _ in audit.breaches_by_month})
    clocks = sorted({k for _, k in audit.breaches_by_month})
    series = [(clock, [audit.breaches_by_month.get((m, clock), 0) for m in months]) for clock in clocks]
    over_time = charts.stacked_columns(months, series, "Breaches per month (UTC) by clock") if months else ""
    shares = []
    for key in sorted(audit.elapsed, key=lambda k: (k[0], k[1], _natural(k[2]))):
        counts = audit.elapsed[key]
        names = DAY_BUCKETS if set(counts) <= set(DAY_BUCKETS) else BUCKETS
        target = ", ".join(sorted(audit.targets.get(key, ())))
        shares.append((f"{key[0]} · {key[1]} · {key[2]} ({target})",
                       [(n, counts.get(n, 0), BUCKET_COLOURS[n]) for n in names]))
    elapsed = charts.stacked_shares(shares, "Elapsed business time against the target") if shares else ""
    return {"compliance": compliance, "over_time": over_time, "elapsed": elapsed}


def _natural(text: str) -> Any:
    from engine.reports.summary import natural_key

    return natural_key(text)


def render(audit: Audit, provenance: Provenance, timelines: Sequence[Timeline], comparison: Comparison | None = None,
           files_written: Sequence[tuple[str, str]] = (), timeline_limit: int = TIMELINE_LIMIT,
           versions: Sequence[VersionRow] = ()) -> str:
    """The whole page as text; `versions`: the versions of each contract loaded with several
    (engine.language.versions.version_rows), listed under the provenance."""
    import jinja2

    source = files("engine.reports").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["instant"] = _instant
    env.filters["duration"] = _duration
    env.filters["local"] = _local
    env.filters["business"] = _business
    template = env.from_string(source)
    breached_tickets = sorted({c.ticket for c in audit.breached})
    by_code: dict[str, int] = {}
    for reject in audit.rejects:
        by_code[reject.code] = by_code.get(reject.code, 0) + 1
    matrix: list[list[str]] = []
    if comparison is not None:
        for value in comparison.exported_values():
            counts = [comparison.matrix.get((value, v), 0) for v in VERDICTS]
            matrix.append([value, *(str(n) for n in counts), str(sum(counts))])
    context: dict[str, Any] = {
        "provenance": provenance,
        "versions": versions,
        "counts": audit.counts,
        "rejects_by_code": sorted(by_code.items()),
        "problems": audit.problems,
        "headline": audit.summary.headline(),
        "total": audit.summary.total(),
        "table": table_cells(audit.summary)[1:],
        "header": HEADER,
        "definition": COMPLIANCE_DEFINITION,
        "charts": {k: _markup(v) for k, v in _charts(audit).items()},
        "breached": audit.breached,
        "breached_tickets": len(breached_tickets),
        "timelines": timelines,
        "timeline_limit": timeline_limit,
        "interval_limit": INTERVAL_LIMIT,
        "comparison": comparison,
        "verdicts": VERDICTS,
        "matrix": matrix,
        "disagreements": comparison.disagreements[:DISAGREEMENT_LIMIT] if comparison else [],
        "disagreement_limit": DISAGREEMENT_LIMIT,
        "files_written": files_written,
        "end": _instant(audit.end),
    }
    return template.render(context)


def _markup(svg: str) -> Any:
    from markupsafe import Markup

    return Markup(svg)  # drawn by engine.reports.charts, every text in it escaped there


def choose_timelines(audit: Audit, limit: int = TIMELINE_LIMIT) -> list[str]:
    """The breached tickets whose timelines go in the page: the first `limit` in ticket order."""
    return sorted({c.ticket for c in audit.breached})[:limit]


def build_timelines(entries: dict[str, list[Entry]], cycles: dict[str, list[Cycle]],
                    explanations: Mapping[str, Any] | None = None) -> list[Timeline]:
    """One Timeline per ticket; `explanations` from engine.reports.explain.explain_tickets."""
    found = explanations or {}
    return [Timeline(t, cycles.get(t, []), entries[t], found.get(t)) for t in sorted(entries)]


def _local(instant: str | None, zone: str | None) -> str:
    from engine.reports.explain_text import local

    return "" if instant is None else local(instant, zone)


def _business(seconds: int | None) -> str:
    from engine.reports.explain import business_time

    return "" if seconds is None else business_time(seconds)

"""`obligo explain` for a person: a TicketExplanation as text that answers "why was this breached?".

Per clock cycle: the verdict first, then how it started (event, rule, clause), the target and
calendar, every due and what moved it, the pauses, the target changes, and a table of the opening
intervals that counted, in UTC and in the calendar's local time. Nothing is computed here: every
figure is a field of the explanation (engine.reports.explain), so text and JSON always agree.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from engine.model.events import parse_instant
from engine.reports.explain import Cause, Counted, Cycle, TicketExplanation, business_time

business = business_time


def local(instant: str, zone: str | None) -> str:
    """'Tue 2027-03-02 10:00' in `zone` (UTC when None)."""
    tz = ZoneInfo(zone or "UTC")
    return datetime.fromtimestamp(parse_instant(instant), tz).strftime("%a %Y-%m-%d %H:%M")


def _cause(cause: Cause) -> str:
    source = f"event {cause.event} ({cause.event_type})" if cause.event is not None else cause.event_type or "deadline"
    clause = cause.clause + (f", rule clause {cause.rule_clause}" if cause.rule_clause not in (None, cause.clause) else "")
    return f"{source}, rule {cause.rule}, clause {clause}"


def _short(cause: Cause) -> str:
    """'e3 (updated; rule x, clause ND-WAIT)': the rule's own clause, the one that justifies it."""
    what = f"{cause.event} ({cause.event_type}" if cause.event is not None else f"({cause.event_type}"
    return f"{what}; rule {cause.rule}, clause {cause.rule_clause or cause.clause})"


def _interval_row(c: Counted) -> str:
    to_local = local(c.end, c.zone)
    same_day = local(c.start, c.zone)[:14] == to_local[:14]
    span = f"{local(c.start, c.zone)}-{to_local[15:] if same_day else to_local}"
    mark = "  (after the breach)" if c.after_breach else ""
    return f"    {c.start}  {c.end}  {span:<32} {business(c.seconds):>12}{mark}"


def render_cycle(cycle: Cycle) -> list[str]:
    v = cycle.verdict
    zone = cycle.calendar.zone
    lines = [f"{cycle.clock}, cycle {cycle.cycle}: {v.status.upper()}: {v.text}"]
    lines.append(f"  started {cycle.started} ({local(cycle.started, zone)} {zone or 'UTC'}) on {_cause(cycle.start)}")
    lines.append(f"  target {cycle.target}" + (f" for severity {cycle.severity}" if cycle.severity else "")
                 + f" on calendar {cycle.calendar.id} ({cycle.calendar.hours}); first due {cycle.first_due}")
    lines.append("  dues:")
    for d in cycle.dues:
        lines.append(f"    {d.at}  {d.action:<16} due {d.due or '-':<20}  {d.why}")
    if cycle.pauses:
        lines.append(f"  pauses ({business(cycle.paused)} of business time not counted):")
        for p in cycle.pauses:
            to = p.end or "the end of the log"
            resumed = f" to {_short(p.resumed_by)}" if p.resumed_by is not None else ""
            lines.append(f"    {p.start} -> {to}: {business(p.seconds)}, from {_short(p.paused_by)}{resumed}")
    for t in cycle.target_changes:
        lines.append(f"  target change at {t.at}: severity {t.severity_before} -> {t.severity_after}"
                     + (f" ({t.severity_clause})" if t.severity_clause else "")
                     + f", target {t.target_before} on {t.calendar_before} -> {t.target_after} on {t.calendar_after}, "
                     f"due {t.due_before or '- (paused)'} -> {t.due_after or '- (paused)'}, {business(t.elapsed)} "
                     f"counted by then" + ("; already used up" if t.exceeded else ""))
    for w in cycle.warnings:
        lines.append(f"  warning at {w.at}: {round(w.ratio * 100)}% of the target used, due {w.due}")
    lines.append(f"  opening intervals that counted ({business(cycle.elapsed)} in all, of {business(v.budget)} "
                 f"the target grants):")
    lines.append(f"    {'from (UTC)':<20}  {'to (UTC)':<20}  {'local time':<32} {'business':>12}")
    for c in cycle.counted:
        lines.append(_interval_row(c))
    if not cycle.counted:
        lines.append("    (none: the clock never ran during opening hours)")
    for note in cycle.notes:
        lines.append(f"  NOTE: {note}")
    return lines


def render_text(x: TicketExplanation) -> str:
    head = f"ticket {x.ticket}"
    if x.contract:
        head += f", contract {x.contract} version {x.version}"
    if x.until:
        head += f"; deadlines fired up to {x.until}"
    lines = [head, "events:"]
    for e in x.events:
        extra = "" if e.status == "applied" else f"  {e.status.upper()}: {e.reason}"
        attrs = "" if not e.attrs else " " + ", ".join(f"{k}={v}" for k, v in sorted(e.attrs.items()))
        lines.append(f"  {e.at}  {e.id:<12} {e.type}{attrs}{extra}")
    if not x.cycles:
        lines += ["", "no clock ran for this ticket."]
    for cycle in x.cycles:
        lines.append("")
        lines += render_cycle(cycle)
    return "\n".join(lines) + "\n"


__all__ = ["business", "local", "render_cycle", "render_text"]

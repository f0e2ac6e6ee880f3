"""What-if on history (`obligo diff`): one log replayed under two sets of contracts, then compared.

A contract manager asks what a change (a shorter target, a new holiday) would have done to last
year's tickets. Each set runs in its own Engine over the same log, exactly as `obligo replay` would
run it (same events, same end: the last event each engine applied). One pass reads the log, in time
order, and gives each event to both engines (each evicts its finished tickets, as the replay does);
each side keeps only:
- the summary tallies (engine.reports.summary), folded from the actions as they come;
- one digest per ticket of its action lines, in emitted order (chained: blake2b of the previous
  digest and the line): two tickets' actions are equal when their lines are equal byte for byte
  (the whole action, id included), so the digests tell which tickets differ without keeping any.
The actions of the differing tickets are then produced again (`differing_actions`), a chunk of
tickets at a time, by replaying only their events (read again from the log): tickets never read each
other's state (tests/replay/test_ticket_independence.py), so this gives each ticket's lines
exactly; the lines are checked against the first pass's digest anyway. Memory: the open tickets of
both engines, the digests of the tickets active within the retention (the others on disk:
engine.reports.windowed), and one chunk of tickets' events and actions.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.model.events import EventError
from engine.replay.lines import Reject
from engine.reports.audit import Counts, LogEntry
from engine.reports.cycles import CycleBuilder
from engine.reports.summary import ALL, Key, Summary, Tally, natural_key
from engine.reports.windowed import WindowedByTicket

CHUNK = 5000  # differing tickets replayed again at once (memory: their action lines, both sides)


@dataclass
class Side:
    """One set of contracts over the log: figures, per-ticket digests, what was not applied."""

    summary: Summary = field(default_factory=Summary)
    counts: Counts = field(default_factory=Counts)
    # differing ticket -> digest of its action lines on this side (chained; absent: it had none);
    # the tickets whose lines are the same on both sides are not kept
    digests: dict[str, bytes] = field(default_factory=dict)
    skipped_lines: set[int] = field(default_factory=set)  # rejected or duplicate lines
    rejects: list[Reject] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    end: int | None = None  # pending deadlines fired up to here (`until`, else the last event applied)


@dataclass
class Diff:
    before: Side
    after: Side
    tickets: int  # tickets named by the log's events
    differing: list[str]  # tickets whose action lines differ, in ticket order (natural: T-2 before T-10)
    events: int = 0  # the log's events (its lines that are events, applied or not)
    after_until: int = 0  # of those, the ones later than `until`: given to neither side


def ticket_order(ticket: str) -> tuple[Any, str]:
    return natural_key(ticket), ticket


def run_diff(before: dict[str, CompiledContract], after: dict[str, CompiledContract], events: Iterable[LogEntry],
             rejects: Iterable[Reject] = (), *, retention: int | None = None, spill_dir: str | None = None,
             progress: Callable[[int], None] | None = None, until: int | None = None) -> Diff:
    """Both sides over the same log (time-sorted entries, read once as they come: an iterator will
    do), and the tickets whose actions differ. `rejects` (the lines that are not events) is read
    after `events`, so that the rejects of a log being read are all there. `retention`: the
    engines' (engine.runtime.engine), which changes their memory, never their answers. `until`
    (epoch seconds), as `obligo replay --until`: the events after it are left out (counted in
    `after_until`) and both sides fire their pending deadlines up to it."""
    from engine.runtime.engine import Engine

    digests: WindowedByTicket[list[bytes | None]] = WindowedByTicket(
        lambda: [None, None], _encode_pair, _decode_pair, retention, spill_dir, "tickets' action digests")
    a, b = (_Run(Engine(contracts, retention=retention, spill_dir=spill_dir), CycleBuilder(retention, spill_dir),
                 digests, side) for side, contracts in enumerate((before, after)))
    count = later = 0
    try:
        for count, entry in enumerate(events, start=1):
            if until is not None and entry[0] > until:
                later += 1  # (time-sorted: every entry from here on; read on for the rejects and the count)
            else:
                digests.get(entry[2].ticket, entry[0])  # every ticket the log names is counted
                a.apply(entry)
                b.apply(entry)
            if progress is not None and count % 1000 == 0:
                progress(count)
        parsed = list(rejects)
        sides = a.finish(parsed, until), b.finish(parsed, until)
        tickets, differing = 0, []
        for ticket, pair in digests.items():
            tickets += 1
            if pair[0] != pair[1]:
                differing.append(ticket)
                for side, digest in zip(sides, pair, strict=True):
                    if digest is not None:
                        side.digests[ticket] = digest
    finally:
        digests.close()
        for run in (a, b):
            run.builder.close()
            run.engine.close()
    if progress is not None:
        progress(count)
    differing.sort(key=ticket_order)
    return Diff(sides[0], sides[1], tickets, differing, count, later)


def _encode_pair(pair: list[bytes | None]) -> bytes:
    """Both sides' digests of a ticket for the disk: a marker byte each, then the digest if any."""
    return b"".join(b"\0" if d is None else b"\1" + d for d in pair)


def _decode_pair(data: bytes) -> list[bytes | None]:
    pair: list[bytes | None] = []
    at = 0
    for _ in range(2):
        if data[at] == 0:
            pair.append(None)
            at += 1
        else:
            pair.append(data[at + 1:at + 17])
            at += 17
    return pair


class _Run:
    """One side while the log is read: its engine, cycles, tallies, and its digest in each ticket's
    pair (`digests`, shared by both sides; with a retention, on disk for the tickets not touched
    within it, as the engines' tickets and the cycle counts: engine.reports.windowed)."""

    def __init__(self, engine: Any, builder: CycleBuilder, digests: WindowedByTicket[list[bytes | None]],
                 index: int) -> None:
        self.engine = engine
        self.side = Side()
        self.builder = builder
        self.digests = digests
        self.index = index  # 0 before, 1 after: this side's place in a ticket's pair

    def feed(self, actions: list[Action]) -> None:
        side, digests, builder, index = self.side, self.digests, self.builder, self.index
        for action in actions:
            side.counts.actions += 1
            if action.action == "breach":
                side.counts.breaches += 1
            pair = digests.get(action.ticket, action.at)
            pair[index] = chained(pair[index] or b"", action.to_json())
            for cycle in builder.feed(action):
                side.summary.add(cycle)

    def apply(self, entry: LogEntry) -> None:
        from engine.runtime.engine import DuplicateEvent

        at, number, event, text = entry
        side = self.side
        try:
            self.feed(self.engine.process(event))
        except DuplicateEvent:
            side.counts.duplicates += 1
            side.skipped_lines.add(number)
            return
        except EventError as exc:
            side.rejects.append(Reject(number, exc.code, str(exc), text))
            side.skipped_lines.add(number)
            return
        side.counts.events += 1
        side.end = at

    def finish(self, parsed: list[Reject], until: int | None = None) -> Side:
        side = self.side
        if until is not None:
            side.end = until
        if side.end is not None:
            self.feed(self.engine.advance(side.end))
        side.summary.extend(self.builder.finish())
        side.problems.extend(self.engine.problems)
        side.rejects.extend(parsed)
        side.rejects.sort(key=lambda r: r.line)
        side.counts.rejects = len(side.rejects)
        return side


def chained(digest: bytes, line: str) -> bytes:
    """The digest of a ticket's action lines so far, after one more line."""
    return blake2b(digest + line.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def ticket_actions(contracts: dict[str, CompiledContract], events: Iterable[LogEntry], tickets: Iterable[str],
                   side: Side) -> dict[str, list[str]]:
    """The action lines (as `obligo replay` writes them) of the chosen tickets, from their events only
    (`events` may hold others: they are left out); raises RuntimeError if a ticket's lines do not
    match the digest of the full replay (a bug)."""
    from engine.runtime.engine import Engine

    chosen = set(tickets)
    lines: dict[str, list[str]] = {t: [] for t in chosen}
    engine = Engine(contracts)

    def keep(actions: list[Action]) -> None:
        for action in actions:
            if action.ticket in lines:
                lines[action.ticket].append(action.to_json())

    end = side.end
    for at, number, event, _ in events:
        if end is not None and at > end:  # after `until` (without it, no event applied is later than the end)
            break
        if event.ticket in chosen and number not in side.skipped_lines:
            try:
                keep(engine.process(event))
            except EventError:  # refused in the full replay too: its line is in skipped_lines
                continue
    if side.end is not None:
        keep(engine.advance(side.end))
    for ticket, found in lines.items():
        digest = b""
        for line in found:
            digest = chained(digest, line)
        if (found and digest != side.digests.get(ticket)) or (not found and ticket in side.digests):
            raise RuntimeError(f"ticket {ticket}: its actions replayed alone differ from the full replay")
    return lines


def differing_actions(diff: Diff, before: dict[str, CompiledContract], after: dict[str, CompiledContract],
                      of_tickets: Callable[[AbstractSet[str]], Sequence[LogEntry]], limit: int | None = None,
                      chunk: int = CHUNK) -> Iterator[tuple[str, list[str], list[str]]]:
    """(ticket, before lines, after lines) for the differing tickets in ticket order (the first
    `limit`); `of_tickets` gives the events of a set of tickets in time order (the log read again)."""
    tickets = diff.differing if limit is None else diff.differing[:limit]
    for start in range(0, len(tickets), chunk):
        part = tickets[start:start + chunk]
        events = of_tickets(set(part))
        a = ticket_actions(before, events, part, diff.before)
        b = ticket_actions(after, events, part, diff.after)
        for ticket in part:
            yield ticket, a[ticket], b[ticket]


def out_line(ticket: str, before: list[str], after: list[str]) -> str:
    """One `--out` line: `{"ticket", "before", "after"}`, the actions as the JSON objects replay writes."""
    a = ",".join(before)
    b = ",".join(after)
    return '{"ticket":' + json.dumps(ticket, ensure_ascii=False) + ',"before":[' + a + '],"after":[' + b + "]}"


# --- the table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    key: Key
    before: Tally
    after: Tally

    @property
    def change(self) -> float | None:
        """Compliance after minus before, in percentage points (None unless both have a verdict)."""
        a, b = self.before.compliance, self.after.compliance
        return None if a is None or b is None else b - a

    @property
    def changed(self) -> bool:
        return any(getattr(self.before, n) != getattr(self.after, n)
                   for n in ("clocks", "met", "breached", "running", "excluded"))


def rows(diff: Diff) -> list[Row]:
    """Every contract x clock x severity of either side, sorted as the report sorts them; the `all` row
    only where a contract x clock has more than one severity on some side."""
    a, b = diff.before.summary.tallies, diff.after.summary.tallies
    severities: dict[tuple[str, str], set[str]] = {}
    for contract, clock, severity in [*a, *b]:
        if severity != ALL:
            severities.setdefault((contract, clock), set()).add(severity)
    keys = {k for k in [*a, *b] if k[2] != ALL or len(severities.get((k[0], k[1]), ())) > 1}
    ordered = sorted(keys, key=lambda k: (k[0], k[1], k[2] == ALL, natural_key(k[2]), k[2]))
    return [Row(k, a.get(k, Tally()), b.get(k, Tally())) for k in ordered]


def change_text(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


GROUPS = ("clocks", "met", "breached", "compliance %")
HEADER = ("contract", "clock", "severity", "before", "after", "before", "after", "before", "after", "before", "after",
          "change")


def cells(row: Row) -> list[str]:
    (contract, clock, severity), a, b = row.key, row.before, row.after
    return [contract, clock, severity, str(a.clocks), str(b.clocks), _n(a.met), _n(b.met), _n(a.breached),
            _n(b.breached), a.compliance_text(), b.compliance_text(), change_text(row.change)]


def text_table(table: Sequence[Row]) -> str:
    """Aligned plain text: a group line (clocks, met, breached, compliance %) over before/after pairs."""
    if not table:
        return "clocks: none\n"
    body = [cells(r) for r in table]
    widths = [max(len(line[i]) for line in [list(HEADER), *body]) for i in range(len(HEADER))]
    for g, name in enumerate(GROUPS):  # a group label wider than its two columns widens the "after" one
        first = 3 + 2 * g
        short = len(name) - (widths[first] + 2 + widths[first + 1])
        if short > 0:
            widths[first + 1] += short
    group = ["" for _ in widths[:3]]
    for g, name in enumerate(GROUPS):
        first = 3 + 2 * g
        group.append(name.ljust(widths[first] + 2 + widths[first + 1]))
    lead = "  ".join(c.ljust(w) for c, w in zip(group[:3], widths[:3], strict=True))
    out = [(lead + "  " + "  ".join(group[3:])).rstrip()]
    for line in [list(HEADER), *body]:
        left = [c.ljust(w) for c, w in zip(line[:3], widths[:3], strict=True)]
        right = [c.rjust(w) for c, w in zip(line[3:], widths[3:], strict=True)]
        out.append("  ".join(left + right).rstrip())
    return "".join(line + "\n" for line in out)


def _n(n: int) -> str:
    return str(n) if n else "-"


# --- the HTML page's ticket view ---------------------------------------------------------------

@dataclass(frozen=True)
class DiffLine:
    """One action of a differing ticket: on both sides (`=`), before only (`-`) or after only (`+`)."""

    mark: str
    action: dict[str, Any]


def aligned(before: Sequence[str], after: Sequence[str]) -> list[DiffLine]:
    """The two action lists aligned (difflib, deterministic): equal actions once, the rest marked."""
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(DiffLine("=", json.loads(line)) for line in before[i1:i2])
            continue
        out.extend(DiffLine("-", json.loads(line)) for line in before[i1:i2])
        out.extend(DiffLine("+", json.loads(line)) for line in after[j1:j2])
    return out


def detail(action: dict[str, Any]) -> str:
    """The fields of note of one action, as the report's timelines show them."""
    parts = []
    for name in ("severity", "target", "calendar", "due", "met", "elapsed", "paused", "excluded", "level", "from",
                 "to", "party", "obligation"):
        if name in action and action[name] is not None:
            value = action[name]
            parts.append(f"{name} {str(value).lower() if isinstance(value, bool) else value}")
    return "; ".join(parts)


def style() -> Any:
    """The auditor report's stylesheet (templates/report.html.j2), so both pages look alike."""
    import re
    from importlib.resources import files

    from markupsafe import Markup

    report = files("engine.reports").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    found = re.search(r"<style>.*?</style>", report, re.S)
    return Markup(found.group(0) if found else "")  # the report's own text, not input


def render_html(diff: Diff, table: Sequence[Row], tickets: Sequence[tuple[str, list[str], list[str]]],
                before_paths: Sequence[str], after_paths: Sequence[str], limit: int,
                provenance: Any = None, after_params: Sequence[str] = (), until: str | None = None) -> str:
    """The self-contained page: the table with changed rows marked, then the first `limit` differing
    tickets with their actions aligned. Jinja2 with autoescaping (ticket ids and reasons come from the
    log); no script, no external URL, no wall-clock date. `after_params` (`--param` pairs of the
    after side) and `until` (as given) join the provenance."""
    from importlib.resources import files

    import jinja2

    source = files("engine.reports").joinpath("templates/diff.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["detail"] = detail
    views = [(ticket, aligned(a, b), len(a), len(b)) for ticket, a, b in tickets]
    return env.from_string(source).render(
        style=style(), diff=diff, groups=GROUPS, header=HEADER, rows=[(r, cells(r)) for r in table],
        tickets=views, limit=limit, before_paths=before_paths, after_paths=after_paths, provenance=provenance,
        after_params=after_params, until=until)

"""Views for contract managers: `obligo show` (tables) and `obligo graph` (Mermaid, DOT, SVG)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from html import escape
from typing import IO, Any

import networkx as nx

from engine.language.cache import load_contracts_cached
from engine.language.escalation import EscalationGraph
from engine.language.model import Calendar, CompiledContract
from engine.language.versions import version_rows, windows
from engine.model.diagnostics import errors_only

_WIDTH = 60


def _load(path: str, err: IO[str]) -> CompiledContract | None:
    contracts, diags = load_contracts_cached([path])
    for d in diags:
        err.write(d.render() + "\n")
    if errors_only(diags) or not contracts:
        return None
    return next(iter(contracts.values()))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int = _WIDTH) -> str:
    """A plain-text table; long cells wrap inside their column."""
    cells = [[textwrap.wrap(_text(c), width) or [""] for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    for row in cells:
        for k in range(max(len(lines) for lines in row)):
            out.append("  ".join((lines[k] if k < len(lines) else "").ljust(w)
                                 for lines, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _hours(cal: Calendar) -> str:
    if cal.always_open:
        return "24x7"
    return "; ".join(f"{k} {', '.join(v) or 'closed'}" for k, v in cal.hours)


def _holidays(cal: Calendar) -> str:
    if not cal.has_holidays:
        return ""
    parts = []
    if cal.country_attr is not None:
        parts.append(f"public holidays of ticket attr '{cal.country_attr}' (default {cal.holiday_country})")
    elif cal.holiday_country:
        parts.append(cal.holiday_country + (f"-{cal.holiday_subdivision}" if cal.holiday_subdivision else "")
                     + " public holidays")
    if cal.holiday_dates:
        parts.append("+ " + ", ".join(cal.holiday_dates))
    return " ".join(parts)


def _zone(cal: Calendar) -> str:
    if cal.always_open:
        return "UTC (every minute)"
    if cal.zone_attr is not None:
        return f"ticket attr '{cal.zone_attr}' (default {cal.timezone})"
    return str(cal.timezone)


def _target_rows(c: CompiledContract) -> list[list[Any]]:
    rows = []
    for t in c.target_list:
        entries = list(t.rows.items()) if t.rows else [("(any)", t.default)]
        for sev, row in entries:
            rows.append([t.clock, _text(t.condition) or "(all tickets)", sev, row.text if row else None,
                         row.calendar if row else "region", t.clause])
    return rows


def render_contract(c: CompiledContract) -> str:
    parts = [f"{c.title}  [{c.id} v{c.version}]",
             f"source {c.source}; effective {c.effective_from} to {c.effective_to or 'open'}; "
             f"parties: {', '.join(f'{k} = {v}' for k, v in c.parties.items())}"]

    def section(title: str, body: str) -> None:
        parts.append(f"\n== {title} ==\n{body}")

    section("Clauses", table(["clause", "ref", "text"], [[k, cl.ref or "", cl.text] for k, cl in c.clauses.items()], 80))
    if c.attributes:
        section("Attributes the rules read", table(["name", "type", "allowed values", "description"],
                                                   [[a.name, a.type, "" if a.values is None else ", ".join(map(str, a.values)),
                                                     a.description] for a in c.attributes.values()], 50))
    section("Calendars", table(["id", "time zone", "hours", "holidays", "clause"],
                               [[k, _zone(v), _hours(v), _holidays(v), "" if v.always_open else v.clause]
                                for k, v in c.calendars.items()]))
    if c.regions:
        section("Regions", table(["region", "calendar"], list(c.regions.items())))
    if c.plans:
        section("Plans", table(["plan", "title", "clause"], [[k, v.title, v.clause] for k, v in c.plans.items()]))
    section("Severities (most severe first)", table(["id", "name", "definition", "clause"],
                                                   [[s.id, s.name, s.definition, s.clause] for s in c.severity_terms]))
    section("Targets (first matching entry wins)", table(["clock", "applies to", "severity", "target", "calendar", "clause"],
                                                         _target_rows(c), 40))
    if c.obligations:
        section("Obligations", table(["id", "party", "what", "due", "consequence", "clause"],
                                     [[o.id, o.party, o.what, "(standing)" if o.due_text is None else o.due_text,
                                       o.consequence, o.clause] for o in c.obligations.values()], 36))
    if c.exclusion_list:
        section("Exclusions", table(["category", "text", "clause"], [[e.category, e.text, e.clause]
                                                                     for e in c.exclusion_list]))
    if c.reclassifications:
        section("Reclassification", table(["id", "on", "when", "to", "clause"],
                                          [[r.id, r.on, r.condition, r.to, r.clause] for r in c.reclassifications], 40))
    policy = c.severity_policy
    if policy is not None and policy.declared:
        clause = policy.clause or "(the new severity's definition clause)"
        refusals = [[r.condition, r.reason.text if r.reason else ""] for r in policy.refusals]
        section(f"Severity changes by `updated` ({clause}): refused when", table(["when", "reason"], refusals, 60)
                if refusals else "never refused")
    for g in c.graphs:
        section(f"Escalation graph {g.id} ({g.clause})",
                table(["from", "to", "trigger", "when"], [[e.source, e.to, ", ".join(e.triggers), e.condition]
                                                         for e in g.edge_list]))
    section("Rules (salience, then definition order)",
            table(["rule", "when", "if", "then", "clause"],
                  [[r.id, ", ".join(r.events) or "(never)", r.condition, ", ".join(a.kind for a in r.actions), r.clause]
                   for r in sorted(c.rules, key=lambda r: (r.events[:1], -r.salience, r.order))], 34))
    if c.parameters:
        section("Parameters", table(["name", "value", "description"], [[p.name, p.value, p.description]
                                                                      for p in c.parameters]))
    if c.assumptions:
        section("Assumptions", table(["clause", "the text says", "choice", "parameter"],
                                     [[a.clause, a.seed, a.choice, a.parameter] for a in c.assumptions], 44))
    if c.not_encoded:
        section("Clauses not encoded", table(["clause", "why"], [[n.clause, n.reason] for n in c.not_encoded], 80))
    return "\n".join(parts) + "\n"


def render_versions(cid: str, contracts: Mapping[str, CompiledContract]) -> str:
    """The versions of one contract id and when each is in force (engine.language.versions)."""
    rows = [[r.version, r.start, r.until, r.zone, r.file] for r in version_rows(contracts) if r.contract == cid]
    return (f"{cid}: {len(rows)} versions; a ticket runs under the version in force when it is opened\n"
            + table(["version", "in force from", "until", "dates read in", "file"], rows))


def show(paths: Sequence[str], version: str | None, out: IO[str], err: IO[str]) -> int:
    """Each contract under `paths` as tables; an id with several versions gets the table of its
    versions, then the one chosen by `version` (default: the latest in force)."""
    contracts, diags = load_contracts_cached(paths)
    for d in diags:
        err.write(d.render() + "\n")
    if errors_only(diags) or not contracts:
        return 1
    by_id = windows(contracts)
    if version is not None and not any(w.version == version for ws in by_id.values() for w in ws):
        known = sorted({w.version for ws in by_id.values() for w in ws})
        err.write(f"obligo show: no version {version!r} loaded (versions: {', '.join(known)})\n")
        return 2
    parts = []
    for cid in sorted(by_id):
        versions = by_id[cid]
        chosen = [w for w in versions if w.version == version] if version is not None else [versions[-1]]
        if len(versions) > 1:
            note = "" if version is not None else " (--version V for another)"
            parts.append(render_versions(cid, contracts) + f"\nshowing version {chosen[0].version}{note}\n"
                         if chosen else render_versions(cid, contracts))
        parts += [render_contract(contracts[w.key]) for w in chosen]
    out.write("\n".join(parts))
    return 0


def _label(node: str, attrs: dict) -> str:
    extra = [attrs.get("role"), attrs.get("contact"), f"hours: {attrs['hours']}" if attrs.get("hours") else None]
    return "\n".join([node, *[e for e in extra if e]])


def to_mermaid(graphs: Sequence[EscalationGraph]) -> str:
    """Mermaid flowchart; node ids are positional (g0n1) so distinct names never collide."""
    lines = ["flowchart TD"]
    for gi, g in enumerate(graphs):
        ids = {node: f"g{gi}n{ni}" for ni, node in enumerate(g.nodes)}
        lines.append(f'  subgraph g{gi}["{g.id} ({g.clause})"]')
        for node, attrs in g.nodes.items():
            text = _mermaid_text(_label(node, attrs or {})).replace("\n", "<br/>")
            lines.append(f'    {ids[node]}["{text}"]')
        for e in g.edge_list:
            label = ", ".join(e.triggers) + (f" if {json.dumps(e.condition, ensure_ascii=False)}" if e.condition else "")
            lines.append(f'    {ids[e.source]} -->|"{label.replace(chr(34), chr(39))}"| {ids[e.to]}')
        lines.append("  end")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Label text Mermaid shows as written: quotes and angle brackets (e-mail addresses) as entities."""
    return text.replace('"', "#34;").replace("<", "#60;").replace(">", "#62;")


def _dot(text: str) -> str:
    """A DOT quoted string: UTF-8 kept as is, quotes and backslashes escaped, newlines as \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graphs: Sequence[EscalationGraph]) -> str:
    lines = ["digraph escalation {", "  rankdir=TB;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for g in graphs:
        lines.append(f'  subgraph {_dot("cluster_" + g.id)} {{')
        lines.append(f'    label={_dot(g.id + " (" + g.clause + ")")};')
        for node, attrs in g.nodes.items():
            lines.append(f'    {_dot(g.id + "." + node)} [label={_dot(_label(node, attrs or {}))}];')
        for e in g.edge_list:
            label = ", ".join(e.triggers) + (f"\nif {json.dumps(e.condition, ensure_ascii=False)}" if e.condition else "")
            lines.append(f'    {_dot(g.id + "." + e.source)} -> {_dot(g.id + "." + e.to)} [label={_dot(label)}];')
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(graphs: Sequence[EscalationGraph]) -> str:
    """A self-contained SVG: one column per graph, one row per escalation level (no Graphviz needed)."""
    box_w, box_h, gap_x, gap_y, top = 230, 64, 40, 56, 40
    columns = []
    for g in graphs:
        graph = g.graph
        layers = [sorted(layer) for layer in nx.topological_generations(graph)]
        columns.append((g, graph, layers))
    width = sum(max(len(layers) and max(len(layer) for layer in layers), 1) * (box_w + gap_x) for _, _, layers in columns)
    height = top + max((len(layers) for _, _, layers in columns), default=1) * (box_h + gap_y) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + gap_x}" height="{height}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    x0 = gap_x / 2
    for g, graph, layers in columns:
        span = max(len(layer) for layer in layers) * (box_w + gap_x)
        out.append(f'<text x="{x0}" y="20" font-weight="bold">{escape(g.id)} ({escape(g.clause)})</text>')
        pos = {}
        for row, layer in enumerate(layers):
            offset = x0 + (span - len(layer) * (box_w + gap_x)) / 2
            for k, node in enumerate(layer):
                pos[node] = (offset + k * (box_w + gap_x), top + row * (box_h + gap_y))
        for u, v, data in graph.edges(data=True):
            (x1, y1), (x2, y2) = pos[u], pos[v]
            ax, ay, bx, by = x1 + box_w / 2, y1 + box_h, x2 + box_w / 2, y2
            out.append(f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#555" marker-end="url(#arrow)"/>')
            out.append(f'<text x="{(ax + bx) / 2 + 4}" y="{(ay + by) / 2}" fill="#555" font-size="10">'
                       f'{escape(", ".join(data["trigger"]))}</text>')
        for node, (x, y) in pos.items():
            attrs = graph.nodes[node]
            out.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" fill="#eef4fb" stroke="#3b6ea5"/>')
            for i, line in enumerate(_label(node, attrs).split("\n")[:3]):
                weight = ' font-weight="bold"' if i == 0 else ""
                out.append(f'<text x="{x + 8}" y="{y + 18 + i * 16}"{weight}>{escape(line[:36])}</text>')
        x0 += span
    out.append("</svg>")
    return "\n".join(out) + "\n"


def graph(path: str, fmt: str, out: IO[str], err: IO[str]) -> int:
    contract = _load(path, err)
    if contract is None:
        return 1
    graphs = contract.graphs
    if not graphs:
        err.write(f"{path}: contract '{contract.id}' has no escalation graph\n")
        return 1
    render = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}[fmt]
    out.write(render(graphs))
    return 0

"""The report's charts as inline SVG, drawn here on the server side: no script, no external file.

Three small kinds of bar chart (horizontal bars, stacked horizontal shares, stacked columns) are all
the report needs, so they are drawn directly rather than through a chart library: the SVG is a
few dozen elements, deterministic to the byte, and needs no JavaScript to show (pygal's output
expects its script for tooltips and legends, and matplotlib would be a heavy dependency for three
bar charts). Every figure is also in a table beside its chart, so a chart is never the only source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

FONT = "font-family='system-ui, sans-serif' font-size='12'"
GOOD, FAIR, WARN, BAD, GREY = "#2e7d32", "#9ccc65", "#ffa726", "#d32f2f", "#9e9e9e"
SERIES = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
            f"height='{height}' role='img' aria-label='{escape(title)}'><title>{escape(title)}</title>"
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = "#222") -> str:
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{fill}' {FONT}>{escape(text)}</text>"


def compliance_bars(rows: Sequence[tuple[str, float | None, str]], title: str) -> str:
    """One horizontal bar per row: (label, compliance % or None, annotation such as `12 of 14`)."""
    label_w, bar_w, row_h = _label_width(label for label, _, _ in rows), 360, 22
    width, height = label_w + bar_w + 150, row_h * len(rows) + 30
    body = [f"<line x1='{label_w}' y1='4' x2='{label_w}' y2='{height - 22}' stroke='#888'/>"]
    for mark in (25, 50, 75, 100):
        x = label_w + bar_w * mark / 100
        body.append(f"<line x1='{x:.1f}' y1='4' x2='{x:.1f}' y2='{height - 22}' stroke='#ccc' stroke-dasharray='3 3'/>")
        body.append(_text(x, height - 8, f"{mark}%", "middle", "#666"))
    for i, (label, pct, note) in enumerate(rows):
        y = 6 + i * row_h
        body.append(_text(label_w - 6, y + 14, label, "end"))
        if pct is None:
            body.append(_text(label_w + 6, y + 14, f"no verdict yet ({note})", fill="#666"))
            continue
        colour = GOOD if pct >= 90 else FAIR if pct >= 75 else WARN if pct >= 50 else BAD
        body.append(f"<rect x='{label_w}' y='{y + 2}' width='{bar_w * pct / 100:.1f}' height='{row_h - 6}' "
                    f"fill='{colour}'/>")
        body.append(_text(label_w + bar_w * pct / 100 + 6, y + 14, f"{pct:.1f}% ({note})"))
    return _svg(width, height, body, title)


def stacked_shares(rows: Sequence[tuple[str, Sequence[tuple[str, int, str]]]], title: str) -> str:
    """One 100% bar per row, split into (name, count, colour) parts; counts written inside wide parts."""
    label_w, bar_w, row_h = _label_width(label for label, _ in rows), 420, 22
    width, height = label_w + bar_w + 70, row_h * len(rows) + 8
    body = []
    for i, (label, parts) in enumerate(rows):
        y = 4 + i * row_h
        body.append(_text(label_w - 6, y + 14, label, "end"))
        total = sum(n for _, n, _ in parts)
        x = float(label_w)
        for name, n, colour in parts:
            if not n:
                continue
            w = bar_w * n / total
            body.append(f"<rect x='{x:.1f}' y='{y + 2}' width='{w:.1f}' height='{row_h - 6}' fill='{colour}'>"
                        f"<title>{escape(f'{label}: {name} {n}')}</title></rect>")
            if w > 28:
                body.append(_text(x + w / 2, y + 14, str(n), "middle", "#fff"))
            x += w
        body.append(_text(label_w + bar_w + 6, y + 14, f"n={total}", fill="#666"))
    return _svg(width, height, body, title)


def stacked_columns(columns: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str) -> str:
    """Columns (e.g. months) of stacked series (e.g. clocks); y axis from 0 to the tallest column."""
    left, plot_h, top = 50, 200, 10
    col_w = max(8, min(56, 680 // max(1, len(columns))))
    width, height = left + col_w * len(columns) + 20, top + plot_h + 46
    tallest = max([sum(values[i] for _, values in series) for i in range(len(columns))] or [0]) or 1
    step = _nice_step(tallest)
    body = []
    for tick in range(0, tallest + step, step):
        y = top + plot_h - plot_h * tick / tallest
        if y < top - 1:
            break
        body.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - 10}' y2='{y:.1f}' stroke='#e0e0e0'/>")
        body.append(_text(left - 6, y + 4, str(tick), "end", "#666"))
    every = -(-56 // col_w)  # a label every `every` columns: a YYYY-MM label needs about 50 px
    for i, name in enumerate(columns):
        x = left + i * col_w
        base = float(top + plot_h)
        for s, (label, values) in enumerate(series):
            n = values[i]
            if not n:
                continue
            h = plot_h * n / tallest
            base -= h
            body.append(f"<rect x='{x + 2}' y='{base:.1f}' width='{col_w - 4}' height='{h:.1f}' "
                        f"fill='{SERIES[s % len(SERIES)]}'><title>{escape(f'{name} {label}: {n}')}</title></rect>")
        if i % every == 0:
            body.append(_text(x + col_w / 2, top + plot_h + 16, name, "middle", "#444"))
    for s, (label, _) in enumerate(series):
        x = left + s * 140
        body.append(f"<rect x='{x}' y='{height - 16}' width='10' height='10' fill='{SERIES[s % len(SERIES)]}'/>")
        body.append(_text(x + 14, height - 7, label))
    return _svg(width, height, body, title)


def _label_width(labels: Iterable[str]) -> int:
    """Room for the longest row label at 12 px (about 6.6 px a character), within 120..460 px."""
    return int(min(460, max(120, 12 + 6.6 * max((len(label) for label in labels), default=0))))


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            return step
    return 10 ** len(str(top))

"""Replay at scale: wall time and max RSS of `obligo replay` on logs of growing length with about
the same number of tickets open at once (docs/INTERFACE.md "Replay at scale", issue 16).

Logs are generated (seeded) by bench/generate.py in blocks of BLOCK tickets, each block's arrivals
spread over generate.span_seconds(BLOCK) and the blocks laid end to end in time, so a log k times
longer has the same arrival rate, the same ticket lifetimes and so about the same tickets open at
once. Ticket and event ids get the block's number. One more log is written in reverse time order
(events of one instant keep their order, so a stable sort gives the sorted log back): its replay
goes through the out-of-core sort and must give byte-identical output (checked here).

Each replay runs in its own subprocess (`/usr/bin/time -v` when present, else
resource.getrusage(RUSAGE_CHILDREN) after waiting for it): figures, never assertions; the goals are
printed beside them.

    .venv/bin/python bench/scale.py                        # 150k, 600k, 2.4M, reversed 1M
    .venv/bin/python bench/scale.py --sizes 150000 --reversed 0 --dir /tmp/scale
    .venv/bin/python bench/scale.py --command report      # the same for obligo report (--csv)
"""

from __future__ import annotations

import argparse
import filecmp
import heapq
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen  # noqa: E402  (bench/generate.py, next to this file)

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 20_000  # tickets per block: ~156k events over ~56 days of arrivals
EVENTS_PER_BLOCK = 156_000  # about; used to turn a wanted event count into blocks
START = "2026-03-02T08:00:00Z"
STALE = 30 * 86_400  # a ticket left open is closed this long after its last event (see _block)


def _instant(at: str) -> int:
    return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())


def _closes(ev: dict, contract: str) -> bool:
    """Whether the ticket's last event `ev` closes it (an OL Care close without the customer's
    consent is refused by the contract: the ticket stays open)."""
    if ev["type"] != "closed":
        return False
    attrs = ev.get("attrs") or {}
    if contract != "olcare" or attrs.get("consent") is True:
        return True
    return "consent" not in attrs and attrs.get("by") == "customer"


def _block(k: int, seed: int) -> Iterator[tuple[int, int, str]]:
    """Block k's events as (instant, order, JSON line), sorted, ids and tickets renamed for the block.

    The generator leaves about a fifth of its tickets open for ever (never resolved, waiting on the
    customer, closed without consent): laid end to end, such blocks would hold ever more open
    tickets. Here they are closed STALE after their last event (with consent), as an ITSM tool
    closes stale tickets, so that every log has about the same number of tickets open at once."""
    begin = _instant(START) + k * gen.span_seconds(BLOCK)
    start = datetime.fromtimestamp(begin, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = gen.generate(BLOCK, seed + k, start)
    contract: dict[str, str] = {}
    last: dict[str, dict] = {}
    for ev in events:
        contract.setdefault(ev["ticket"], ev.get("contract", ""))
        last[ev["ticket"]] = ev
    rows = [(_instant(ev["at"]), n, ev) for n, ev in enumerate(events)]
    for ticket, ev in last.items():
        if not _closes(ev, contract[ticket]):
            t = _instant(ev["at"]) + STALE
            rows.append((t, len(rows), {"id": f"{ev['id']}-stale", "ticket": ticket, "type": "closed",
                                        "at": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        "attrs": {"consent": True, "by": "customer"}}))
    rows.sort(key=lambda row: (row[0], row[1]))
    for n, (t, _, ev) in enumerate(rows):
        ev["id"] = f"b{k:03d}-{ev['id']}"
        ev["ticket"] = f"b{k:03d}-{ev['ticket']}"
        yield t, n, json.dumps(ev, ensure_ascii=False)


def write_log(path: Path, events: int, seed: int = 1) -> int:
    """A log of about `events` events (whole blocks), sorted by instant (stable); returns its line count."""
    blocks = max(1, round(events / EVENTS_PER_BLOCK))
    pending: list[tuple[int, int, int, str]] = []
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for k in range(blocks):
            fresh = [(t, k, n, line) for t, n, line in _block(k, seed)]
            merged = list(heapq.merge(pending, fresh))
            # a later block starts at the next span: events before it can be written now
            edge = _instant(START) + (k + 1) * gen.span_seconds(BLOCK) if k + 1 < blocks else None
            cut = len(merged) if edge is None else next((i for i, e in enumerate(merged) if e[0] >= edge), len(merged))
            for item in merged[:cut]:
                out.write(item[3] + "\n")
            written += cut
            pending = merged[cut:]
    return written


def write_reversed(src: Path, dst: Path) -> None:
    """`src` (sorted by instant) in reverse time order; the events of one instant keep their order,
    so that a stable sort by instant gives `src` back line for line."""
    with open(src, encoding="utf-8") as fh:
        lines = fh.readlines()
    groups: list[list[str]] = []
    last = None
    for line in lines:
        at = _instant(re.search(r'"at": "([^"]+)"', line).group(1))  # type: ignore[union-attr]
        if at != last:
            groups.append([])
            last = at
        groups[-1].append(line)
    del lines
    with open(dst, "w", encoding="utf-8") as out:
        for group in reversed(groups):
            out.writelines(group)


def replay(log: Path, out: Path, obligo: list[str], extra: list[str], command: str = "replay") -> tuple[float, float]:
    """(wall seconds, max RSS in MB) of one `obligo replay` of `log` into `out` (`obligo report`:
    its cycle CSV), in a subprocess."""
    target = ["--out", str(out)] if command == "replay" else ["--csv", str(out)]
    cmd = [*obligo, command, "--contracts", str(ROOT / "contracts"), str(log), *target, *extra]
    timer = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    began = time.perf_counter()
    if timer:
        done = subprocess.run([timer, "-v", *cmd], capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"replay failed ({done.returncode}):\n{done.stderr[-2000:]}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
        return wall, rss / 1024
    import resource

    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"replay failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="150000,600000,2400000", help="events per log (comma-separated)")
    parser.add_argument("--reversed", type=int, default=1_000_000, help="events of the reversed log (0: none)")
    parser.add_argument("--dir", help="where the logs go (default: a temporary directory, removed after)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and outputs")
    parser.add_argument("--obligo", default=str(ROOT / ".venv" / "bin" / "obligo"), help="the obligo command")
    parser.add_argument("--replay-args", default="", help="more arguments for obligo replay (e.g. '--retain 30')")
    parser.add_argument("--command", choices=("replay", "report"), default="replay",
                        help="what runs on each log: obligo replay, or obligo report (its CSV compared)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="obligo-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    obligo, extra = args.obligo.split(), args.replay_args.split()
    print(f"obligo {args.command} at scale: blocks of {BLOCK} tickets over {gen.span_seconds(BLOCK) // 86400} days each; "
          f"logs in {work}", flush=True)
    print(f"{'log':>22} {'events':>9} {'gen s':>6} {'wall s':>7} {'ev/s':>8} {'max RSS MB':>10}", flush=True)
    figures: dict[int, float] = {}
    try:
        for size in sizes:
            log = work / f"log-{size}.jsonl"
            began = time.perf_counter()
            n = write_log(log, size)
            made = time.perf_counter() - began
            wall, rss = replay(log, work / f"out-{size}.jsonl", obligo, extra, args.command)
            figures[size] = rss
            print(f"{'sorted ' + str(size):>22} {n:>9} {made:>6.1f} {wall:>7.1f} {n / wall:>8.0f} {rss:>10.1f}", flush=True)
            if not args.keep and size != args.reversed:
                (work / f"out-{size}.jsonl").unlink()
                log.unlink()
        if sizes:
            small, big = figures[min(sizes)], figures[max(sizes)]
            print(f"goal: max RSS at {max(sizes)} within 1.3x of {min(sizes)} and under 300 MB: "
                  f"{big / small:.2f}x, {big:.0f} MB -> {'met' if big / small <= 1.3 and big < 300 else 'NOT met'}")
        if args.reversed:
            log, back = work / f"log-{args.reversed}.jsonl", work / f"reversed-{args.reversed}.jsonl"
            began = time.perf_counter()
            n = write_log(log, args.reversed) if not log.exists() else sum(1 for _ in open(log, encoding="utf-8"))
            write_reversed(log, back)
            made = time.perf_counter() - began
            sorted_out, reversed_out = work / f"out-{args.reversed}.jsonl", work / f"out-reversed-{args.reversed}.jsonl"
            if not sorted_out.exists():
                replay(log, sorted_out, obligo, extra, args.command)
            wall, rss = replay(back, reversed_out, obligo, extra, args.command)
            same = filecmp.cmp(sorted_out, reversed_out, shallow=False)
            print(f"{'reversed ' + str(args.reversed):>22} {n:>9} {made:>6.1f} {wall:>7.1f} {n / wall:>8.0f} {rss:>10.1f}")
            print(f"goal: reversed log under 500 MB: {rss:.0f} MB -> {'met' if rss < 500 else 'NOT met'}; "
                  f"output identical to the sorted log's: {same}")
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

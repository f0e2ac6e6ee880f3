"""End-to-end audit of the UCI ServiceNow log: import + replay + report, wall time per stage and max RSS.

    python bench/bench_audit.py [--runs N] [--data DIR] [--no-cli] [--profile] [--explain TICKET]

Issue 14 "Measured": import + replay + report of the UCI incident log (141,712 rows, 24,918
incidents) with `examples/servicenow`, goal under 15 s and under 500 MB on the 2-core machine.
Goals are printed, never asserted. Two measurements, each repeated `--runs` times (min / median):

- stages: each run is a fresh Python process (so its max RSS, `resource.getrusage`, is its own)
  doing what `obligo report --contracts examples/servicenow --mapping servicenow INPUT --csv F --html F`
  does, one timer per stage: load contracts, import (engine.ingest.import_events), log (the
  importer's events checked as INTERFACE events and sorted, engine.replay.log.read_events, as the
  CLI does), replay +
  cycles + CSV (engine.reports.audit.run_audit), HTML (timelines, explanations and the page), and
  one `explain` of a breached ticket. A stage whose code is not there yet is printed as missing.
- cli: `obligo report ...` itself as a subprocess (interpreter start included), wall time and
  its max RSS (/usr/bin/time when present).

`--profile` runs the stages once under cProfile and prints where the time goes (top entries by
own time and by cumulative time). Without ../shared/data the benchmark says so and exits 0.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
UCI = Path("uci-incident-log") / "incident_event_log.csv.gz"
EXAMPLE = ROOT / "examples" / "servicenow"
GOAL_SECONDS, GOAL_MB = 15.0, 500.0


def _max_rss_mb() -> float:
    """This process's own peak resident set size: VmHWM on Linux (ru_maxrss would also count the
    parent's memory, shared with this process until its exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stages(data: Path, out_dir: Path, explain_ticket: str | None = None) -> dict[str, Any]:
    """One run of the pipeline in this process: {stage: seconds}, counts, missing stages, max RSS."""
    timings: dict[str, float] = {}
    missing: list[str] = []
    counts: dict[str, Any] = {}
    state: dict[str, Any] = {}

    def stage(name: str, body: Callable[[], None]) -> None:
        start = time.perf_counter()
        try:
            body()
        except (ImportError, AttributeError, TypeError, KeyError) as exc:  # code of a stage not there yet
            missing.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        timings[name] = time.perf_counter() - start

    def load() -> None:
        from engine.language.loader import load_contracts

        contracts, diags = load_contracts([str(EXAMPLE)])
        if not contracts:
            raise KeyError(f"no contract in {EXAMPLE}: {[d.render() for d in diags][:3]}")
        state["contracts"] = contracts

    def import_() -> None:
        from engine.ingest import import_events

        result = import_events("servicenow", [data / UCI])
        state["import"] = result
        counts.update(rows=result.rows, tickets=result.tickets, events=len(result.events),
                      import_rejects=len(result.rejects))

    def log() -> None:
        from engine.replay.log import read_events

        state["events"], state["rejects"] = read_events(state["import"].events)

    def replay() -> None:
        from engine.reports.audit import run_audit
        from engine.reports.csvout import CycleCsv

        with open(out_dir / "cycles.csv", "w", encoding="utf-8", newline="") as handle:
            writer = CycleCsv(handle)
            audit = run_audit(state["contracts"], state["events"], state["rejects"], writer.write)
            counts["csv_rows"] = writer.rows
        state["audit"] = audit
        counts.update(actions=audit.counts.actions, breaches=audit.counts.breaches, log_rejects=audit.counts.rejects)

    def report() -> None:
        from engine.reports import html
        from engine.reports.audit import timelines
        from engine.reports.explain import explain_tickets
        from engine.reports.provenance import provenance

        audit, contracts, events = state["audit"], state["contracts"], state["events"]
        chosen = html.choose_timelines(audit)
        entries, cycles = timelines(contracts, events, chosen, audit.end, audit.skipped_lines)
        explained = explain_tickets(contracts, [e for _, _, e, _ in events], chosen, until=audit.end)
        prov = provenance([str(p) for p in sorted(EXAMPLE.glob("*.yaml"))], [str(data / UCI)], "servicenow")
        page = html.render(audit, prov, html.build_timelines(entries, cycles, explained), None, [])
        (out_dir / "report.html").write_text(page, encoding="utf-8")
        counts["html_bytes"] = len(page.encode("utf-8"))
        counts["timelines"] = len(chosen)

    def explain_one() -> None:
        from engine.reports.explain import explain

        events = state["events"]
        ticket = explain_ticket or next((c.ticket for c in state["audit"].breached), None) or events[0][2].ticket
        found = explain(state["contracts"], [e for _, _, e, _ in events], ticket, until=state["audit"].end)
        counts["explained"] = f"{ticket} ({len(found.cycles)} cycles)"

    for name, body in (("load contracts", load), ("import", import_), ("log", log), ("replay+cycles+csv", replay),
                       ("html report", report), ("explain 1 ticket", explain_one)):
        stage(name, body)
    return {"stages": timings, "missing": missing, "counts": counts, "max_rss_mb": _max_rss_mb()}


def cli_run(data: Path, out_dir: Path) -> tuple[float, float, int]:
    """(wall seconds, child max RSS MB, exit status) of `obligo report` as a subprocess."""
    cmd = [sys.executable, "-m", "engine.cli.main", "report", "--contracts", str(EXAMPLE), "--mapping", "servicenow",
           str(data / UCI), "--csv", str(out_dir / "cli-cycles.csv"), "--html", str(out_dir / "cli-report.html")]
    # through /usr/bin/time when there is one: the rusage of a direct child counts this process's
    # memory too (shared until the child's exec); time's own image is a megabyte
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(out_dir / "cli-rss.txt")] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    proc = subprocess.Popen([*timer, *cmd], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and proc.stderr is not None:
        sys.stdout.write(proc.stderr.read().decode("utf-8", "replace")[-2000:])
    rss = usage.ru_maxrss / 1024
    if timer and proc.returncode == 0:
        rss = int((out_dir / "cli-rss.txt").read_text().split()[-1]) / 1024
    return wall, rss, proc.returncode


def _row(name: str, values: list[float], unit: str = "s") -> str:
    return f"  {name:<22} min {min(values):8.2f} {unit}  median {statistics.median(values):8.2f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (default ../shared/data)")
    parser.add_argument("--no-cli", action="store_true", help="skip the `obligo report` subprocess runs")
    parser.add_argument("--profile", action="store_true", help="one run under cProfile: where the time goes")
    parser.add_argument("--explain", metavar="TICKET", help="the ticket the explain stage explains (default: the first breached)")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # one stage run, JSON out (internal)
    args = parser.parse_args(argv)
    if not (args.data / UCI).exists():
        print(f"bench_audit: {args.data / UCI} is absent; nothing measured")
        return 0
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        if args.once:
            print(json.dumps(stages(args.data, out_dir, args.explain)))
            return 0
        if args.profile:
            return _profile(args.data, out_dir, args.explain)
        runs = []
        for _ in range(args.runs):
            cmd = [sys.executable, __file__, "--once", "--data", str(args.data)] + (
                ["--explain", args.explain] if args.explain else [])
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr[-3000:])
                return 1
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        first = runs[0]
        print(f"obligo audit benchmark: UCI incident log ({args.data / UCI}), examples/servicenow, {args.runs} run(s)")
        print("  " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in first["counts"].items()))
        print("stages (each run a fresh process):")
        names = list(first["stages"])
        for name in names:
            print(_row(name, [r["stages"][name] for r in runs]))
        pipeline = [sum(v for k, v in r["stages"].items() if k != "explain 1 ticket") for r in runs]
        print(_row("total (w/o explain)", pipeline))
        print(_row("max RSS", [r["max_rss_mb"] for r in runs], "MB"))
        for problem in first["missing"]:
            print(f"  missing: {problem}")
        best, rss = min(pipeline), max(r["max_rss_mb"] for r in runs)
        cli: list[tuple[float, float, int]] = []
        if not args.no_cli:
            cli = [cli_run(args.data, out_dir) for _ in range(args.runs)]
            print("obligo report --contracts examples/servicenow --mapping servicenow ... --csv --html (subprocess):")
            print(_row("wall", [c[0] for c in cli]) + f"  exit {sorted({c[2] for c in cli})}")
            print(_row("max RSS", [c[1] for c in cli], "MB"))
            best, rss = min(c[0] for c in cli), max(c[1] for c in cli)
        verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
        print(f"goals: < {GOAL_SECONDS:.0f} s {verdict(best < GOAL_SECONDS)} ({best:.1f} s), "
              f"< {GOAL_MB:.0f} MB {verdict(rss < GOAL_MB)} ({rss:.0f} MB)")
    return 0


def _profile(data: Path, out_dir: Path, ticket: str | None) -> int:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    result = stages(data, out_dir, ticket)
    profiler.disable()
    print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in result["stages"].items()))
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative")):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(key).print_stats(25)
        body = text.getvalue()
        print(f"--- top 25 by {title} ---")
        print(body[body.find("   ncalls"):].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())

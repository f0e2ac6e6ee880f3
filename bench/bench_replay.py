"""End-to-end `obligo replay` against evaluation alone, on the generated log and on the UCI log.

    python bench/bench_replay.py [--tickets N] [--seed S] [--log FILE] [--runs R] [--no-uci] [--data DIR]

Issue 16 "Measured": end-to-end throughput as a fraction of evaluation-only throughput on the
same log (goal >= 0.75), the generated ~156k-event log under 3.5 s and the UCI log under 3 s on
this 2-core machine. Prints figures, asserts nothing. Each figure is the min and the median of
`--runs` runs:

- cli: `obligo replay --contracts DIR LOG --out FILE` as a subprocess (interpreter start, imports,
  contract loading, reading, evaluation, writing), wall time and its max RSS (/usr/bin/time);
- start-up: the same command on an empty log (what every call pays before the first event), with
  the contract cache (engine.language.cache) warm, as every call after the first finds it, and
  with it off (`OBLIGO_CACHE=off`: the contracts checked and compiled again, as a first call does);
- evaluation only, in this process: the log's events parsed beforehand (`parse_event`), then
  `Engine.process` for each and the final `advance`, contracts compiled once; actions not written;
  without eviction, and again with the CLI's default retention (finished tickets evicted to disk).

The generated log is `bench/generate.py --tickets N --seed S` (20,000 tickets: 156,006 events,
the log the issue names) unless `--log` is given. The UCI log is imported once with `obligo import
--mapping servicenow` (not timed) and replayed under `examples/servicenow`; `obligo replay --mapping
servicenow INPUT` (import included) is timed too. Without ../shared/data the UCI part says so.

The calls run with a contract cache of their own (a temporary folder, warmed by a first call) and
without `PYTHONDONTWRITEBYTECODE`: an installed wheel's modules are byte-compiled by pip, and a
shell that sets it would make every call compile the engine's modules from source again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate, write_jsonl  # bench/ is on sys.path when run as a script

from engine import Engine
from engine.model.events import parse_event
from engine.runtime.engine import DEFAULT_RETENTION

ROOT = Path(__file__).resolve().parents[1]
OBLIGO = Path(sys.executable).with_name("obligo")
UCI = Path("uci-incident-log") / "incident_event_log.csv.gz"
GOAL_RATIO, GOAL_GENERATED_S, GOAL_UCI_S = 0.75, 3.5, 3.0


def run_cli(args: list[str], cache: bool = True) -> tuple[float, int]:
    """(wall seconds, max RSS in MB) of one `obligo` call; its output goes where `args` say. The
    RSS is /usr/bin/time's (the exec'd program's own): the child's rusage would count this
    process's memory, copied at the fork, before the exec. `cache`: the contract cache on (main()
    names its folder), or off."""
    timed = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not cache:
        env["OBLIGO_CACHE"] = "off"
    start = time.perf_counter()
    proc = subprocess.run([*timed, str(OBLIGO), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          env=env)
    wall = time.perf_counter() - start
    err = proc.stderr.decode()
    if proc.returncode != 0:
        raise SystemExit(f"obligo {' '.join(args)} failed:\n{err}")
    last = err.strip().splitlines()[-1] if err.strip() else ""
    return wall, int(last) // 1024 if timed and last.isdigit() else 0


def evaluation_only(contracts_dir: Path, log: Path, retention: int | None = None) -> tuple[float, int]:
    """(seconds, events) of the engine alone on the log's events, parsed beforehand; with `retention`
    (seconds), finished tickets are evicted as the CLI's default `--retain` does."""
    contracts = Engine.load([contracts_dir]).contracts
    events = []
    with log.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                events.append(parse_event(json.loads(line)))
    events.sort(key=lambda e: e.at)  # the log's order is time order already; stable for ties
    engine = Engine(contracts, None, retention)
    start = time.perf_counter()
    for event in events:
        try:
            engine.process(event)
        except Exception:  # noqa: BLE001 - a reject is the engine's answer, as in replay
            pass
    if events:
        engine.advance(events[-1].at)
    seconds = time.perf_counter() - start
    engine.close()
    return seconds, len(events)


def figures(label: str, values: list[float], unit: str = "s") -> str:
    return f"{label}: min {min(values):.2f} {unit}, median {statistics.median(values):.2f} {unit}"


def measure(name: str, contracts_dir: Path, log: Path, runs: int, tmp: Path, goal_s: float) -> None:
    events = sum(1 for line in log.open(encoding="utf-8") if line.strip())
    empty = tmp / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp / "out.jsonl"
    cli, rss, startup, uncached, evaluation, retained = [], [], [], [], [], []
    on_empty = ["replay", "--contracts", str(contracts_dir), str(empty), "--out", str(out)]
    run_cli(on_empty)  # the first call fills the contract cache
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits every figure alike
        wall, mb = run_cli(["replay", "--contracts", str(contracts_dir), str(log), "--out", str(out)])
        cli.append(wall)
        rss.append(mb)
        startup.append(run_cli(on_empty)[0])
        uncached.append(run_cli(on_empty, cache=False)[0])
        evaluation.append(evaluation_only(contracts_dir, log)[0])
        retained.append(evaluation_only(contracts_dir, log, DEFAULT_RETENTION)[0])
    print(f"{name}: {events:,} events, {log}")
    print(f"  {figures('cli end to end', cli)} ({events / min(cli):,.0f} events/s); max RSS {max(rss)} MB; "
          f"goal < {goal_s} s: {'met' if min(cli) < goal_s else 'NOT met'}")
    print(f"  {figures('start-up (empty log)', startup)}; with the contract cache off: "
          f"{figures('', uncached).removeprefix(': ')}")
    print(f"  {figures('evaluation only', evaluation)} ({events / min(evaluation):,.0f} events/s)")
    print(f"  {figures('evaluation only, the CLI default retention (30 days)', retained)}")
    ratios = [e / c for e, c in zip(evaluation, cli, strict=True)]
    print(f"  end to end / evaluation-only throughput: min {min(ratios):.2f}, median {statistics.median(ratios):.2f} "
          f"(goal >= {GOAL_RATIO}); without start-up: "
          f"{statistics.median(e / max(1e-9, c - s) for e, c, s in zip(evaluation, cli, startup, strict=True)):.2f}; "
          f"against the evaluation with retention: {statistics.median(r / c for r, c in zip(retained, cli, strict=True)):.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", type=Path, default=None, help="a JSONL event log instead of the generated one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-uci", action="store_true")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["OBLIGO_CACHE_DIR"] = str(tmp / "contract-cache")  # this run's own, not the user's
        log = args.log
        if log is None:
            log = tmp / "generated.jsonl"
            with log.open("w", encoding="utf-8") as handle:
                write_jsonl(generate(args.tickets, args.seed), handle)
        measure("generated", ROOT / "contracts", log, args.runs, tmp, GOAL_GENERATED_S)
        if args.no_uci:
            return 0
        source = args.data / UCI
        if not source.exists():
            print(f"UCI: {source} not found; skipped")
            return 0
        uci = tmp / "uci.jsonl"
        run_cli(["import", "--mapping", "servicenow", str(source), "--out", str(uci)])
        measure("UCI (imported events)", ROOT / "examples" / "servicenow", uci, args.runs, tmp, GOAL_UCI_S)
        with_import = [run_cli(["replay", "--contracts", str(ROOT / "examples" / "servicenow"), "--mapping", "servicenow",
                                str(source), "--out", str(tmp / "out.jsonl")])[0] for _ in range(args.runs)]
        print(f"  {figures('cli with the import (--mapping servicenow CSV.GZ)', with_import)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

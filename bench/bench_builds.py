"""The compiled build (OBLIGO_COMPILE=1, setup.py) against the pure one, in one run, on the same logs.

    python bench/bench_builds.py [--runs R] [--tickets N] [--seed S] [--compiled DIR] [--no-uci]

The compiled build is the checkout compiled in place under DIR/main (default build/compiled, what
`make compiled` makes; built here first when it is missing). For each log, the runs interleave the
two builds so that a busy moment of this shared machine hits both alike. Prints (never asserts), min
and median of R runs for each build and their ratio:

- end to end: `obligo replay --contracts DIR LOG --out FILE`, a subprocess (interpreter start,
  imports, contract loading, reading, evaluation, writing, eviction with the default retention);
- start-up: the same command on an empty log (the contract cache warm: engine.language.cache);
- evaluation only: a subprocess that parses the log first, then times `Engine.process` for each
  event and the final `advance` (no eviction, actions not written).

The outputs of the two builds are compared byte for byte. Logs: the generated one (`generate.py
--tickets N --seed S`, 156,006 events for the defaults) and the UCI log imported with `obligo import
--mapping servicenow`, replayed under examples/servicenow (skipped without ../shared/data).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate, write_jsonl  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
UCI = Path("uci-incident-log") / "incident_event_log.csv.gz"
GOAL_GENERATED_S, GOAL_UCI_S = 3.5, 3.0  # issue 16, end to end on this 2-core machine

EVALUATE = """
import json, sys, time
from engine.language.loader import load_contracts
from engine.model.events import parse_event
from engine.runtime.engine import Engine
import engine.runtime.engine as runtime
contracts, _ = load_contracts([sys.argv[1]])
events = [parse_event(json.loads(line)) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
events.sort(key=lambda e: e.at)
engine = Engine(contracts)
start = time.perf_counter()
for event in events:
    try:
        engine.process(event)
    except Exception:
        pass
if events:
    engine.advance(events[-1].at)
print(time.perf_counter() - start, runtime.__file__)
"""


def environment(compiled: Path | None, cache: Path) -> dict[str, str]:
    """The environment of a command of one build: the compiled tree first on PYTHONPATH, or nothing;
    the contract cache in `cache` (warmed by a first call, as every call after a user's first finds
    it); modules byte-compiled as an installed wheel's are (no PYTHONDONTWRITEBYTECODE)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if compiled is not None:
        env["PYTHONPATH"] = str(compiled)
    env["OBLIGO_CACHE_DIR"] = str(cache)
    return env


def wall(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode()}")
    return seconds


def evaluation(contracts: Path, log: Path, env: dict[str, str], compiled: bool) -> float:
    # run from the temporary folder: `python -c` puts its working directory before PYTHONPATH, and
    # the checkout's `engine` there would shadow the compiled tree
    done = subprocess.run([sys.executable, "-c", EVALUATE, str(contracts), str(log)], env=env, capture_output=True,
                          text=True, check=True, cwd=tempfile.gettempdir())
    seconds, module = done.stdout.split()
    if module.endswith(".so") != compiled:  # the build measured must be the build named
        raise SystemExit(f"expected the {'compiled' if compiled else 'pure'} build, ran {module}")
    return float(seconds)


def line(label: str, pure: list[float], compiled: list[float], goal: float | None = None) -> str:
    ratios = [p / c for p, c in zip(pure, compiled, strict=True)]
    text = (f"  {label}: pure min {min(pure):.2f} s, median {statistics.median(pure):.2f} s | compiled min "
            f"{min(compiled):.2f} s, median {statistics.median(compiled):.2f} s | pure / compiled: min "
            f"{min(ratios):.2f}, median {statistics.median(ratios):.2f}")
    if goal is not None:
        text += f" | goal < {goal} s: pure {'met' if min(pure) < goal else 'NOT met'}, compiled " \
                f"{'met' if min(compiled) < goal else 'NOT met'}"
    return text


def measure(name: str, contracts: Path, log: Path, runs: int, tree: Path, tmp: Path, goal: float) -> None:
    obligo = str(Path(sys.executable).with_name("obligo"))
    empty = tmp / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    builds = {"pure": (environment(None, tmp / "cache-pure"), False),
              "compiled": (environment(tree, tmp / "cache-compiled"), True)}
    figures: dict[str, dict[str, list[float]]] = {b: {"cli": [], "start": [], "eval": []} for b in builds}
    for env, _ in builds.values():  # fills each build's contract cache
        wall([obligo, "replay", "--contracts", str(contracts), str(empty), "--out", str(tmp / "empty-out.jsonl")], env)
    for _ in range(runs):
        for build, (env, is_compiled) in builds.items():
            out = tmp / f"out-{build}.jsonl"
            figures[build]["cli"].append(wall([obligo, "replay", "--contracts", str(contracts), str(log), "--out",
                                               str(out)], env))
            figures[build]["start"].append(wall([obligo, "replay", "--contracts", str(contracts), str(empty), "--out",
                                                 str(tmp / "empty-out.jsonl")], env))
            figures[build]["eval"].append(evaluation(contracts, log, env, is_compiled))
    events = sum(1 for text in log.open(encoding="utf-8") if text.strip())
    same = filecmp.cmp(tmp / "out-pure.jsonl", tmp / "out-compiled.jsonl", shallow=False)
    print(f"{name}: {events:,} events, {runs} runs each; outputs {'byte-identical' if same else 'DIFFER'}")
    pure, compiled = figures["pure"], figures["compiled"]
    print(line("end to end", pure["cli"], compiled["cli"], goal))
    print(line("start-up (empty log)", pure["start"], compiled["start"]))
    print(line("evaluation only", pure["eval"], compiled["eval"]))
    for build in builds:
        ratio = statistics.median(e / c for e, c in zip(figures[build]["eval"], figures[build]["cli"], strict=True))
        print(f"  {build}: end to end / evaluation-only throughput, median {ratio:.2f} (goal >= 0.75); "
              f"{events / min(figures[build]['cli']):,.0f} events/s end to end")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compiled", type=Path, default=ROOT / "build" / "compiled")
    parser.add_argument("--no-uci", action="store_true")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    tree = args.compiled.resolve() / "main"
    if not any((tree / "engine" / "runtime").glob("engine.*.so")):
        print(f"building the compiled tree in {args.compiled} (about a minute)", flush=True)
        subprocess.run([sys.executable, str(ROOT / "buildtools" / "compiled_tree.py"), str(args.compiled)], check=True,
                       stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "generated.jsonl"
        with log.open("w", encoding="utf-8") as handle:
            write_jsonl(generate(args.tickets, args.seed), handle)
        measure("generated", ROOT / "contracts", log, args.runs, tree, tmp, GOAL_GENERATED_S)
        source = args.data / UCI
        if args.no_uci or not source.exists():
            print("UCI: skipped" + ("" if args.no_uci else f" ({source} not found)"))
            return 0
        uci = tmp / "uci.jsonl"
        wall([str(Path(sys.executable).with_name("obligo")), "import", "--mapping", "servicenow", str(source), "--out",
              str(uci)], environment(None, tmp / "cache-pure"))
        measure("UCI (imported events)", ROOT / "examples" / "servicenow", uci, args.runs, tree, tmp, GOAL_UCI_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())

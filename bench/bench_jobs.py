"""`obligo replay --jobs 2` against `--jobs 1` on one log, end to end, and where the time goes.

Prints (never asserts), for R runs each, min and median wall time of:
- `obligo replay --jobs 1` (one process, streaming);
- `obligo replay --jobs 2` (a local Dask cluster of 2 workers started and closed by the command:
  with start-up);
- `obligo replay --scheduler ADDR --jobs 2` against a cluster of 2 workers started once by this
  script (without start-up: what an existing cluster gives);
and the ratios to one process, with the CPU seconds of each run (on a loaded machine the CPU
figures say more than the wall ones); the outputs are checked byte-identical. Then one run on the
running cluster broken into phases in this process (engine.replay.distributed): the partitioning
pass (made by the workers on a running cluster), the rounds on the workers (with each task's CPU
seconds), the merge, and the best wall time two free cores would give (pass + slowest task +
merge), which says what limits the speed-up.

    .venv/bin/python bench/generate.py --tickets 128500 --seed 7 --out /tmp/log-1m.jsonl
    .venv/bin/python bench/bench_jobs.py /tmp/log-1m.jsonl --runs 3

Needs the dask extra. The machine's cores are shared: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OBLIGO = [sys.executable, "-m", "engine.cli.main"]


def timed_replay(log: str, out: Path, *extra: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `obligo replay`: the CPU of the command and of the
    processes it started and waited for (a local cluster's workers; not a running cluster's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*OBLIGO, "replay", "--contracts", str(ROOT / "contracts"), log, "--out", str(out), *extra],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def phases(log: str, address: str) -> dict[str, float]:
    """One --jobs 2 replay on the running cluster, phase by phase, in this process."""
    import distributed

    from engine import Engine
    from engine.replay import distributed as dist

    engine = Engine.load([ROOT / "contracts"])
    with tempfile.TemporaryDirectory() as tmp, distributed.Client(address) as client, \
            open(Path(tmp) / "out.jsonl", "w", encoding="utf-8") as out:
        root = Path(tmp)
        recipes = dist.recipes_of(engine.contracts)
        t0 = time.perf_counter()
        with open(log, "rb") as lines:  # the workers' pass, a range of the file each, as on a running cluster
            file = dist.LogFile.of(lines)
            assert file is not None
            spool = dist._workers_pass(client, lines, file, root, 2, None)
        assert spool is not None, "the workers could not read the log"
        t1 = time.perf_counter()
        job = dist.Job(str(root), 2, spool.events, spool.ordered, spool.text, None, False, engine.retention, recipes,
                       tuple(spool.segments))
        output, refusals = dist._rounds(client, job, spool)
        t2 = time.perf_counter()
        dist._written(engine, spool, output, refusals, out, None)
        t3 = time.perf_counter()
    tasks = ", ".join(f"{r['cpu']:.2f}" for r in output.results)
    return {"partitioning pass (the workers, a range of the log each; the client joins)": t1 - t0,
            f"round(s) on the workers (last: {output.number}; its tasks' CPU seconds: {tasks})": t2 - t1,
            "merge and write (client)": t3 - t2,
            "on two free cores, at best (pass + slowest task + merge)": t1 - t0 + max(r["cpu"] for r in output.results)
            + t3 - t2}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log", help="a JSONL log (bench/generate.py)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import distributed

    lines = sum(1 for _ in open(args.log, "rb"))
    print(f"log: {args.log}, {lines:,} lines; {args.runs} run(s) each")
    with tempfile.TemporaryDirectory() as tmp, \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        out = Path(tmp)
        address = cluster.scheduler_address
        kinds = {"--jobs 1": ("--jobs", "1"), "--jobs 2 (with start-up)": ("--jobs", "2"),
                 "--jobs 2 on a running cluster": ("--scheduler", address, "--jobs", "2")}
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for run in range(args.runs):
            for n, (kind, extra) in enumerate(kinds.items()):
                wall, cpu = timed_replay(args.log, out / f"out-{n}.jsonl", *extra)
                times[kind].append(wall)
                print(f"  run {run + 1}: {kind}: {wall:.2f} s wall, {cpu:.2f} CPU s", flush=True)
        same = all(filecmp.cmp(out / "out-0.jsonl", out / f"out-{n}.jsonl", shallow=False) for n in (1, 2))
        one = statistics.median(times["--jobs 1"])
        for kind, values in times.items():
            median = statistics.median(values)
            print(f"{kind}: min {min(values):.2f} s, median {median:.2f} s, {lines / median:,.0f} lines/s, "
                  f"{one / median:.2f}x one process (median)")
        print(f"outputs byte-identical: {same}")
        for name, seconds in phases(args.log, address).items():
            print(f"phase: {name}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

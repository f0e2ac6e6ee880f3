"""Instructions executed by `obligo replay`, counted by Valgrind's callgrind: a before/after figure
that this shared, noisy machine cannot blur.

    python bench/instructions.py [--events N] [--log FILE] [--against REV] [--compiled]

Wall time here moves by 20 % and more between two runs of the same build (other tenants share the
two cores), so a change worth 2-5 % is invisible in seconds. The number of instructions a run
executes hardly moves: this bench counts them for `obligo replay --contracts contracts/ LOG --out
FILE` on the first N events (default 30,000) of the generated log (`generate.py --tickets 20000
--seed 1`, 156,006 events) or of `--log`, the contract cache warm, and prints the total, the
instructions per event and, for the compiled build, the parts of a run by the functions that do
them (start-up is the rest). `--against REV` counts a git revision too, in a temporary worktree
(compiled there with `--compiled`), both runs side by side, and prints after/before ratios.
The two outputs are compared byte for byte. Prints, never asserts; needs `valgrind` (Debian's
package); a run under callgrind takes about 50 times its normal time (about 2 minutes here).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generate import generate, write_jsonl  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
OBLIGO = Path(sys.executable).with_name("obligo")
# The parts of a run of the compiled build, by the mypyc function doing each (inclusive counts).
PARTS = (
    ("whole replay", "CPyDef_log___replay"),
    ("order pre-pass", "CPyDef_sort___blocks_in_time_order"),
    ("reading and checking lines", "CPyDef_lines___iter_blocks_gen_____mypyc_generator_helper__"),
    ("evaluation (Engine.process)", "CPyDef_engine___Engine___process"),
    ("writing actions", "CPyDef_log____Writer___flush"),
)
COLLECTED = re.compile(r"Collected\s*:\s*([0-9]+)")


def build_tree(rev: str, workdir: Path, compiled: bool) -> Path:
    """A worktree of `rev` under `workdir`, compiled in place with `compiled` (as `make compiled`)."""
    tree = workdir / "worktree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not compiled:
        return tree
    subprocess.run([sys.executable, "buildtools/compiled_tree.py", "build/compiled"], cwd=tree, check=True)
    return tree / "build" / "compiled" / "main"


def count(path: Path, log: Path, out: Path, cache: Path, profile: Path) -> int:
    """Instructions of one `obligo replay` with `path` first on PYTHONPATH (a warm-up call first)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # one hash seed for every run: string hashes decide dict probes and set orders, which move the
    # count by a percent or two between two runs of one build otherwise
    env.update(PYTHONPATH=str(path), OBLIGO_CACHE_DIR=str(cache), PYTHONHASHSEED="0")
    command = [str(OBLIGO), "replay", "--contracts", str(ROOT / "contracts"), str(log), "--out", str(out)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", *command], env=env,
                          check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in callgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def parts(profile: Path) -> dict[str, int]:
    """The inclusive instructions of PARTS' functions in a callgrind profile (empty for the pure build)."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(profile)], check=True, capture_output=True,
                          text=True).stdout
    found: dict[str, int] = {}
    for label, function in PARTS:
        match = re.search(r"^\s*([0-9,]+) .*:" + re.escape(function) + r" ", text, re.M)
        if match:
            found[label] = int(match.group(1).replace(",", ""))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=30_000, help="the first N lines of the log (default 30000)")
    parser.add_argument("--log", type=Path, help="a JSONL event log instead of the generated one")
    parser.add_argument("--against", metavar="REV", help="also count this git revision, and print the ratios")
    parser.add_argument("--compiled", action="store_true", help="the compiled build (build/compiled/main; "
                        "`make compiled` first) instead of the checkout")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind not found (Debian: apt-get install valgrind); nothing counted")
        return 0
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        source = args.log
        if source is None:
            source = tmp / "generated.jsonl"
            with source.open("w", encoding="utf-8") as handle:
                write_jsonl(generate(20_000, 1), handle)
        log = tmp / "log.jsonl"
        with source.open(encoding="utf-8") as src, log.open("w", encoding="utf-8") as dst:
            for n, line in enumerate(src):
                if n >= args.events:
                    break
                dst.write(line)
        events = sum(1 for line in log.open(encoding="utf-8") if line.strip())
        here = ROOT / "build" / "compiled" / "main" if args.compiled else ROOT
        if args.compiled and not any(here.glob("*.so")):
            raise SystemExit(f"no compiled build in {here}: run `make compiled` first")
        builds = {"checkout": here}
        try:
            if args.against:
                builds = {args.against: build_tree(args.against, tmp, args.compiled), **builds}
            jobs = {label: (path, tmp / f"out-{n}.jsonl", tmp / f"cache-{n}", tmp / f"callgrind-{n}.out")
                    for n, (label, path) in enumerate(builds.items())}
            with ThreadPoolExecutor(max_workers=2) as pool:  # both side by side: the counts do not mind
                totals = dict(zip(jobs, pool.map(lambda job: count(job[0], log, *job[1:]), jobs.values()),
                                  strict=True))
            print(f"obligo replay, {events:,} events ({source}, first {args.events:,} lines), "
                  f"{'compiled' if args.compiled else 'pure'} build; instructions (callgrind):")
            found = {label: parts(job[3]) for label, job in jobs.items()}
            for label, total in totals.items():
                print(f"  {label}: {total:,} in all, {total / events:,.0f} per event")
                for part, value in found[label].items():
                    print(f"    {part}: {value:,} ({value / total:.1%})")
                if "whole replay" in found[label]:
                    print(f"    start-up and the rest: {total - found[label]['whole replay']:,}")
            if args.against:
                before, after = totals[args.against], totals["checkout"]
                print(f"  checkout / {args.against}: {after / before:.3f} of the instructions")
                for part, value in found["checkout"].items():
                    if found[args.against].get(part):
                        print(f"    {part}: {value / found[args.against][part]:.3f}")
                outs = [job[1] for job in jobs.values()]
                print(f"  outputs identical: {filecmp.cmp(outs[0], outs[1], shallow=False)}")
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "worktree")],
                               check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())

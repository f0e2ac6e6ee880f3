"""What the static checks (engine/language/lint*.py) add to loading contracts.

    python bench/bench_lint.py [--runs R]

Every CLI call loads its contracts, and the static checks run on each load, so they must stay a
small part of it. Loads the seed contracts and the examples (`load_contracts`, parsing, schema,
semantic checks, static checks, compile) R times, and times the static checks alone on the same
expanded contracts, per contract. Prints min and median; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from engine.language.expand import expand
from engine.language.lint import lint_diagnostics
from engine.language.load import load_file
from engine.language.loader import contract_files, document_kind, load_contracts

REPO = Path(__file__).resolve().parent.parent
PATHS = [REPO / "contracts", *sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())]


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    docs = [doc for doc in (load_file(f)[0] for f in contract_files(PATHS)) if doc and document_kind(doc) == "contract"]
    expanded = [expand(doc)[0] for doc in docs]
    load = timed(lambda: load_contracts(PATHS), args.runs)
    lint = timed(lambda: [lint_diagnostics(e) for e in expanded], args.runs)
    print(f"{len(expanded)} contracts, {args.runs} runs (min / median)")
    print(f"load_contracts, static checks included: {load[0] * 1000:7.1f} / {load[1] * 1000:7.1f} ms")
    print(f"static checks alone:                    {lint[0] * 1000:7.1f} / {lint[1] * 1000:7.1f} ms"
          f"  ({lint[1] / load[1]:.0%} of the load, medians)")
    for exp in expanded:
        one = timed(lambda exp=exp: lint_diagnostics(exp), args.runs)
        print(f"  {exp.data['id']:<20} {one[0] * 1000:6.1f} / {one[1] * 1000:6.1f} ms")


if __name__ == "__main__":
    main()

"""Durable ingestion through the live store (engine.store, no HTTP) and its restart cost.

    python bench/bench_service.py [--tickets N] [--seed S] [--open-tickets N] [--single N] [--dir DIR]

Prints figures, asserts nothing (the issue's goals are printed beside them):

- in-memory replay of the generated log (`engine.replay.log.replay` into a StringIO): events/s,
  the ceiling the store is compared with;
- `Store.post` on a fresh database file (WAL, synchronous=FULL: every batch is one fsynced commit)
  in batches of 1 (the first `--single` events only: one fsync each), 100 and 1,000 events:
  events/s and p50 / p99 latency per batch (perf_counter); the final outbox is checked equal to
  the replay's actions;
- restart: a database holding `--open-tickets` open tickets (opened, clocks running, deadlines
  pending), closed and re-opened: time from `Store.open` to the first answered `post`, database
  bytes per open ticket; the peak memory (max RSS) of a fresh process that opens that database,
  posts one batch of 1,000 events to its tickets and the probe, against the same process that
  only loads the contracts.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate, only_contracts  # bench/ is on sys.path when run as a script

from engine import Engine, parse_instant
from engine.model.jsonio import dumps
from engine.replay.log import replay
from engine.store import Store

ROOT = Path(__file__).resolve().parents[1]
GOAL_EVENTS_PER_S, GOAL_RESTART_S = 20_000, 2.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fresh(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def ingest(contracts: dict, lines: list[str], size: int, path: Path, reference: list[str] | None) -> dict:
    store = Store.open(path, contracts)
    latencies = []
    start = time.perf_counter()
    for i in range(0, len(lines), size):
        t = time.perf_counter()
        result = store.post(lines[i:i + size])
        latencies.append(time.perf_counter() - t)
        assert not result.rejected, result.rejected[:3]
    elapsed = time.perf_counter() - start
    if reference is not None:
        store.advance(max(parse_instant(json.loads(line)["at"]) for line in lines))
        got = []
        after = 0
        while chunk := store.actions(after, 10_000):
            for _seq, text in chunk:
                action = json.loads(text)
                del action["seq"]
                got.append(dumps(action))
            after = chunk[-1][0]
        assert got == reference, "the store's outbox differs from obligo replay"
    store.close()
    return {"events": len(lines), "seconds": elapsed, "eps": len(lines) / elapsed,
            "p50_ms": pct(latencies, 0.5) * 1000, "p99_ms": pct(latencies, 0.99) * 1000}


def open_tickets_db(contracts: dict, n: int, path: Path) -> tuple[Path, str]:
    """A database with `n` open adobe tickets (response clocks running, deadlines pending)."""
    store = Store.open(path, contracts)
    base = parse_instant("2026-03-02T08:00:00Z")
    batch = []
    for i in range(n):
        at = base + i  # one a second: deadlines spread over the days after
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
        batch.append(json.dumps({"id": f"o{i}", "ticket": f"R-{i}", "at": stamp, "type": "opened", "contract": "adobe",
                                 "attrs": {"plan": "expert", "region": "emea", "severity": "P3", "channel": "web"}}))
        if len(batch) == 1000:
            store.post(batch)
            batch = []
    if batch:
        store.post(batch)
    store.close()
    last = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + n))
    probe = json.dumps({"id": "probe", "ticket": "R-0", "at": last, "type": "responded"})
    return path, probe


_RSS = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from engine import Engine
from engine.store import Store
contracts = Engine.load([{contracts!r}]).contracts
if {post!r}:
    store = Store.open({path!r}, contracts)
    base = {last!r}
    lines = [json.dumps({{"id": f"m{{i}}", "ticket": f"R-{{(i + 1) * 97 % {n}}}", "type": "responded",
                         "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base))}}) for i in range(1000)]
    result = store.post(lines)
    assert result.accepted == 1000, result
try:  # this process's own peak (VmHWM): ru_maxrss would count the bench's memory, shared until the exec
    print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def max_rss_kb(path: Path, last: int, n: int, post: bool) -> int:
    """Peak RSS (KiB, VmHWM) of a fresh process that loads the contracts and, with `post`, opens the store
    at `path` and posts 1,000 events to its open tickets."""
    code = _RSS.format(root=str(ROOT), contracts=str(ROOT / "contracts"), path=str(path), last=last, n=n, post=post)
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--open-tickets", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=1000, help="events posted one per batch")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (default: a temp dir)")
    args = parser.parse_args(argv)
    contracts = Engine.load([ROOT / "contracts"]).contracts
    lines = [json.dumps(e) for e in only_contracts(generate(args.tickets, args.seed), contracts)]

    out = io.StringIO()
    replay(Engine(contracts), lines, out)  # warm the calendars once, as a long-running service has
    t = time.perf_counter()
    out = io.StringIO()
    replay(Engine(contracts), lines, out)
    replay_s = time.perf_counter() - t
    reference = out.getvalue().splitlines()
    print(f"log: {len(lines)} events, {args.tickets} tickets (seed {args.seed}), {len(reference)} actions")
    print(f"in-memory replay: {len(lines) / replay_s:,.0f} events/s ({replay_s:.2f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        print("Store.post (WAL, synchronous=FULL, one commit per batch):")
        print(f"  {'batch':>6} {'events':>7} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}  vs replay")
        for size in (1, 100, 1000):
            part = lines[:args.single] if size == 1 else lines
            fig = ingest(contracts, part, size, fresh(directory, f"bench-{size}.db"), None if size == 1 else reference)
            print(f"  {size:>6} {fig['events']:>7} {fig['eps']:>10,.0f} {fig['p50_ms']:>8.2f} {fig['p99_ms']:>8.2f}"
                  f"  {fig['eps'] / (len(lines) / replay_s):.0%}")
        print(f"  goal: >= {GOAL_EVENTS_PER_S:,} events/s in batches of 1,000 (outbox checked equal to replay)")

        path, probe = open_tickets_db(contracts, args.open_tickets, fresh(directory, "bench-open.db"))
        size = sum(Path(str(path) + s).stat().st_size for s in ("", "-wal", "-shm") if Path(str(path) + s).exists())
        t = time.perf_counter()
        store = Store.open(path, contracts)
        result = store.post([probe])
        restart = time.perf_counter() - t
        assert result.accepted == 1, result
        open_now = store.metrics()["open_tickets"]
        store.close()
        last = parse_instant(json.loads(probe)["at"])
        rss, rss0 = (max_rss_kb(path, last, args.open_tickets, post) for post in (True, False))
        print(f"restart with {open_now:,} open tickets: open + first post {restart * 1000:.0f} ms "
              f"(goal < {GOAL_RESTART_S:.0f} s); database {size / 1e6:.1f} MB, {size / max(1, open_now):,.0f} "
              "bytes per open ticket")
        print(f"memory: a process holding the Store over {open_now:,} open tickets after posting 1,000 events: "
              f"max RSS {rss / 1024:.0f} MB ({rss0 / 1024:.0f} MB with only the contracts loaded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

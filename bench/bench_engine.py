"""Throughput, latency and memory of the Obligo engine on a generated load, and a durable_rules baseline.

    python bench/bench_engine.py [--tickets N] [--seed S] [--runs R] [--no-durable] [--contracts DIR]
    python bench/bench_engine.py --profile          # cProfile of one full evaluation instead

Prints one stable block of figures (no timed assertions; the targets are only reported):

- full evaluation: every event through `Engine.process` plus the final `advance`, best of
  `--runs` runs, a fresh Engine each run (contracts compiled once and shared, as in live use);
  events/s and actions/s;
- (the partitioned figure, `replay --jobs 2` on a Dask cluster against one process: bench/bench_jobs.py)
- latency: a separate pass on a fresh Engine timing each `process` call with perf_counter_ns;
  p50 / p99 / max in microseconds;
- memory: bytes retained per open ticket (method in `measure_memory`);
- durable_rules baseline: a minimal hand-written ruleset doing comparable per-event work on the
  same event stream (method in `durable_baseline`), events/s, and the ratio obligo / durable.

The generated events are moved out of the cyclic collector's reach once generated (`gc.freeze`,
for every figure and both engines): the benchmark holds all of them in memory only to replay
them, where a live stream holds one at a time, so a full collection should traverse what the
engine keeps, not the harness's input. The engine's own objects are collected as usual.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

from generate import generate, only_contracts, span_seconds  # bench/ is on sys.path when run as a script

from engine import ContractError, Engine

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = ROOT / "contracts"
EXPECTED = ("adobe", "microsoft-unified", "olcare", "opentext-corefax", "progr1")
TARGET_EVENTS_PER_S, TARGET_P99_US, TARGET_BYTES = 100_000, 1000.0, 2048


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict:
    """Compile the contracts once; a missing contract file (e.g. microsoft-unified) is skipped with a message."""
    engine = Engine.load([directory])
    for cid in EXPECTED:
        if cid not in engine.contracts:
            print(f"note: contract {cid!r} not found in {directory}; its tickets are skipped")
    return engine.contracts


# --- obligo ---------------------------------------------------------------------------------------
def full_evaluation(contracts: dict, events: list[dict]) -> tuple[float, int]:
    """(seconds, actions) of one run: every event, then the final advance to the last instant."""
    engine = Engine(contracts)
    process = engine.process
    actions = 0
    gc.collect()
    start = time.perf_counter()
    for ev in events:
        actions += len(process(ev))
    actions += len(engine.advance(events[-1]["at"]))
    return time.perf_counter() - start, actions


def latencies(contracts: dict, events: list[dict]) -> list[int]:
    """Nanoseconds spent in each `process` call, on a fresh Engine."""
    engine = Engine(contracts)
    process = engine.process
    clock = time.perf_counter_ns
    out = [0] * len(events)
    gc.collect()
    for i, ev in enumerate(events):
        t0 = clock()
        process(ev)
        out[i] = clock() - t0
    engine.advance(events[-1]["at"])
    return out


def percentile(sorted_values: list[int], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


def memory_workload(n_tickets: int, seed: int, contracts: dict) -> list[str]:
    """For `n_tickets` tickets: `opened` and up to two more events that do not end the ticket, as JSON lines."""
    events = only_contracts(generate(n_tickets, seed), contracts)
    taken: dict[str, int] = {}
    lines = []
    for ev in events:
        count = taken.get(ev["ticket"], 0)
        if count >= 3 or ev["type"] in ("resolved", "closed"):
            taken[ev["ticket"]] = 3  # stop at the first event that ends the ticket
            continue
        taken[ev["ticket"]] = count + 1
        lines.append(json.dumps(ev, ensure_ascii=False))
    return lines


def measure_memory(contracts: dict, lines: list[str]) -> dict:
    """Bytes retained by the engine's ticket states and deadline queue, per open ticket.

    Method (tracemalloc): a throw-away Engine first replays the same events so every shared,
    memoised structure (compiled contracts, business calendars per zone, holiday tables, caches)
    exists before measuring. Then, with tracemalloc on, a fresh Engine processes the events, each
    decoded from its JSON line inside the traced region (so the attribute strings a ticket keeps
    are charged to it, as they would be in live use); emitted actions are dropped. After a
    gc.collect(), traced memory minus the baseline taken just before is what the engine retains:
    `engine.tickets` (TicketState, attrs, clocks, timers, obligations, vars) and the deadline heap
    (including stale entries, which are invalidated lazily). The engine's set of seen event ids
    grows per event, not per ticket: it is measured separately by emptying it, and not counted.
    """
    warm = Engine(contracts)
    for line in lines:
        warm.process(json.loads(line))
    del warm
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    engine = Engine(contracts)
    for line in lines:
        engine.process(json.loads(line))
    gc.collect()
    with_ids = tracemalloc.get_traced_memory()[0] - base
    seen = getattr(engine, "_seen_ids", None)
    if isinstance(seen, set):
        engine._seen_ids = set()
        del seen
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    tickets = len(engine.tickets)
    open_tickets = sum(1 for state in engine.tickets.values() if not state.closed)
    queue = getattr(engine, "_queue", [])
    return {"tickets": tickets, "open": open_tickets, "events": len(lines), "retained": retained,
            "per_ticket": retained / max(1, tickets), "ids_per_event": (with_ids - retained) / max(1, len(lines)),
            "queue": len(queue)}


# --- durable_rules baseline -----------------------------------------------------------------------
# Response targets in seconds by (contract, severity) - counted as plain elapsed time (no business
# calendars); the baseline keeps one response clock per ticket.
BASELINE_TARGETS = {
    ("adobe", "P1"): 3600, ("adobe", "P2"): 7200, ("adobe", "P3"): 14400, ("adobe", "P4"): 86400,
    ("olcare", "P1"): 14400, ("olcare", "P2"): 14400, ("olcare", "P3"): 14400, ("olcare", "P4"): 14400,
    ("microsoft-unified", "1"): 3600, ("microsoft-unified", "A"): 3600, ("microsoft-unified", "B"): 7200,
    ("microsoft-unified", "C"): 14400,
    ("opentext-corefax", "critical"): 3600, ("opentext-corefax", "serious"): 7200, ("opentext-corefax", "normal"): 14400,
    ("progr1", "1"): 259200, ("progr1", "2"): 345600, ("progr1", "3"): 432000, ("progr1", "4"): 864000,
}
MAX_LIVE_SESSIONS = 1000  # durable_rules: the 1025th live session of a ruleset raises MemoryError


def durable_baseline(events: list[dict], runs: int) -> dict | None:
    """events/s of a minimal durable_rules ruleset doing comparable work; None if durable_rules is absent.

    One ruleset, one session per ticket (sid = ticket id). The rules keep a response clock in the
    session state: `opened` looks up the target and starts it, `info_requested` / `info_provided`
    pause and resume it, a severity `updated` re-targets it keeping the elapsed time, `responded`
    / `resolved` stop it (met or not), `closed` stops it and deletes the session; every event looks
    the target up again and flags a breach when its instant is past due (durable_rules timers run
    on the wall clock, so deadlines cannot fire in event time). The baseline does less than Obligo
    (24x7 arithmetic only, one clock, no warnings, obligations, escalation or audit reasons).
    durable_rules keeps at most 1024 live sessions per ruleset, so the stream is fed in windows of
    at most 1000 tickets (in arrival order, each window's events in time order) and every session
    still open at the end of a window is deleted. Each event's `at` is parsed in the timed loop, as
    Obligo's `process` does. The ruleset is taken off the host's background polling (see below).
    """
    try:
        from durable.lang import delete_state, get_host, m, post, ruleset, when_all
    except ImportError:
        return None

    counters = {"handled": 0, "breaches": 0, "met": 0, "errors": 0}
    targets = BASELINE_TARGETS

    def target(s) -> int:
        return targets.get((s.contract, s.severity), 14400)

    def check(c) -> None:  # the per-event target lookup and breach check
        counters["handled"] += 1
        s = c.s
        if s.status == "running" and not s.breached and c.m.t > s.start + target(s) + s.paused:
            s.breached = True
            counters["breaches"] += 1

    def guarded(fn):
        def run(c):
            try:
                fn(c)
            except Exception:  # durable_rules would swallow it into the session state
                counters["errors"] += 1
        run.__name__ = fn.__name__
        return run

    name = "obligo_baseline"
    with ruleset(name):
        @when_all(m.type == "opened")
        @guarded
        def opened(c):
            attrs = c.m.attrs
            s = c.s
            s.contract = c.m.contract
            s.severity = (attrs.severity if attrs else None) or ""  # assigning None deletes the key
            s.start, s.paused, s.status, s.breached = c.m.t, 0, "running", False
            check(c)

        @when_all((m.type == "responded") | (m.type == "resolved"))
        @guarded
        def goal(c):
            check(c)
            s = c.s
            if s.status in ("running", "paused"):
                if s.status == "running":
                    counters["met"] += c.m.t <= s.start + target(s) + s.paused
                s.status = "stopped"

        @when_all(m.type == "info_requested")
        @guarded
        def pause(c):
            check(c)
            if c.s.status == "running":
                c.s.status, c.s.paused_at = "paused", c.m.t

        @when_all(m.type == "info_provided")
        @guarded
        def resume(c):
            check(c)
            if c.s.status == "paused":
                c.s.status, c.s.paused = "running", c.s.paused + c.m.t - c.s.paused_at

        @when_all(m.type == "updated")
        @guarded
        def updated(c):
            attrs = c.m.attrs
            if attrs and attrs.severity:
                c.s.severity = attrs.severity  # elapsed time kept: start and paused stay
            check(c)

        @when_all(m.type == "closed")
        @guarded
        def closed(c):
            check(c)
            c.s.status = "stopped"
            c.delete_state()

        @when_all((m.type == "acknowledged") | (m.type == "escalation_requested") | (m.type == "reopened")
                  | (m.type == "reclassification_requested") | (m.type == "rca_requested")
                  | (m.type == "incident_declared"))
        @guarded
        def other(c):
            check(c)

    # durable_rules' host polls every ruleset from two background threads (wall-clock timers and
    # queued actions); that poll races with post() inside the C engine and segfaulted a 160k-event
    # run. This ruleset uses neither, so it is taken off the polling list (post() still finds it).
    host = get_host()
    polled = getattr(host, "_ruleset_list", None)
    if isinstance(polled, list):
        polled.remove(host.get_ruleset(name))

    windows: list[list[dict]] = []
    window_of: dict[str, int] = {}
    for ev in events:
        ticket = ev["ticket"]
        if ticket not in window_of:
            window_of[ticket] = len(window_of) // MAX_LIVE_SESSIONS
            if window_of[ticket] == len(windows):
                windows.append([])
        windows[window_of[ticket]].append(ev)

    def one_run() -> float:
        gc.collect()
        start = time.perf_counter()
        for window in windows:
            live: dict[str, bool] = {}
            for ev in window:
                msg = {"sid": ev["ticket"], "type": ev["type"], "t": int(datetime.fromisoformat(ev["at"]).timestamp())}
                if "contract" in ev:
                    msg["contract"] = ev["contract"]
                if "attrs" in ev:
                    msg["attrs"] = ev["attrs"]
                post(name, msg)
                live[ev["ticket"]] = ev["type"] != "closed"
            for ticket, still_open in live.items():
                if still_open:
                    delete_state(name, ticket)
        return time.perf_counter() - start

    seconds = []
    for _ in range(runs):
        counters.update(handled=0, breaches=0, met=0, errors=0)
        seconds.append(one_run())
    return {"seconds": seconds, "events": len(events), "windows": len(windows), **counters}


def profile(contracts: dict, events: list[dict], top: int = 25) -> int:
    """One warm-up run, then one full evaluation under cProfile; prints the top functions by own time."""
    import cProfile
    import pstats

    full_evaluation(contracts, events)
    profiler = cProfile.Profile()
    profiler.enable()
    full_evaluation(contracts, events)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return 0


def build_line() -> str:
    """Which engine the figures are for: the interpreter and where `engine` was imported from
    (the engine is pure Python; the compiled build was measured and removed, see the README)."""
    import platform

    import engine

    return (f"engine: pure Python, {platform.python_implementation()} {platform.python_version()}, "
            f"from {Path(engine.__file__).resolve().parent}")


# --- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20000, help="tickets in the workload (default 20000, ~160k events)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="full-evaluation runs, best kept (default 3)")
    parser.add_argument("--memory-tickets", type=int, default=10000, help="open tickets for the memory figure (default 10000)")
    parser.add_argument("--no-durable", action="store_true", help="skip the durable_rules baseline")
    parser.add_argument("--contracts", type=Path, default=CONTRACTS_DIR, help="contracts directory (default: the repo's)")
    parser.add_argument("--profile", action="store_true",
                        help="instead: one full evaluation under cProfile, print the top functions by own time")
    args = parser.parse_args(argv)
    wall = time.perf_counter()

    try:
        contracts = load_contracts(args.contracts)
    except ContractError as exc:
        print(f"bench: the contracts in {args.contracts} do not load:\n{exc}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    events = only_contracts(generate(args.tickets, args.seed), contracts)
    generated = time.perf_counter() - t0
    tickets = sum(1 for ev in events if ev["type"] == "opened")
    gc.collect()
    gc.freeze()  # the input, not engine state: see the module docstring
    print(f"workload: {tickets} tickets, {len(events)} events (seed {args.seed}, {span_seconds(args.tickets) // 86400} "
          f"days of arrivals, generated in {generated:.1f} s); contracts: {', '.join(sorted(contracts))}")

    print(build_line())
    if args.profile:
        return profile(contracts, events)

    runs = [full_evaluation(contracts, events) for _ in range(max(1, args.runs))]
    best, actions = min(runs)
    eps = len(events) / best
    lat = sorted(latencies(contracts, events))
    p50, p99 = percentile(lat, 50) / 1000, percentile(lat, 99) / 1000
    mem = measure_memory(contracts, memory_workload(args.memory_tickets, args.seed, contracts))

    print(f"obligo full evaluation: {eps:,.0f} events/s, p50 {p50:.1f} us, p99 {p99:.1f} us, "
          f"{mem['per_ticket']:,.0f} bytes/open ticket")
    print(f"  runs: {', '.join(f'{s:.2f} s' for s, _ in runs)} (best {best:.2f} s); {actions} actions -> "
          f"{actions / best:,.0f} actions/s")
    print(f"  latency pass: {len(lat)} process() calls, mean {statistics.fmean(lat) / 1000:.1f} us, "
          f"p90 {percentile(lat, 90) / 1000:.1f} us, p99.9 {percentile(lat, 99.9) / 1000:.1f} us, "
          f"max {lat[-1] / 1000:.0f} us")
    print(f"  memory: {mem['tickets']} tickets ({mem['open']} open) after {mem['events']} events: "
          f"{mem['retained'] / 1e6:.1f} MB retained "
          f"by tickets + deadline queue ({mem['queue']} heap entries); seen-id set {mem['ids_per_event']:.0f} "
          f"bytes/event on top")
    if eps >= TARGET_EVENTS_PER_S:
        throughput = "met in one process"
    else:
        throughput = "NOT met"
    targets = (f"targets: >= {TARGET_EVENTS_PER_S // 1000}k events/s {throughput}, "
               f"p99 < 1 ms {'met' if p99 < TARGET_P99_US else 'NOT met'}, "
               f"< 2 KB/open ticket {'met' if mem['per_ticket'] < TARGET_BYTES else 'NOT met'}")

    base = None if args.no_durable else durable_baseline(events, max(1, args.runs))
    if base is None:
        print("durable_rules baseline: skipped" + ("" if args.no_durable else " (durable-rules not installed)"))
    else:
        dbest = min(base["seconds"])
        deps = base["events"] / dbest
        print(f"durable_rules baseline: {deps:,.0f} events/s (best of {len(base['seconds'])}: "
              f"{', '.join(f'{s:.2f} s' for s in base['seconds'])}; one ruleset, session per ticket, "
              f"{base['windows']} window(s) of <= {MAX_LIVE_SESSIONS} tickets; {base['handled']} events handled, "
              f"{base['breaches']} breaches seen, {base['errors']} action errors)")
        print(f"ratio obligo/durable_rules: {eps / deps:.2f}x")
    print(targets)
    print(f"total bench time: {time.perf_counter() - wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

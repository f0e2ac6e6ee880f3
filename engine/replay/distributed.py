"""`obligo replay --jobs N` / `--scheduler ADDRESS`: the partitioned evaluation of
engine.replay.partition run as Dask tasks, on a local cluster of N worker processes or on an
existing cluster (docs/SCALE.md). Dask is an optional extra, imported only here, only when asked.

The log never passes through the scheduler:
1. The client reads the log once (`spool_log`): of each line only the instant and the ticket,
   found cheaply (engine.replay.sort.instant_of, `ticket_of`); it appends the raw line with its
   ordinal and line number to its partition's file in the spool directory, and the instants to
   one array file (8 bytes an event; plus a rank file when the log is not in time order). A line
   without an instant is certainly no event: the client rejects it itself.
   On an existing cluster (`--scheduler`) with a log file, the workers make this pass instead, each
   over a range of whole lines of the file (`spool_range`, one segment each: a pass serial on the
   client is what limits the speed-up); the client joins the segments (`joined`). A worker that does
   not see the client's file at its path (another size or time) leaves the pass to the client. With
   a local cluster the client makes it while the cluster starts.
2. One task per partition (`run_part`) reads its own file and the instants, reads and checks its
   lines as one process does (log.read_line: the same rejects), evaluates them
   (partition.run_partition), and writes its actions and trace records with their places, sorted,
   and its rejects, to files; it returns counts.
3. The client merges those files by place, streaming (heapq.merge), into the output.
The loops of these steps that run once per line or per action are engine.replay.spooled.
The rounds of partition's docstring are more tasks over the same partition files with another
instants file (refused events `SKIPPED`); the whole stream in one engine is one task reading every
partition file in stream order. A line refused while read moves time in the first round (the
client saw its instant), so it is refused like any other event: the second round skips it.

Contracts: compiled contracts do not pickle (closures, and a lock in each business calendar), so
the tasks carry each contract's source text, absolute file name and effective parameters
(`recipes_of`; the declared ones are given as overrides, which reproduces any `--param`) and
compile them on the worker, once per worker process (`_compiled`); a relative
`include:` is read from the worker's disk at the contract's path.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import io
import itertools
import logging
import marshal
import os
import pickle
import shutil
import socket
import stat
import tempfile
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from engine.language.load import load_text
from engine.language.loader import check_contract
from engine.language.model import CompiledContract
from engine.language.versions import contract_keys
from engine.model.diagnostics import errors_only
from engine.model.errors import ObligoError
from engine.model.jsonio import Text
from engine.replay.collector import collector_paused
from engine.replay.lines import Reject, ReplayStats, read_line
from engine.replay.partition import SKIPPED, PartitionRun, reached_times, run_alone, run_partition
from engine.replay.records import Segment
from engine.replay.spooled import (
    PartReader,
    Spool,
    frames,
    joined,
    line_starts,
    part_file,
    part_records,
    range_groups,
    read_array,
    spool_log,
    spool_segment,
    write_array,
    write_items,
)
from engine.runtime.engine import Engine

EXTRA = "pip install 'obligo[dask]'"
ALONE = -1  # the part number of the task that evaluates the whole stream in one engine



class ClusterError(ObligoError):
    """The cluster cannot run the replay: scheduler unreachable, no worker, spool directory or
    contracts not readable on a worker. A usage problem (exit 2), not a bug."""

    code = "cluster"


def dask_missing() -> bool:
    """Whether the optional Dask extra is not installed (then `--jobs` > 1 cannot run)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return True
    return False


# --- the client's pass over the log -----------------------------------------------------------------
# --- contracts on the workers -------------------------------------------------------------------------
Recipes = tuple[tuple[str, str, bytes], ...]  # (absolute file, source text, pickled effective parameters)


def recipes_of(contracts: dict[str, CompiledContract]) -> Recipes:
    """What a worker needs to compile the same contracts: each one's source and parameters."""
    out = []
    for contract in contracts.values():
        path = os.path.abspath(contract.file)
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ClusterError(f"{contract.file}: cannot read the contract to send it to the workers: {exc}") from None
        out.append((path, text, pickle.dumps(dict(contract.params), pickle.HIGHEST_PROTOCOL)))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _compiled(recipes: Recipes) -> dict[str, CompiledContract]:
    """The contracts of `recipes`, compiled once per worker process (a worker serves every round)."""
    contracts = []
    for path, text, params in recipes:
        doc, diags = load_text(text, path)
        compiled = None
        if doc is not None:  # the declared parameters at their effective values: the client's overrides
            declared = doc.data.get("parameters")
            effective = pickle.loads(params)  # noqa: S301 - the client's own bytes
            overrides = {name: effective[name] for name in declared if name in effective} if isinstance(
                declared, dict) else None
            compiled, diags = check_contract(doc, overrides)
        if compiled is None:
            shown = errors_only(diags) or diags
            why = shown[0].render() if shown else "no contract in the file"
            raise ClusterError(f"{path}: the contract does not compile on worker {socket.gethostname()}: {why}")
        contracts.append(compiled)
    return contract_keys(contracts)  # the client's keys: `id`, or `id@version` for an id with several


def _warm(recipes: Recipes) -> int:
    return len(_compiled(recipes))


# --- one partition, on a worker -----------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """Everything a partition task needs besides its part and round (small: no log data)."""

    root: str
    parts: int
    events: int
    ordered: bool
    text: bool
    until: int | None
    trace: bool
    retention: int | None  # the client engine's (eviction of finished tickets)
    recipes: Recipes
    segments: tuple[tuple[int, int], ...] = ((0, 0),)  # Spool.segments: the part files of each pass


def run_part(job: Job, part: int, round_: int) -> dict[str, Any]:
    """Evaluate partition `part` (ALONE: the whole stream in one engine) in round `round_`; write
    its results to `job.root` and return the counts (see the module docstring)."""
    root = Path(job.root)
    if not (root / "instants-1").is_file():
        raise ClusterError(f"the spool directory {root} is not visible on worker {socket.gethostname()}: "
                           "pass --spool DIR on a file system every worker shares")
    contracts = _compiled(job.recipes)
    start = time.process_time()
    with collector_paused():  # a batch: see engine.replay.collector
        result = _run_part(job, contracts, part, round_)
    result["cpu"] = time.process_time() - start  # for bench/bench_jobs.py: the work, whatever the machine's load
    return result


def _in_stream_order(job: Job, part: int) -> Iterator[tuple[int, int, bytes]]:
    """(index, line number, raw line) of the partition's lines (every line for ALONE), by index."""
    root = Path(job.root)
    parts = range(job.parts) if part == ALONE else [part]
    if job.ordered:  # index = ordinal: each partition's records are in order already
        return heapq.merge(*(part_records(root, job.segments, p) for p in parts))
    rank = read_array(root / "rank", job.events)
    return iter(sorted((rank[k], number, raw) for p in parts for k, number, raw in part_records(root, job.segments, p)))


def _run_part(job: Job, contracts: dict[str, CompiledContract], part: int, round_: int) -> dict[str, Any]:
    # the lone run skips nothing: it reads the first round's instants only for SKIPPED (none there)
    instants = read_array(Path(job.root) / f"instants-{1 if part == ALONE else round_}", job.events)
    reader = PartReader(instants, job.until, job.text)
    run = PartitionRun()
    mine = reader.events(_in_stream_order(job, part))
    if part == ALONE:
        run_alone(contracts, mine, job.until, job.trace, run, job.retention)
    else:
        run_partition(contracts, mine, reached_times(instants), job.until, job.trace, run, job.retention)
    rejects = reader.rejects
    if run.rejected:  # the engine's refusals: their line numbers and texts, read again (few, as a rule)
        for i, number, raw in _in_stream_order(job, part):
            if i in run.rejected:
                item = read_line(number, raw.decode("utf-8", "surrogatepass") if job.text else raw)
                assert item is not None and not isinstance(item, Reject)
                code, reason = run.rejected[i]  # the engine's own code (engine.model.events.REJECT_CODES)
                rejects.append(Reject(number, code, reason, item[3]))
    rejects.sort(key=lambda r: r.line)
    name = f"{round_}-{part}"
    counts = _write_actions(Path(job.root) / f"actions-{name}", run)
    write_items(Path(job.root) / f"traces-{name}", run.traces, run.trace_places, pickle.dumps)
    write_items(Path(job.root) / f"rejects-{name}", [r.to_json() + "\n" for r in rejects],
                 [(r.line,) for r in rejects], marshal.dumps)
    by_reject: dict[str, int] = {}
    for reject in rejects:
        by_reject[reject.code] = by_reject.get(reject.code, 0) + 1
    refused = array("q", sorted([*reader.refused, *run.rejected, *run.duplicates]))
    return {**counts, "rejects": len(rejects), "by_reject": by_reject, "duplicates": len(run.duplicates),
            "after_until": reader.after_until, "problems": run.problems, "looped": run.looped, "late": run.late,
            "refused": refused.tobytes(), "ids": _digests(run.own_ids)}


def _write_actions(path: Path, run: PartitionRun) -> dict[str, Any]:
    """The run's actions as JSON lines, by place, to `path`; and their counts for the summary."""
    by_action: dict[str, int] = {}
    by_contract: dict[tuple[str, str], int] = {}
    breaches: dict[tuple[str, str], int] = {}
    for action in run.actions:
        by_action[action.action] = by_action.get(action.action, 0) + 1
        key = (action.action, action.contract)
        by_contract[key] = by_contract.get(key, 0) + 1
        if action.action == "breach":
            clock = (action.contract, action.clock or "")
            breaches[clock] = breaches.get(clock, 0) + 1
    write_items(path, [a.to_json() + "\n" for a in run.actions], run.places, marshal.dumps)
    return {"actions": len(run.actions), "by_action": by_action, "by_contract": by_contract, "breaches": breaches}


def _digests(ids: set[str]) -> bytes:
    """64-bit digests of the ids (stable across processes, unlike hash()): the client checks that no
    id belongs to two partitions. A collision only costs a needless fallback to one engine."""
    blake = hashlib.blake2b
    return array("q", [int.from_bytes(blake(i.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little",
                                      signed=True) for i in ids]).tobytes()


# --- the client ---------------------------------------------------------------------------------------
def replay_distributed(engine: Engine, lines: Iterable[Text], out: IO[str], rejects_out: IO[str] | None,
                       until: int | None, jobs: int, scheduler: str | None, spool_dir: str | None) -> ReplayStats:
    """engine.replay.log.replay with `jobs` > 1 or a scheduler: the same output, rejects, decision
    log (to `engine.tracer`) and counts, evaluated on a Dask cluster (module docstring)."""
    recipes = recipes_of(engine.contracts)
    try:
        root = Path(tempfile.mkdtemp(prefix="obligo-replay-", dir=spool_dir))
    except OSError as exc:
        raise ClusterError(f"--spool {spool_dir}: {exc.strerror or exc}") from None
    try:
        with _connected(jobs, scheduler) as cluster:
            log = LogFile.of(lines) if cluster.running else None
            spool = None
            if log is not None and isinstance(lines, io.BufferedReader):
                spool = _workers_pass(cluster.client(), lines, log, root, cluster.parts, until)
            if spool is None:  # while a local cluster starts; or the workers cannot read the log
                spool = spool_log(lines, root, cluster.parts, until)
            client = cluster.client()
            job = Job(str(root), spool.parts, spool.events, spool.ordered, spool.text, until,
                      engine.tracer is not None, engine.retention, recipes, tuple(spool.segments))
            warm = [client.submit(_warm, recipes, workers=[w], pure=False) for w in _workers(client)]
            output, refusals = _rounds(client, job, spool)
            client.gather(warm)
            return _written(engine, spool, output, refusals, out, rejects_out)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class LogFile:
    """A log given as a file that workers may read themselves: its path, where the log starts in
    it, its size and modification time (a worker that sees another file at that path says so)."""

    path: str
    start: int
    size: int
    mtime_ns: int

    @staticmethod
    def of(lines: Iterable[Text]) -> LogFile | None:
        """The file `lines` reads, when it is a regular file opened in binary mode; else None."""
        if not isinstance(lines, io.BufferedReader) or not isinstance(lines.name, str):
            return None
        try:
            info = os.fstat(lines.fileno())
            start = lines.tell()
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return LogFile(os.path.abspath(lines.name), start, info.st_size, info.st_mtime_ns)


def spool_range(root: str, log: LogFile, number: int, start: int, end: int, parts: int,
                until: int | None) -> Segment | None:
    """A worker's pass over bytes start..end of the log file (segment `number`), or None when this
    worker does not see the client's file at its path."""
    if not Path(root).is_dir():
        raise ClusterError(f"the spool directory {root} is not visible on worker {socket.gethostname()}: "
                           "pass --spool DIR on a file system every worker shares")
    try:
        handle = open(log.path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError:
        return None
    with handle:
        info = os.fstat(handle.fileno())
        if info.st_size != log.size or info.st_mtime_ns != log.mtime_ns:
            return None
        with collector_paused():
            return spool_segment(range_groups(handle, start, end), Path(root), number, parts, until)


def _workers_pass(client: Any, handle: IO[bytes], log: LogFile, root: Path, parts: int,
                  until: int | None) -> Spool | None:
    """The pass over a log file on a running cluster: each worker spools a range of whole lines at
    once (`spool_range`), the client only joins them; None (and nothing left) when a worker cannot
    read the file, so that the client makes the pass itself. `handle`: the client's open file,
    where it cuts the ranges (left where the log starts)."""
    workers = _workers(client)
    cuts = line_starts(handle, log.start, log.size, len(workers))
    handle.seek(log.start)
    futures = [client.submit(spool_range, str(root), log, k, start, end, parts, until, pure=False,
                             workers=[workers[k % len(workers)]], allow_other_workers=True)
               for k, (start, end) in enumerate(itertools.pairwise(cuts))]
    segments = client.gather(futures)
    if any(segment is None for segment in segments) or not segments:
        for k in range(len(futures)):
            for name in [*(part_file(root, k, p).name for p in range(parts)), f"seg-{k}-ats", f"seg-{k}-moves"]:
                (root / name).unlink(missing_ok=True)
        return None
    return joined(root, parts, segments)


@dataclass
class _Round:
    """The results of one round: its number, the parts that ran, and what each returned."""

    number: int
    parts: list[int]
    results: list[dict[str, Any]]


def _rounds(client: Any, job: Job, spool: Spool) -> tuple[_Round, _Round]:
    """Run the rounds (partition's docstring): the round whose actions are the output, and the
    round whose rejects and counts are (the first, or the lone run)."""
    first = _run_round(client, job, 1, list(range(job.parts)))
    results = first.results
    if (_ids_shared([r["ids"] for r in results]) or any(r["looped"] or r["late"] for r in results)):
        alone = _run_round(client, job, 2, [ALONE])
        return alone, alone
    refused = sorted({i for r in results for i in array("q", r["refused"])})
    if not refused:
        return first, first
    instants = array("q", spool.instants)
    for i in refused:
        instants[i] = SKIPPED
    write_array(spool.root / "instants-2", instants)
    second = _run_round(client, job, 2, list(range(job.parts)))
    if any(r["looped"] or r["rejects"] or r["duplicates"] for r in second.results):  # not expected: be safe
        alone = _run_round(client, job, 3, [ALONE])
        return alone, alone
    return second, first


def _run_round(client: Any, job: Job, number: int, parts: list[int]) -> _Round:
    workers = _workers(client)
    futures = [client.submit(run_part, job, part, number, pure=False, workers=[workers[k % len(workers)]],
                             allow_other_workers=True) for k, part in enumerate(parts)]
    return _Round(number, parts, client.gather(futures))


def _ids_shared(digests: Sequence[bytes]) -> bool:
    every: set[int] = set()
    total = 0
    for data in digests:
        ids = array("q", data)
        total += len(ids)
        every.update(ids)
    return len(every) != total


def _workers(client: Any) -> list[str]:
    return sorted(client.scheduler_info()["workers"])


def _written(engine: Engine, spool: Spool, output: _Round, refusals: _Round, out: IO[str],
             rejects_out: IO[str] | None) -> ReplayStats:
    """Merge the result files by place into `out`, the trace into engine.tracer, the rejects by
    line into `rejects_out`; the counts into the stats."""
    root = spool.root
    out.writelines(item[-1] for item in heapq.merge(
        *(frames(root / f"actions-{output.number}-{p}", marshal.loads) for p in output.parts)))
    if engine.tracer is not None:
        for item in heapq.merge(*(frames(root / f"traces-{output.number}-{p}", pickle.loads) for p in output.parts)):
            engine.tracer.fired(**item[-1])
    for result in output.results:
        engine.problems.extend(result["problems"])
    stats = ReplayStats(lines=spool.lines)
    for result in output.results:
        stats.actions += result["actions"]
        for name in ("by_action", "by_contract", "breaches"):
            counts = getattr(stats, name)
            for key, n in sorted(result[name].items()):
                counts[key] = counts.get(key, 0) + n
    own = [(r.line, r.to_json() + "\n") for r in spool.rejects]
    rejected = heapq.merge(own, *(frames(root / f"rejects-{refusals.number}-{p}", marshal.loads) for p in refusals.parts))
    for item in rejected:
        if rejects_out is not None:
            rejects_out.write(item[-1])
    for reject in spool.rejects:
        stats.by_reject[reject.code] = stats.by_reject.get(reject.code, 0) + 1
    stats.rejects = len(spool.rejects)
    for result in refusals.results:
        stats.rejects += result["rejects"]
        stats.duplicates += result["duplicates"]
        stats.after_until += result["after_until"]
        for code, n in result["by_reject"].items():
            stats.by_reject[code] = stats.by_reject.get(code, 0) + n
    stats.events = spool.lines - stats.rejects - stats.duplicates - stats.after_until
    return stats


# --- the cluster --------------------------------------------------------------------------------------
class _Cluster:
    """A Dask client: to the scheduler at `scheduler`, or to a local cluster of `jobs` processes
    started in a thread while the client spools the log (`client()` waits for it; on an existing
    cluster the workers spool a log file themselves, each a range of it). The local
    workers log nothing: a task's error reaches the client, which says it in one line."""

    def __init__(self, jobs: int, scheduler: str | None, pool: ThreadPoolExecutor) -> None:
        import distributed

        self.local: Any = None
        self.running = scheduler is not None  # an existing cluster: its workers can make the pass
        if scheduler is not None:
            try:
                client = distributed.Client(scheduler, timeout=20, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            self.started: Future = Future()
            self.started.set_result(client)
            self.parts = jobs if jobs > 1 else max(1, sum(client.nthreads().values()))
        else:
            self.started = pool.submit(self._start_local, jobs)
            self.parts = jobs

    def _start_local(self, jobs: int) -> Any:
        import distributed

        # dashboard off; the scheduler's HTTP routes (health, metrics) on a free port of 127.0.0.1, not 8787
        self.local = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                                              dashboard_address=None, silence_logs=logging.CRITICAL,
                                              scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
        return distributed.Client(self.local, set_as_default=False)

    def client(self) -> Any:
        client = self.started.result()
        try:
            client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise ClusterError("the Dask cluster has no worker (start some with `dask worker ADDRESS`)") from None
        return client

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.started.result().close()
        if self.local is not None:
            self.local.close()


@contextlib.contextmanager
def _connected(jobs: int, scheduler: str | None) -> Iterator[_Cluster]:
    if dask_missing():
        raise ClusterError(f"--jobs {jobs} needs the optional Dask extra: {EXTRA}" if scheduler is None
                           else f"--scheduler needs the optional Dask extra: {EXTRA}")
    with ThreadPoolExecutor(1, thread_name_prefix="obligo-cluster") as pool:
        cluster = _Cluster(jobs, scheduler, pool)
        try:
            yield cluster
        finally:
            cluster.close()


__all__ = ["ClusterError", "Job", "Spool", "dask_missing", "recipes_of", "replay_distributed", "run_part", "spool_log"]

"""engine.replay.distributed: `obligo replay --jobs N` / `--scheduler` on Dask gives the bytes of one
process (actions, rejects, decision log, summary), whatever the workers' hash seeds, in every round
of engine.replay.partition (an event another partition refused; an id shared across partitions);
Dask is imported only when asked for, and its absence is one clear line.

One cluster serves the module: a `dask scheduler` and two `dask worker` processes started here on
127.0.0.1 (each worker with its own PYTHONHASHSEED), stopped at the end even on failure."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from runtime_fixtures.helpers import CONTRACTS, load_bench_generator

from engine import Engine
from engine.cli.main import main

distributed = pytest.importorskip("distributed")

from engine.replay import distributed as dist  # noqa: E402 - after the skip: the module needs no Dask, its tests do
from engine.replay.partition import partition_of  # noqa: E402

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler with two single-threaded workers, all subprocesses of this test."""
    tmp = tmp_path_factory.mktemp("dask")
    info = tmp / "scheduler.json"
    procs = []
    try:
        procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(info)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for seed in ("1", "2"):  # workers whose str hash() differ from each other and from this process
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(info), "--nthreads",
                                           "1", "--no-dashboard", "--host", "127.0.0.1"],
                                          env={**os.environ, "PYTHONHASHSEED": seed},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with distributed.Client(scheduler_file=str(info), timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            address = client.scheduler.address
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def stream():
    gen = load_bench_generator()
    return gen.only_contracts(gen.generate(300, 11), Engine.load([CONTRACTS]).contracts)


def write_log(path: Path, events: list, extra: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(e) for e in events]
    for at, line in sorted((extra or {}).items(), reverse=True):
        lines.insert(at, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replay(log: Path, tmp: Path, *extra: str) -> tuple[int, str, bytes, bytes, bytes]:
    """(exit code, summary, actions, rejects, trace) of `obligo replay` in this process."""
    tag = "-".join(extra).replace("/", "_").replace(":", "_")
    out, rej, trace = tmp / f"a{tag}.jsonl", tmp / f"r{tag}.jsonl", tmp / f"t{tag}.jsonl"
    err = io.StringIO()
    code = main(["replay", "--contracts", str(CONTRACTS), str(log), "--out", str(out), "--rejects", str(rej),
                 "--trace", str(trace), *extra], io.StringIO(), err)
    summary = err.getvalue()  # it names the output files, which differ between the runs compared
    for path, name in ((out, "ACTIONS"), (rej, "REJECTS"), (trace, "TRACE")):
        summary = summary.replace(str(path), name)
    return code, summary, out.read_bytes(), rej.read_bytes(), trace.read_bytes()


@pytest.fixture
def rounds(monkeypatch):
    """The rounds each distributed replay ran, as (round number, parts)."""
    seen: list[tuple[int, list[int]]] = []
    real = dist._run_round

    def spy(client, job, number, parts):
        seen.append((number, list(parts)))
        return real(client, job, number, parts)

    monkeypatch.setattr(dist, "_run_round", spy)
    return seen


@pytest.fixture
def passes(monkeypatch):
    """For each distributed replay, whether the workers made the pass over the log (True) or left
    it to the client (False); nothing for a local cluster, where the client makes it."""
    seen: list[bool] = []
    real = dist._workers_pass

    def spy(*args):
        spool = real(*args)
        seen.append(spool is not None)
        return spool

    monkeypatch.setattr(dist, "_workers_pass", spy)
    return seen


def test_generated_log_is_byte_identical_to_one_process(tmp_path, stream, scheduler, rounds, passes):
    log = write_log(tmp_path / "log.jsonl", stream)
    one = replay(log, tmp_path, "--jobs", "1")
    two = replay(log, tmp_path, "--scheduler", scheduler, "--jobs", "2")
    assert one == two
    assert rounds == [(1, [0, 1])]  # nothing refused: one round
    assert passes == [True]  # the workers read the log file, a range each
    code, summary, actions, _rejects, trace = two
    assert code == 0 and len(actions.splitlines()) > 1000 and trace


def test_refused_events_and_unreadable_lines_take_a_second_round(tmp_path, stream, scheduler, rounds, passes):
    """Duplicates, unknown tickets, bad JSON, bad instants, bad bytes, a line without a ticket:
    refused by their own partition (or by the client), skipped everywhere in round 2."""
    rng = random.Random(3)
    tickets = sorted({e["ticket"] for e in stream})
    extra: dict[int, str] = {}
    for k in range(30):
        i = rng.randrange(1, len(stream))
        at = stream[i]["at"]
        extra[i + k] = [json.dumps({**stream[i - 1], "at": at}),  # a duplicate id (same ticket)
                        json.dumps({"id": f"x{k}", "ticket": f"NOPE-{k}", "at": at, "type": "responded"}),
                        "{not json",
                        json.dumps({"id": f"y{k}", "ticket": rng.choice(tickets), "at": "yesterday", "type": "opened"}),
                        json.dumps({"id": f"z{k}", "at": at, "type": "responded"}),  # no ticket: nobody's
                        json.dumps({"id": f"w{k}", "ticket": rng.choice(tickets), "at": at, "type": "nonsense"}),
                        ][k % 6]
    log = write_log(tmp_path / "log.jsonl", stream, extra)
    with open(log, "ab") as handle:
        handle.write(b'{"id": "bad-\xff", "ticket": "T", "at": "2026-03-02T10:00:00Z", "type": "opened"}\n\n  \n')
    one = replay(log, tmp_path, "--jobs", "1")
    two = replay(log, tmp_path, "--scheduler", scheduler, "--jobs", "2")
    assert one == two
    assert [number for number, _ in rounds] == [1, 2]
    assert len(one[3].splitlines()) >= 25 and "duplicates" in one[1]
    assert passes == [True]  # rejects found in the second worker's range are numbered in the whole log


def test_workers_that_do_not_see_the_log_file_leave_the_pass_to_the_client(tmp_path, stream, scheduler, passes,
                                                                           monkeypatch):
    """A worker finding another file at the log's path (here: another modification time) makes
    no segment; the client makes the pass, with the same bytes, and leaves no segment file."""
    log = write_log(tmp_path / "log.jsonl", stream[:400], {100: "{not json"})
    real = dist.LogFile.of
    monkeypatch.setattr(dist.LogFile, "of", staticmethod(
        lambda lines: dataclasses.replace(real(lines), mtime_ns=1)))
    spool = tmp_path / "spool"
    spool.mkdir()
    one = replay(log, tmp_path, "--jobs", "1")
    assert replay(log, tmp_path, "--scheduler", scheduler, "--jobs", "2", "--spool", str(spool)) == one
    assert passes == [False] and list(spool.iterdir()) == []


def test_stdin_and_a_local_cluster_leave_the_pass_to_the_client():
    assert dist.LogFile.of(io.BytesIO(b"{}\n")) is None  # not a file the workers could open
    assert dist.LogFile.of([b"{}\n"]) is None


def test_an_id_shared_across_partitions_sends_the_stream_to_one_engine(tmp_path, stream, scheduler, rounds):
    first = stream[0]
    other = next(e for e in stream if partition_of(e["ticket"], 2) != partition_of(first["ticket"], 2))
    log = write_log(tmp_path / "log.jsonl", stream,
                    {stream.index(other) + 1: json.dumps({**other, "id": first["id"], "type": "rca_requested"})})
    one = replay(log, tmp_path, "--jobs", "1")
    two = replay(log, tmp_path, "--scheduler", scheduler, "--jobs", "2")
    assert one == two and "duplicates 1" in two[1]
    assert rounds == [(1, [0, 1]), (2, [dist.ALONE])]


def test_a_log_out_of_time_order_with_until(tmp_path, stream, scheduler, rounds, passes):
    """Lines shuffled (the stream order is then (instant, line), from a rank file), and --until:
    later events counted, not evaluated; three partitions on two workers."""
    lines = [json.dumps(e) for e in stream]
    random.Random(5).shuffle(lines)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    until = stream[len(stream) // 2]["at"]
    one = replay(log, tmp_path, "--jobs", "1", "--until", until)
    three = replay(log, tmp_path, "--scheduler", scheduler, "--jobs", "3", "--until", until)
    assert one == three and "after --until" in one[1]
    assert passes == [True]


def test_the_spool_directory_is_left_empty(tmp_path, stream, scheduler):
    spool = tmp_path / "spool"
    spool.mkdir()
    log = write_log(tmp_path / "log.jsonl", stream[:300])
    assert replay(log, tmp_path, "--scheduler", scheduler, "--spool", str(spool))[0] == 0
    assert list(spool.iterdir()) == []


def test_local_cluster_with_another_hash_seed_gives_the_same_bytes(tmp_path, stream):
    """`--jobs 2` starts (and closes) its own LocalCluster; this process and its workers hash str
    with PYTHONHASHSEED=7, the reference run with this test's own seed."""
    log = write_log(tmp_path / "log.jsonl", stream[:1500], {700: "{not json"})
    one = replay(log, tmp_path, "--jobs", "1")
    out, rej, trace = tmp_path / "a.jsonl", tmp_path / "r.jsonl", tmp_path / "t.jsonl"
    done = subprocess.run([sys.executable, "-m", "engine.cli.main", "replay", "--contracts", str(CONTRACTS), str(log),
                           "--out", str(out), "--rejects", str(rej), "--trace", str(trace), "--jobs", "2"],
                          env={**os.environ, "PYTHONHASHSEED": "7"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out.read_bytes(), rej.read_bytes(), trace.read_bytes()) == one[2:]
    assert done.stderr.startswith("obligo replay: events ")  # the summary only: no warning from Dask
    assert "distributed" not in done.stderr and "Warning" not in done.stderr


@pytest.mark.parametrize(("flags", "named"), [(["--jobs", "2"], "--jobs 2"),
                                              (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler")])
def test_without_the_dask_extra_one_line_and_exit_2(tmp_path, monkeypatch, flags, named):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    log = write_log(tmp_path / "log.jsonl", [])
    err = io.StringIO()
    code = main(["replay", "--contracts", str(CONTRACTS), str(log), *flags], io.StringIO(), err)
    assert code == 2
    assert err.getvalue() == f"obligo replay: {named} needs the optional Dask extra: pip install 'obligo[dask]'\n"


def test_a_plain_replay_does_not_import_dask(tmp_path, stream):
    log = write_log(tmp_path / "log.jsonl", stream[:50])
    code = ("import sys, io; from engine.cli.main import main; "
            f"main(['replay', '--contracts', {str(CONTRACTS)!r}, {str(log)!r}], io.StringIO(), io.StringIO()); "
            "print(sorted(m for m in ('dask', 'distributed', 'engine.replay.distributed') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_worker_that_cannot_see_the_spool_directory_says_so(tmp_path):
    job = dist.Job(str(tmp_path / "elsewhere"), 2, 0, True, False, None, False, None, ())
    with pytest.raises(dist.ClusterError, match="not visible on worker .*--spool DIR"):
        dist.run_part(job, 0, 1)
    log = dist.LogFile(str(tmp_path / "log.jsonl"), 0, 0, 0)
    with pytest.raises(dist.ClusterError, match="not visible on worker .*--spool DIR"):
        dist.spool_range(str(tmp_path / "elsewhere"), log, 0, 0, 0, 2, None)


def test_contracts_reach_the_workers_as_text_and_parameters():
    """Compiled contracts do not pickle; what the tasks carry compiles to the same contracts,
    `--param` overrides included."""
    from engine.language.loader import load_contracts

    contracts, _ = load_contracts([CONTRACTS], {"adobe": {"p1_silence": "3 hours"}})
    again = dist._compiled(dist.recipes_of(contracts))
    assert list(again) == list(contracts)
    assert again["adobe"].params == contracts["adobe"].params and again["adobe"].params["p1_silence"] == "3 hours"


def test_versions_of_one_contract_reach_the_workers_under_the_same_keys(tmp_path, scheduler):
    """Two versions of one id (docs/INTERFACE.md "Contract versions and what-if"): the workers
    compile both, keyed as the client keys them, and each ticket gets the version in force when it
    opened, as in one process."""
    from language.test_versions import two_versions

    from engine.language.loader import load_contracts

    folder = two_versions(tmp_path / "contracts")
    contracts, _ = load_contracts([folder])
    assert list(dist._compiled(dist.recipes_of(contracts))) == list(contracts)
    assert sorted(contracts) == ["minimal@1.0", "minimal@2.0"]
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    events = [{"id": f"o{i}", "ticket": f"T-{i}", "at": (start + timedelta(days=2 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "type": "opened", "contract": "minimal", "attrs": {"plan": "standard", "severity": "P2"}}
              for i in range(60)]  # every 2 days from December 2026 to March 2027: across 2.0's first day
    log = write_log(tmp_path / "log.jsonl", events)
    outputs = []
    for extra in (["--jobs", "1"], ["--scheduler", scheduler, "--jobs", "2"]):
        out = tmp_path / f"out{len(outputs)}.jsonl"
        assert main(["replay", "--contracts", str(folder), str(log), "--out", str(out), *extra],
                    io.StringIO(), io.StringIO()) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    versions = {json.loads(line)["version"] for line in outputs[0].splitlines()}
    assert versions == {"1.0", "2.0"}

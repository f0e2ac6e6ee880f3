"""The real server end to end: `obligo serve` as a process on 127.0.0.1 (free port, --tick off), a
generated log posted with `obligo post` in batches, advanced, read back through /actions: exactly
`obligo replay`'s actions (ids, fields, order). Then SIGKILL at random moments, restart on the same
file, re-post: nothing lost, nothing repeated."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from runtime_fixtures.helpers import load_bench_generator

from engine.cli.main import main
from engine.language.loader import load_contracts
from engine.replay.log import replay
from engine.runtime.engine import Engine

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, db: Path, token_file: Path, port: int | None = None):
        self.db, self.token_file, self.port = db, token_file, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "serve", "--contracts", str(CONTRACTS), "--db", str(self.db),
             "--port", str(self.port), "--token-file", str(self.token_file), "--tick", "off"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"obligo serve exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("obligo serve did not answer /health within 60 s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.stderr = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def contracts():
    loaded, diags = load_contracts([CONTRACTS])
    assert loaded, diags
    return loaded


@pytest.fixture(scope="module")
def log(tmp_path_factory, contracts):
    events = load_bench_generator().generate(200, seed=15)
    path = tmp_path_factory.mktemp("log") / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    out = io.StringIO()
    replay(Engine(contracts), path.read_bytes().splitlines(), out)
    expected = [json.loads(line) for line in out.getvalue().splitlines()]
    return path, events, expected


def token_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"e2e-token-123\n")
    os.close(fd)
    return path, {"Authorization": "Bearer e2e-token-123"}


def read_outbox(url: str, headers: dict[str, str]) -> list[dict]:
    records: list[dict] = []
    after = 0
    while True:
        text = httpx.get(f"{url}/actions", params={"after": after, "limit": 5000}, headers=headers, timeout=30).text
        page = [json.loads(line) for line in text.splitlines()]
        if not page:
            return records
        records += page
        after = page[-1]["seq"]


def without_seq(records: list[dict]) -> list[dict]:
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    return [{k: v for k, v in r.items() if k != "seq"} for r in records]


def test_posted_in_batches_equals_replay(tmp_path, log):
    path, events, expected = log
    tokens, headers = token_file(tmp_path)
    server = Server(tmp_path / "obligo.db", tokens)
    server.start()
    try:
        err = io.StringIO()
        code = main(["post", "--url", server.url, "--token-file", str(tokens), "--batch", "37",
                     "--until", events[-1]["at"], str(path)], io.StringIO(), err)
        assert code == 0, err.getvalue()
        assert f"accepted {len(events)}, duplicates 0, rejected 0" in err.getvalue()
        got = without_seq(read_outbox(server.url, headers))
        assert got == expected
        # tail reads the same outbox, resumable by seq
        out = io.StringIO()
        assert main(["tail", "--url", server.url, "--token-file", str(tokens), "--after", "10", "--once"], out,
                    io.StringIO()) == 0
        tailed = [json.loads(line) for line in out.getvalue().splitlines()]
        assert tailed[0]["seq"] == 11 and without_seq(read_outbox(server.url, headers))[10:] == [
            {k: v for k, v in r.items() if k != "seq"} for r in tailed]
        # posting the whole log again changes nothing
        err = io.StringIO()
        assert main(["post", "--url", server.url, "--token-file", str(tokens), "--batch", "500", str(path)],
                    io.StringIO(), err) == 0
        assert f"accepted 0, duplicates {len(events)}" in err.getvalue()
        assert without_seq(read_outbox(server.url, headers)) == expected
    finally:
        # uvicorn shuts down gracefully (the store closed), then ends by the signal it was sent
        assert server.stop() in (0, -signal.SIGTERM)
        assert "Traceback" not in server.stderr
    # a clean restart on the same file serves the same outbox
    server.start()
    try:
        assert without_seq(read_outbox(server.url, headers)) == expected
    finally:
        server.stop()


CRASH_KILLS = int(os.environ.get("OBLIGO_CRASH_KILLS", "5"))  # `make crash-test`: 20
CRASH_SEED = int(os.environ.get("OBLIGO_CRASH_SEED", "15"))
CRASH_TICKETS = int(os.environ.get("OBLIGO_CRASH_TICKETS", "300"))


def metric(url: str, headers: dict[str, str], name: str) -> float:
    for line in httpx.get(f"{url}/metrics", headers=headers, timeout=30).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


@pytest.mark.parametrize("kills", [CRASH_KILLS])
def test_sigkill_at_random_moments_loses_and_repeats_nothing(tmp_path, contracts, kills):
    """`kills` SIGKILLs of the real server at seeded random moments of random batches (and of the final
    advance); after each, a restart on the same file and every batch not answered 200 posted again, as
    it is. The outbox then equals `obligo replay` of the log: nothing lost, nothing repeated, seq
    1..n without gap, no action id twice; the accepted count equals the number of events."""
    started = time.monotonic()
    gen = load_bench_generator()
    events = gen.only_contracts(gen.generate(CRASH_TICKETS, seed=CRASH_SEED), contracts)
    lines = [json.dumps(e).encode() for e in events]
    out = io.StringIO()
    replay(Engine(contracts), lines, out)
    expected = [json.loads(line) for line in out.getvalue().splitlines()]

    rng = random.Random(CRASH_SEED)
    batches: list[bytes] = []
    at = 0
    while at < len(lines):
        size = rng.choice([1, rng.randint(2, 20), rng.randint(20, 150)])
        batches.append(b"\n".join(lines[at:at + size]) + b"\n")
        at += size
    requests = len(batches) + 1  # the batches, then the advance to the log's end
    assert kills <= requests
    doomed = set(rng.sample(range(requests), kills))  # the requests during which a kill is set off

    tokens, headers = token_file(tmp_path)
    server = Server(tmp_path / "obligo.db", tokens)
    killed = unanswered = 0
    server.start()
    try:
        index = 0
        while index < requests:
            killer = None
            if index in doomed:
                doomed.discard(index)
                killer = threading.Timer(rng.uniform(0.0, 0.04), server.kill)
                killer.start()
            try:
                if index < len(batches):
                    response = httpx.post(f"{server.url}/events", content=batches[index], headers=headers,
                                          timeout=30)
                else:
                    response = httpx.post(f"{server.url}/advance", json={"until": events[-1]["at"]},
                                          headers=headers, timeout=30)
                answered = response.status_code == 200
                assert answered or response.status_code in (502, 503, 504), response.text
            except httpx.TransportError:
                answered = False
            if killer is not None:
                killer.join()
                killed += 1
                server.start()
            if answered:
                index += 1
            else:  # posted again, as it is, to the restarted server
                unanswered += 1
        got = read_outbox(server.url, headers)
        seqs = [r["seq"] for r in got]
        assert seqs == list(range(1, len(got) + 1)), "seq not 1..n in order"
        assert len({r["id"] for r in got}) == len(got), "an action id twice in the outbox"
        assert without_seq(got) == expected
        assert metric(server.url, headers, "obligo_events_accepted_total") == len(events)
        assert metric(server.url, headers, "obligo_outbox_head_seq") == len(expected)
        duplicates = int(metric(server.url, headers, "obligo_events_duplicate_total"))
    finally:
        server.stop()
    assert killed == kills
    print(f"\ncrash test: {kills} SIGKILLs (seed {CRASH_SEED}), {len(events)} events of {CRASH_TICKETS} tickets in "
          f"{len(batches)} batches + 1 advance, {unanswered} requests unanswered and posted again "
          f"({duplicates} events found already committed), "
          f"{len(expected)} actions equal to replay, {time.monotonic() - started:.1f} s")

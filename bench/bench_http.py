"""Durable ingestion over HTTP: a real `obligo serve` process, posted to with httpx.

    python bench/bench_http.py [--tickets N] [--seed S] [--single N] [--dir DIR] [--no-store]

Prints figures, asserts nothing about them (a failed request or an outbox that differs from
`obligo replay` stops it: then the figures would mean nothing):

- in-memory replay of the generated log (the ceiling) and, in the same process, `Store.post` alone
  (no HTTP) in the same batch sizes, so that the cost of the HTTP layer reads as a ratio;
- for each batch size (1: the first `--single` events only, 100, 1,000): a fresh database, a fresh
  `obligo serve --tick off` on 127.0.0.1 (a free port), the log posted as JSON Lines with one
  keep-alive httpx client, one request at a time, each answered 200 only after its fsynced commit:
  events/s and p50 / p99 answer latency (client side, request sent to answer read); then one
  `/advance` to the end and the outbox read back through `/actions` and compared with the replay;
- the server's max RSS after posting (VmHWM of /proc/PID/status, Linux).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from generate import generate, only_contracts  # bench/ is on sys.path when run as a script

from engine import Engine
from engine.model.jsonio import dumps
from engine.replay.log import replay
from engine.store import Store

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-http-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def max_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Server:
    """`obligo serve` as a child process on a free port, stopped with SIGTERM."""

    def __init__(self, db: Path, token_file: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "serve", "--contracts", str(ROOT / "contracts"), "--db",
             str(db), "--port", str(self.port), "--token-file", str(token_file), "--tick", "off"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                assert self.proc.stderr is not None  # Popen(stderr=PIPE)
                raise SystemExit(f"obligo serve exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit("obligo serve did not answer /health within 60 s")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()


def check(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url.path}: {response.status_code} {response.text[:300]}")
    return response


def over_http(lines: list[str], size: int, db: Path, token_file: Path, reference: list[str] | None) -> dict:
    server = Server(db, token_file)
    try:
        bodies = ["".join(line + "\n" for line in lines[i:i + size]).encode() for i in range(0, len(lines), size)]
        latencies = []
        with httpx.Client(base_url=server.url, headers=HEADERS, timeout=120) as client:
            check(client.get("/metrics"))  # the connection open, the store warm
            start = time.perf_counter()
            for body in bodies:
                t = time.perf_counter()
                answer = check(client.post("/events", content=body)).json()
                latencies.append(time.perf_counter() - t)
                if answer["rejected"]:
                    raise SystemExit(f"rejected: {answer['rejected'][:3]}")
            elapsed = time.perf_counter() - start
            rss = max_rss_kb(server.proc.pid)
            if reference is not None:
                check(client.post("/advance", json={"until": json.loads(lines[-1])["at"]},
                                  headers={"Content-Type": "application/json"}))
                got: list[str] = []
                after = 0
                while page := client.get("/actions", params={"after": after, "limit": 10_000}).text.splitlines():
                    for text in page:
                        action = json.loads(text)
                        after = action.pop("seq")
                        got.append(dumps(action))
                if got != reference:
                    raise SystemExit("the outbox read over HTTP differs from obligo replay")
    finally:
        server.stop()
    return {"events": len(lines), "eps": len(lines) / elapsed, "p50_ms": pct(latencies, 0.5) * 1000,
            "p99_ms": pct(latencies, 0.99) * 1000, "rss_kb": rss}


def store_alone(contracts: dict, lines: list[str], size: int, db: Path) -> float:
    store = Store.open(db, contracts)
    start = time.perf_counter()
    for i in range(0, len(lines), size):
        store.post(lines[i:i + size])
    elapsed = time.perf_counter() - start
    store.close()
    return len(lines) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--single", type=int, default=1000, help="events posted one per request")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go (default: a temp dir)")
    parser.add_argument("--no-store", action="store_true", help="skip the Store-alone comparison")
    args = parser.parse_args(argv)
    contracts = Engine.load([ROOT / "contracts"]).contracts
    lines = [json.dumps(e) for e in only_contracts(generate(args.tickets, args.seed), contracts)]

    replay(Engine(contracts), lines, io.StringIO())  # warm the calendars once, as the server is after a while
    t = time.perf_counter()
    out = io.StringIO()
    replay(Engine(contracts), lines, out)
    replay_eps = len(lines) / (time.perf_counter() - t)
    reference = out.getvalue().splitlines()
    print(f"log: {len(lines)} events, {args.tickets} tickets (seed {args.seed}), {len(reference)} actions")
    print(f"in-memory replay: {replay_eps:,.0f} events/s")

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        token_file = directory / "bench-http.token"
        token_file.unlink(missing_ok=True)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, TOKEN.encode() + b"\n")
        os.close(fd)
        print("POST /events to obligo serve (127.0.0.1, one request at a time, 200 after the fsynced commit):")
        print(f"  {'batch':>6} {'events':>7} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'server RSS':>11}"
              f"  {'vs Store':>8}  {'vs replay':>9}")
        for size in (1, 100, 1000):
            part = lines[:args.single] if size == 1 else lines
            fig = over_http(part, size, fresh(directory, f"http-{size}.db"), token_file,
                            None if size == 1 else reference)
            alone = "" if args.no_store else \
                f"{fig['eps'] / store_alone(contracts, part, size, fresh(directory, f'store-{size}.db')):.0%}"
            rss = f"{fig['rss_kb'] / 1024:.0f} MB" if fig["rss_kb"] else "n/a"
            print(f"  {size:>6} {fig['events']:>7} {fig['eps']:>10,.0f} {fig['p50_ms']:>8.2f} {fig['p99_ms']:>8.2f}"
                  f" {rss:>11}  {alone:>8}  {fig['eps'] / replay_eps:>9.0%}")
        print("  vs Store: events/s over HTTP / Store.post alone in this process, same batches, same log; "
              "server RSS: VmHWM after posting")
    return 0


if __name__ == "__main__":
    sys.exit(main())

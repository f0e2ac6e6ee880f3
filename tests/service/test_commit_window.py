"""The real server killed in the window between its COMMIT of a batch and the client reading the 200:
the batch is sent over a raw socket whose answer is never read, the commit is seen in /metrics,
then SIGKILL. After a restart on the same file the client (which never got an answer) posts the same
batch again, as `obligo post` would: all duplicates, no new action. The rest of the log is then
posted and advanced; the outbox equals `obligo replay` of the whole log, seq 1..n, no id twice.
(A kill before the commit is what `test_serve_e2e.py::test_sigkill_...` lands on.)"""

from __future__ import annotations

import io
import json
import socket
import time

import httpx
from runtime_fixtures.helpers import load_bench_generator
from test_serve_e2e import CONTRACTS, Server, metric, read_outbox, token_file, without_seq

from engine.cli.main import main
from engine.language.loader import load_contracts
from engine.replay.log import replay
from engine.runtime.engine import Engine

TICKETS, SEED = 60, 23


def send_unread(url_port: int, body: bytes, headers: dict[str, str]) -> socket.socket:
    """POST /events over a raw socket and return it without reading a byte of the answer."""
    sock = socket.create_connection(("127.0.0.1", url_port), timeout=10)
    head = (f"POST /events HTTP/1.1\r\nHost: 127.0.0.1:{url_port}\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Type: application/x-ndjson\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    sock.sendall(head + body)
    return sock


def test_kill_after_commit_before_answer_read(tmp_path):
    started = time.monotonic()
    contracts, diags = load_contracts([CONTRACTS])
    assert contracts, diags
    gen = load_bench_generator()
    events = gen.only_contracts(gen.generate(TICKETS, seed=SEED), contracts)
    lines = [json.dumps(e).encode() for e in events]
    out = io.StringIO()
    replay(Engine(contracts), lines, out)
    expected = [json.loads(line) for line in out.getvalue().splitlines()]
    cut1, cut2 = len(lines) // 3, 2 * len(lines) // 3
    first, second, rest = lines[:cut1], lines[cut1:cut2], lines[cut2:]
    assert first and second and rest

    tokens, headers = token_file(tmp_path)
    server = Server(tmp_path / "obligo.db", tokens)
    server.start()
    sock = None
    try:
        answer = httpx.post(f"{server.url}/events", content=b"\n".join(first) + b"\n", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == len(first) and not answer.json()["rejected"]
        assert metric(server.url, headers, "obligo_events_accepted_total") == len(first)

        # the second batch: sent, its answer never read; SIGKILL as soon as its commit is visible
        sock = send_unread(server.port, b"\n".join(second) + b"\n", headers)
        deadline = time.monotonic() + 20
        while metric(server.url, headers, "obligo_events_accepted_total") < len(first) + len(second):
            assert time.monotonic() < deadline, "the second batch was not committed within 20 s"
            time.sleep(0.002)
        assert metric(server.url, headers, "obligo_events_accepted_total") == len(first) + len(second)
        head = int(metric(server.url, headers, "obligo_outbox_head_seq"))
        server.kill()
        try:  # for the report only: had the 200 reached the client's socket buffer (unread) before the kill?
            buffered = sock.recv(16, socket.MSG_PEEK | socket.MSG_DONTWAIT).startswith(b"HTTP/1.1 200")
        except OSError:
            buffered = False
        sock.close()  # the client never read its answer
        sock = None

        # restart on the same file; the client posts the unanswered batch again, as it is
        server.start()
        assert metric(server.url, headers, "obligo_events_accepted_total") == len(first) + len(second)
        assert int(metric(server.url, headers, "obligo_outbox_head_seq")) == head
        answer = httpx.post(f"{server.url}/events", content=b"\n".join(second) + b"\n", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"accepted": 0, "duplicates": len(second), "rejected": [], "head": head}
        assert int(metric(server.url, headers, "obligo_outbox_head_seq")) == head  # no new action
        assert metric(server.url, headers, "obligo_events_duplicate_total") == len(second)

        # the rest of the log, then the advance to its last instant, as `obligo post` does it
        rest_file = tmp_path / "rest.jsonl"
        rest_file.write_bytes(b"\n".join(rest) + b"\n")
        err = io.StringIO()
        code = main(["post", "--url", server.url, "--token-file", str(tokens), "--batch", "50",
                     "--until", events[-1]["at"], str(rest_file)], io.StringIO(), err)
        assert code == 0, err.getvalue()
        assert f"accepted {len(rest)}, duplicates 0, rejected 0" in err.getvalue()

        got = read_outbox(server.url, headers)
        assert len({r["id"] for r in got}) == len(got), "an action id twice in the outbox"
        assert without_seq(got) == expected  # also checks seq == 1..n
        assert metric(server.url, headers, "obligo_events_accepted_total") == len(events)
        assert metric(server.url, headers, "obligo_outbox_head_seq") == len(expected)
    finally:
        if sock is not None:
            sock.close()
        if server.proc is not None and server.proc.poll() is None:
            server.stop()
    print(f"\ncommit window: {len(events)} events ({len(second)} in the killed batch, head {head} at the kill, "
          f"answer {'already' if buffered else 'not'} in the client's socket buffer), "
          f"{len(expected)} actions equal to replay, {time.monotonic() - started:.1f} s")

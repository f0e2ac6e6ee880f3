"""The HTTP service (engine.service) through Starlette's TestClient over an in-memory store:
routes, auth, limits, rejects with line numbers, long poll, metrics, errors as data."""

from __future__ import annotations

import json
import threading
import time
import warnings
from pathlib import Path

import pytest
from service_fakes import FakeStore

with warnings.catch_warnings():  # starlette asks for httpx2 in its test client; httpx is what we ship
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine.language.loader import load_contracts
from engine.service import create_app

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def opened(eid: str, ticket: str, at: str = "2026-03-02T16:50:00Z", severity: str = "P2") -> str:
    return json.dumps({"id": eid, "ticket": ticket, "at": at, "type": "opened", "contract": "adobe",
                       "attrs": {"plan": "ultimate", "region": "emea", "severity": severity, "channel": "web"}})


@pytest.fixture(scope="module")
def contracts():
    loaded, diags = load_contracts([REPO / "contracts"])
    assert loaded, diags
    return loaded


@pytest.fixture
def service(contracts):
    store = FakeStore(contracts)
    app = create_app(lambda: store, TOKEN, max_body=64 * 1024, max_wait=5.0)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store
    assert store.closed


def test_health_needs_no_token(service):
    client, _ = service
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("route", ["/events", "/advance"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": TOKEN}])
def test_missing_or_wrong_token_is_401_before_the_body(service, route, headers):
    client, store = service
    read = []

    def body():
        read.append(True)
        yield opened("e1", "T1").encode()

    response = client.post(route, content=body(), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert store.head() == 0 and not store.engine.tickets


@pytest.mark.parametrize("route", ["/actions", "/metrics", "/tickets/T1"])
def test_get_routes_need_the_token(service, route):
    client, _ = service
    assert client.get(route).status_code == 401
    assert client.get(route, headers={"Authorization": "Bearer x"}).status_code == 401


@pytest.mark.parametrize("name", ["token", "access_token", "Token"])
def test_token_in_query_string_is_refused(service, name):
    client, _ = service
    response = client.get(f"/actions?{name}={TOKEN}")
    assert response.status_code == 400 and response.json()["code"] == "token-in-query"
    response = client.get(f"/actions?{name}={TOKEN}", headers=AUTH)  # even with the header
    assert response.status_code == 400


def test_oversized_body_is_413(service):
    client, store = service
    line = opened("e1", "T1").encode() + b"\n"
    response = client.post("/events", content=line * (64 * 1024 // len(line) + 1), headers=AUTH)
    assert response.status_code == 413 and response.json()["code"] == "too-large"
    assert store.head() == 0

    def chunks():  # no Content-Length: counted while reading
        for _ in range(64 * 1024 // len(line) + 1):
            yield line

    response = client.post("/events", content=chunks(), headers=AUTH)
    assert response.status_code == 413
    assert store.head() == 0 and not store.engine.tickets


def test_post_events_applies_valid_lines_and_rejects_bad_ones_with_line_numbers(service):
    client, _ = service
    body = "\n".join([opened("e1", "T1"), "{not json", opened("e2", "T2"), "",
                      json.dumps({"id": "e3", "ticket": "T3", "at": "yesterday", "type": "opened"}),
                      opened("e1", "T1")]) + "\n"
    response = client.post("/events", content=body.encode(), headers=AUTH)
    assert response.status_code == 200
    answer = response.json()
    assert answer["accepted"] == 2 and answer["duplicates"] == 1
    assert [(r["line"], r["code"]) for r in answer["rejected"]] == [(2, "invalid-json"), (5, "invalid-instant")]
    assert all(r["reason"] for r in answer["rejected"])
    assert answer["head"] > 0
    lines = client.get("/actions", headers=AUTH).text.splitlines()
    assert len(lines) == answer["head"]
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == list(range(1, answer["head"] + 1))
    assert {r["ticket"] for r in records} == {"T1", "T2"}
    assert all(r["id"] for r in records)


def test_actions_paging_and_parameters(service):
    client, _ = service
    client.post("/events", content="\n".join(opened(f"e{i}", f"T{i}") for i in range(5)), headers=AUTH)
    head = len(client.get("/actions", headers=AUTH).text.splitlines())
    assert head >= 5
    page = client.get("/actions?after=2&limit=2", headers=AUTH)
    assert [json.loads(line)["seq"] for line in page.text.splitlines()] == [3, 4]
    assert page.headers["content-type"].startswith("application/x-ndjson")
    assert page.headers["x-obligo-head"] == str(head)
    assert client.get(f"/actions?after={head}", headers=AUTH).text == ""
    for bad in ("after=-1", "after=x", "limit=0", "wait=-1", "wait=nan"):
        response = client.get(f"/actions?{bad}", headers=AUTH)
        assert response.status_code == 400 and response.json()["code"] == "bad-request", bad


def test_long_poll_returns_as_soon_as_a_commit_happens(service):
    client, _ = service
    result: dict = {}

    def poll():
        started = time.monotonic()
        result["response"] = client.get("/actions?after=0&wait=30", headers=AUTH)
        result["took"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.3)
    assert "response" not in result  # still waiting: nothing committed yet
    client.post("/events", content=opened("e1", "T1"), headers=AUTH)
    waiter.join(40)
    assert result["response"].status_code == 200
    assert result["response"].text.splitlines()
    assert result["took"] < 15  # woken by the commit, well before the 30 s wait (room for a loaded machine)


def test_long_poll_gives_up_after_wait(service):
    client, _ = service
    started = time.monotonic()
    response = client.get("/actions?after=0&wait=0.3", headers=AUTH)
    took = time.monotonic() - started
    assert response.status_code == 200 and response.text == ""
    assert 0.25 <= took < 10


def test_advance_fires_deadlines(service):
    client, _ = service
    client.post("/events", content=opened("e1", "T1", severity="P1"), headers=AUTH)
    before = int(client.get("/actions", headers=AUTH).headers["x-obligo-head"])
    response = client.post("/advance", json={"until": "2026-03-09T00:00:00Z"}, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"until": "2026-03-09T00:00:00Z", "head": response.json()["head"]}
    assert response.json()["head"] > before
    kinds = [json.loads(line)["action"] for line in client.get(f"/actions?after={before}", headers=AUTH).text.splitlines()]
    assert "breach" in kinds
    for body in (b"{", b"[]", b'{"until": "tomorrow"}', b'{"when": "2026-03-09T00:00:00Z"}'):
        response = client.post("/advance", content=body, headers=AUTH)
        assert response.status_code == 400 and "Traceback" not in response.text


def test_tickets(service):
    client, _ = service
    client.post("/events", content=opened("e1", "T/1"), headers=AUTH)
    assert client.get("/tickets/T/1", headers=AUTH).json()["ticket"] == "T/1"
    response = client.get("/tickets/nope", headers=AUTH)
    assert response.status_code == 404 and response.json()["code"] == "unknown-ticket"


def test_metrics_text(service):
    client, _ = service
    client.post("/events", content="\n".join([opened("e1", "T1"), "{", opened("e1", "T1")]), headers=AUTH)
    text = client.get("/metrics", headers=AUTH).text
    assert "obligo_events_accepted_total 1.0" in text
    assert "obligo_events_duplicate_total 1.0" in text
    assert "obligo_events_rejected_total 1.0" in text
    assert "obligo_open_tickets 1.0" in text
    assert "obligo_commit_seconds_count 1.0" in text
    assert "obligo_outbox_head_seq" in text and "obligo_actions_total" in text


def test_store_errors_are_503_with_their_code_and_no_traceback(service):
    client, store = service
    store.fail = "store-full"
    response = client.post("/events", content=opened("e1", "T1"), headers=AUTH)
    assert response.status_code == 503
    assert response.json() == {"code": "store-full", "reason": "the disk is full"}


def test_a_bug_is_500_without_traceback(service):
    client, store = service

    def broken(after, limit=1000):
        raise KeyError("boom")

    client.post("/events", content=opened("e1", "T1"), headers=AUTH)
    store.actions = broken
    response = client.get("/actions", headers=AUTH)
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "Traceback" not in response.text and "boom" not in response.text


def test_ticker_advances_with_the_wall_clock(contracts):
    store = FakeStore(contracts)
    calls = []
    now = 1772470200.0  # 2026-03-02T16:50:00Z

    posted = threading.Event()

    def clock():
        # the wall clock jumps a week only once the event is in: a tick before the POST (a loaded
        # machine) would leave the event behind the stream, refused as late, and no breach follows
        calls.append(1)
        return now + 7 * 86400 if posted.is_set() else now - 60

    app = create_app(lambda: store, TOKEN, tick=0.05, now=clock)
    with TestClient(app) as client:
        answer = client.post("/events", content=opened("e1", "T1", severity="P1"), headers=AUTH).json()
        assert answer["accepted"] == 1, answer
        posted.set()
        deadline = time.monotonic() + 30
        while not any(json.loads(r)["action"] == "breach" for _, r in list(store.outbox)) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert calls and any(json.loads(r)["action"] == "breach" for _, r in store.outbox)


def test_ticker_lag_keeps_the_stream_behind_the_wall_clock(contracts):
    store = FakeStore(contracts)
    now = 1772470200.0  # 2026-03-02T16:50:00Z
    app = create_app(lambda: store, TOKEN, tick=0.05, tick_lag=60, now=lambda: now)
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        while store.engine.now is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.engine.now == int(now) - 60
        # an event 30 s old at arrival is still in time
        answer = client.post("/events", content=opened("e1", "T1", at="2026-03-02T16:49:30Z"), headers=AUTH).json()
        assert answer["accepted"] == 1 and answer["rejected"] == []

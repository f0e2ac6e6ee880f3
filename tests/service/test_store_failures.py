"""The real store's failure modes through HTTP (engine.service over engine.store.Store, Starlette's
TestClient): a database that becomes read-only or full while the service runs is 503 with the store's
code and nothing half-written (the file's content is the same before and after the refused request);
once the cause is gone, the same request succeeds and the outbox equals `obligo replay`.

How the failures are simulated: the tests run as root, for whom `chmod 444` does not stop writes and a
read-only bind mount is not available, so the store's own connection is switched in the store's thread
(the one the service runs every call in): `PRAGMA query_only = 1` makes every write fail with
SQLITE_READONLY, exactly what a read-only file or filesystem gives; `PRAGMA max_page_count` just
above the current size makes a write fail with SQLITE_FULL, what a full disk gives. Foreign and
corrupt files at start are in test_cli_service.py."""

from __future__ import annotations

import io
import json
import sqlite3
import warnings
from pathlib import Path

import pytest
from runtime_fixtures.helpers import load_bench_generator

with warnings.catch_warnings():  # starlette asks for httpx2 in its test client; httpx is what we ship
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine.language.loader import load_contracts
from engine.replay.log import replay
from engine.runtime.engine import Engine
from engine.service import create_app
from engine.store import Store

REPO = Path(__file__).resolve().parents[2]
TOKEN = "failure-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def contracts():
    loaded, diags = load_contracts([REPO / "contracts"])
    assert loaded, diags
    return loaded


@pytest.fixture(scope="module")
def lines(contracts):
    gen = load_bench_generator()
    return [json.dumps(e) for e in gen.only_contracts(gen.generate(60, seed=7), contracts)]


def dump(db: Path) -> list[str]:
    """Everything the file holds (committed, WAL included), read by another connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def in_store_thread(app, sql: str) -> None:
    """Run `sql` on the store's connection, in the store's own thread (SQLite's rule)."""
    runner = app.state.runner
    runner._pool.submit(lambda: runner.store._db.execute(sql)).result()


def page_count(app) -> int:
    runner = app.state.runner
    return runner._pool.submit(lambda: runner.store._db.execute("PRAGMA page_count").fetchone()[0]).result()


FAILURES = {
    "store-readonly": (lambda app: "PRAGMA query_only = 1", "PRAGMA query_only = 0"),
    "store-full": (lambda app: f"PRAGMA max_page_count = {page_count(app)}", "PRAGMA max_page_count = 1073741823"),
}


@pytest.mark.parametrize("code", sorted(FAILURES))
def test_store_failure_is_503_with_its_code_and_nothing_half_written(tmp_path, contracts, lines, code):
    db = tmp_path / "obligo.db"
    app = create_app(lambda: Store.open(db, contracts), TOKEN)
    first, rest = lines[:40], lines[40:]
    last_at = json.loads(lines[-1])["at"]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/events", content="\n".join(first), headers=AUTH).status_code == 200
        head = int(client.get("/actions", headers=AUTH).headers["x-obligo-head"])
        before = dump(db)
        metrics_before = client.get("/metrics", headers=AUTH).text.split("# HELP obligo_commit_seconds")[0]
        fail, heal = FAILURES[code]
        in_store_thread(app, fail(app))

        for route, kwargs in (("/events", {"content": "\n".join(rest)}), ("/advance", {"json": {"until": last_at}})):
            response = client.post(route, headers=AUTH, **kwargs)
            assert response.status_code == 503, (route, response.text)
            answer = response.json()
            assert answer["code"] == code and answer["reason"], answer
            assert "Traceback" not in response.text and str(db.parent) in answer["reason"]

        # nothing half-written: the file holds what it held, the outbox and the counts are unchanged
        assert dump(db) == before
        assert client.get("/actions", headers=AUTH).headers["x-obligo-head"] == str(head)
        assert client.get("/metrics", headers=AUTH).text.split("# HELP obligo_commit_seconds")[0] == metrics_before
        assert client.get("/health").status_code == 200  # reads still served

        # the cause gone, the same requests succeed as if nothing had happened
        in_store_thread(app, heal)
        answer = client.post("/events", content="\n".join(rest), headers=AUTH).json()
        assert answer["accepted"] == len(rest) and answer["duplicates"] == 0 and answer["rejected"] == []
        assert client.post("/advance", json={"until": last_at}, headers=AUTH).status_code == 200
        got = [json.loads(line) for line in client.get("/actions?limit=10000", headers=AUTH).text.splitlines()]
    out = io.StringIO()
    replay(Engine(contracts), lines, out)
    assert [r["seq"] for r in got] == list(range(1, len(got) + 1))
    assert [{k: v for k, v in r.items() if k != "seq"} for r in got] == [json.loads(x) for x in out.getvalue().splitlines()]

"""The store's edges: foreign and corrupt files (refused, untouched), read-only and full databases
(a clear StoreError, nothing half-written), late events, duplicates, line rejects, ticket()."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from engine.model.events import parse_instant
from engine.store import APPLICATION_ID, Store, StoreError
from store.helpers import contracts, log, outbox

OPENED = {"id": "e1", "ticket": "T-1", "at": "2026-03-02T16:50:00Z", "type": "opened", "contract": "adobe",
          "attrs": {"plan": "ultimate", "region": "emea", "severity": "P2", "channel": "web"}}


def line(**fields) -> str:
    return json.dumps({**OPENED, **fields})


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "s.db", contracts())
    yield s
    s.close()


def test_create_sets_the_application_id_and_reopens(tmp_path):
    path = tmp_path / "s.db"
    Store.open(path, contracts()).close()
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    with Store.open(path, contracts()) as again:
        assert again.head() == 0
        assert again.metrics() == {"accepted": 0, "duplicates": 0, "rejected": 0, "open_tickets": 0,
                                   "actions": 0, "head": 0}
        assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert again._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


@pytest.mark.parametrize("content", [b"hello, not a database\n", b"SQLite format 3\x00" + b"\x00" * 10])
def test_a_foreign_file_is_refused_and_untouched(tmp_path, content):
    path = tmp_path / "other.db"
    path.write_bytes(content)
    with pytest.raises(StoreError) as err:
        Store.open(path, contracts())
    assert err.value.code in ("store-foreign", "store-corrupt")
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_another_sqlite_database_is_foreign_and_untouched(tmp_path):
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store.open(path, contracts())
    assert err.value.code == "store-foreign"
    assert "another application" in str(err.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_a_corrupt_store_is_refused_with_store_corrupt(tmp_path):
    path = tmp_path / "s.db"
    with Store.open(path, contracts()) as s:
        s.post(list(log(30, 1))[:100])
        s._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[page:] = b"\xa5" * (len(data) - page)  # every page but the header's
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as err:
        s = Store.open(path, contracts())
        s.post([line()])
    assert err.value.code == "store-corrupt"


def test_contracts_changed_incompatibly(tmp_path):
    path = tmp_path / "s.db"
    with Store.open(path, contracts()) as s:
        s.post([line()])
    others = {cid: c for cid, c in contracts().items() if cid != "adobe"}
    with pytest.raises(StoreError) as err:
        Store.open(path, others)
    assert err.value.code == "store-contracts"
    assert "'adobe'" in str(err.value)


def test_read_only_database_nothing_half_written(store):
    store.post([line()])
    head, metrics = store.head(), store.metrics()
    store._db.execute("PRAGMA query_only = 1")  # what a read-only file gives: SQLITE_READONLY on write
    with pytest.raises(StoreError) as err:
        store.post([line(id="e2", type="responded", at="2026-03-03T09:15:00Z", contract=None)])
    assert err.value.code == "store-readonly"
    store._db.execute("PRAGMA query_only = 0")
    assert (store.head(), store.metrics()) == (head, metrics)
    result = store.post([line(id="e2", type="responded", at="2026-03-03T09:15:00Z", contract=None)])
    assert result.accepted == 1 and result.head > head


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_read_only_file(tmp_path):
    path = tmp_path / "s.db"
    with Store.open(path, contracts()) as s:
        s.post([line()])
    os.chmod(path, 0o444)
    with pytest.raises(StoreError) as err:
        s = Store.open(path, contracts())
        s.post([line(id="e2", type="responded", at="2026-03-03T09:15:00Z", contract=None)])
    assert err.value.code == "store-readonly"


def test_full_database_nothing_half_written(store):
    lines = list(log(200, 2))
    store.post(lines[:50])
    head, metrics = store.head(), store.metrics()
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StoreError) as err:
        store.post(lines[50:])
    assert err.value.code == "store-full"
    assert (store.head(), store.metrics()) == (head, metrics)
    store._db.execute("PRAGMA max_page_count = 1073741823")
    assert store.post(lines[50:]).accepted == len(lines) - 50


def test_late_event_is_rejected_with_a_reason(store):
    store.post([line(), line(id="e2", ticket="T-2", at="2026-03-02T18:00:00Z")])
    result = store.post([line(id="e3", ticket="T-3", at="2026-03-02T17:00:00Z"),
                         line(id="e4", ticket="T-4", at="2026-03-02T18:00:00Z")])
    assert result.accepted == 1
    [reject] = result.rejected
    assert (reject.line, reject.code) == (1, "late-event")
    assert "earlier than the stream's current time 2026-03-02T18:00:00Z" in reject.reason
    assert store.now == parse_instant("2026-03-02T18:00:00Z")


def test_duplicates_and_line_rejects(store):
    first = store.post([line(), line(), "{not json", "", line(id="e2", ticket="T-2", type="responded",
                                                            contract=None)])
    assert (first.accepted, first.duplicates) == (1, 1)
    assert [(r.line, r.code) for r in first.rejected] == [(3, "invalid-json"), (5, "unknown-ticket")]
    again = store.post([line()])
    assert (again.accepted, again.duplicates, again.rejected, again.head) == (0, 1, [], first.head)
    assert store.metrics()["duplicates"] == 2
    assert store.metrics()["rejected"] == 2
    assert store.post([b"\xff\xfe\n"]).rejected[0].code == "invalid-encoding"


def test_ticket_view_and_advance(store):
    assert store.ticket("T-1") is None
    store.post([line()])
    view = store.ticket("T-1")
    assert view is not None
    assert view["attrs"]["plan"] == "ultimate" and view["contract"] == "adobe" and view["version"]
    response = view["clocks"]["response"]
    assert response["status"] == "running" and response["due"] == "2026-03-03T09:20:00Z"
    assert response["elapsed"] == 0 and response["paused"] == 0 and response["paused_now"] is False
    assert view["deadlines"] and all(d["at"] >= "2026-03-02T16:50:00Z" for d in view["deadlines"])
    assert view["closed"] is False and view["quarantined"] is None
    result = store.advance(parse_instant("2026-03-04T00:00:00Z"))
    kinds = [json.loads(text)["action"] for _, text in store.actions(0)]
    assert "breach" in kinds and result.head == len(kinds)
    after = store.ticket("T-1")
    assert after is not None and after["clocks"]["response"]["breached"] is True
    assert after["clocks"]["response"]["elapsed"] > 0
    assert store.metrics()["open_tickets"] == 1


def test_actions_paging_and_seq_first(store):
    lines = list(log(30, 3))
    store.post(lines)
    everything = outbox(store)
    page = store.actions(2, limit=3)
    assert [seq for seq, _ in page] == [3, 4, 5]
    assert all(text.startswith(f'{{"seq":{seq},"id":') for seq, text in page)
    assert len(everything) == store.head()
    assert store.actions(store.head()) == []


def test_closed_store_raises(tmp_path):
    s = Store.open(tmp_path / "s.db", contracts())
    s.close()
    with pytest.raises(StoreError) as err:
        s.post([line()])
    assert err.value.code == "store-closed"

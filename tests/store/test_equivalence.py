"""The store's promise: a generated log posted in any batching (with re-posts of batches already
posted, and restarts between batches), then advanced to the last event's instant, gives exactly the
actions of `obligo replay` on the same log: ids, fields, order."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.events import parse_instant
from engine.store import Store, StoreError
from store.helpers import contracts, log, outbox, reference


def last_instant(lines) -> int:
    return max(parse_instant(json.loads(line)["at"]) for line in lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_batches_reposts_and_restarts_equal_replay(tmp_path, seed):
    lines = log(300, seed)
    expected = reference(lines)
    rng = random.Random(seed)
    path = tmp_path / "live.db"
    store = Store.open(path, contracts())
    posted: list[list[str]] = []
    i = accepted = duplicates = 0
    while i < len(lines):
        batch = list(lines[i:i + rng.randint(1, 200)])
        result = store.post(batch)
        assert result.rejected == []
        assert result.accepted + result.duplicates == len(batch)
        accepted += result.accepted
        posted.append(batch)
        i += len(batch)
        if rng.random() < 0.25:  # a client that never got the answer posts an old batch again
            old = rng.choice(posted)
            again = store.post(old)
            assert (again.accepted, again.rejected, again.duplicates) == (0, [], len(old))
            duplicates += len(old)
        if rng.random() < 0.2:  # restart
            store.close()
            store = Store.open(path, contracts())
    head = store.advance(last_instant(lines)).head
    assert outbox(store) == expected
    assert head == len(expected) == store.head()
    metrics = store.metrics()
    assert metrics["accepted"] == accepted == len(lines)
    assert metrics["duplicates"] == duplicates
    assert metrics["actions"] == len(expected)
    store.close()


# each example is a few dozen fsynced commits: an eighth of the profile's count
@settings(max_examples=max(10, settings().max_examples // 8))
@given(cuts=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=30),
       restart=st.lists(st.booleans(), min_size=1, max_size=30))
def test_any_batch_split_equals_replay(tmp_path_factory, cuts, restart):
    lines = log(40, 7)
    expected = reference(lines)
    path = tmp_path_factory.mktemp("split") / "live.db"
    store = Store.open(path, contracts())
    i = k = 0
    while i < len(lines):
        n = cuts[k % len(cuts)]
        assert store.post(list(lines[i:i + n])).rejected == []
        if restart[k % len(restart)]:
            store.close()
            store = Store.open(path, contracts())
        i += n
        k += 1
    store.advance(last_instant(lines))
    assert outbox(store) == expected
    store.close()


def test_failed_batches_and_two_writers_leave_no_stale_cached_state(tmp_path, monkeypatch):
    """The store keeps recently used ticket states between calls; the database stays the truth: a
    batch that fails (store-full, rolled back) after changing cached tickets, another Store writing
    the same file, and a cache smaller than the tickets a batch touches change nothing."""
    import engine.store.sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "CACHE_TICKETS", 40)
    lines = log(300, 4)
    expected = reference(lines)
    path = tmp_path / "live.db"
    first, second = Store.open(path, contracts()), Store.open(path, contracts())
    rng = random.Random(4)
    i = failures = 0
    while i < len(lines):
        batch = list(lines[i:i + rng.randint(1, 120)])
        store = first if rng.random() < 0.6 else second
        if rng.random() < 0.3:  # the batch runs, then its commit fails: nothing of it may remain
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]
            store._db.execute(f"PRAGMA max_page_count = {pages}")
            try:
                store.post(batch)
            except StoreError as exc:
                assert exc.code == "store-full"
                failures += 1
            else:
                i += len(batch)
                continue
            finally:
                store._db.execute("PRAGMA max_page_count = 1073741823")
        result = store.post(batch)
        assert result.rejected == [] and result.accepted == len(batch)
        i += len(batch)
    assert failures > 0
    first.advance(last_instant(lines))
    assert outbox(first) == outbox(second) == expected
    first.close()
    second.close()

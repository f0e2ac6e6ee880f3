"""`engine.collector`: the cyclic garbage collector paused around batch work, and restored."""

from __future__ import annotations

import gc

import pytest

from engine.replay.collector import collector_paused


@pytest.fixture
def collector():
    """Whatever a test does to the collector, the next test gets it enabled and unfrozen."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_as_it_was_after(collector, enabled):
    (gc.enable if enabled else gc.disable)()
    with collector_paused():
        assert not gc.isenabled() and gc.get_freeze_count() > 0  # what was alive at entry is frozen
    assert gc.isenabled() is enabled and gc.get_freeze_count() == 0


def test_it_is_restored_when_the_work_raises(collector):
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_what_the_work_keeps_joins_the_oldest_generation_without_a_collection(collector):
    collections = gc.get_stats()[0]["collections"]
    with collector_paused():
        kept = [[n] for n in range(50_000)]  # tracked containers, far past the young threshold (700)
    assert gc.get_stats()[0]["collections"] == collections  # no young collection ran
    assert gc.get_count()[0] < 700
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert id(kept) in oldest and id(kept[-1]) in oldest


def test_a_host_freeze_is_left_alone(collector):
    gc.freeze()
    frozen = gc.get_freeze_count()
    with collector_paused():
        made = [[n] for n in range(1000)]
    # an unfreeze would leave 0; frozen objects may still die meanwhile (refcounting), so not `== frozen`
    assert frozen > 0 and gc.isenabled() and gc.get_freeze_count() > 0
    assert len(made) == 1000

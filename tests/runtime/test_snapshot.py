"""Engine snapshots are lossless: stop after any event, JSON round trip, restore, go on: the same
actions (ids included) as an engine that never stopped; and a snapshot that cannot be restored
is a SnapshotError with a code, never a KeyError."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_fixtures.helpers import AGENDA, CONTRACTS, ev, load, load_bench_generator, ts

from engine import Engine, EventError
from engine.model.errors import ObligoError
from engine.runtime.clocks import PAUSED
from engine.runtime.engine import SnapshotError
from engine.runtime.snapshot import FORMAT, VERSION


@pytest.fixture(scope="module")
def contracts():
    return Engine.load([CONTRACTS]).contracts


@pytest.fixture(scope="module")
def fresh_contracts():
    """The same contracts compiled again: a restore must not depend on the first engine's objects."""
    return Engine.load([CONTRACTS]).contracts


@pytest.fixture(scope="module")
def stream(contracts):
    gen = load_bench_generator()
    events = gen.only_contracts(gen.generate(300, 5), contracts)
    assert len(events) > 1000
    return events


def _feed(engine: Engine, events: list[dict], out: list[str], last: int | None) -> int | None:
    """Process `events` as `obligo replay` does (a rejected event is one line too); returns the
    instant of the last accepted event."""
    for event in events:
        try:
            out += [a.to_json() for a in engine.process(event)]
            last = engine.now
        except EventError as exc:
            out.append(f"reject {event['id']} {exc.code}")
    return last


def _finish(engine: Engine, out: list[str], last: int | None) -> list[str]:
    if last is not None:
        out += [a.to_json() for a in engine.advance(last)]
    return out


@pytest.fixture(scope="module")
def uninterrupted(contracts, stream):
    return _whole(contracts, stream)


def _whole(contracts, events):
    engine = Engine(contracts)
    out: list[str] = []
    return _finish(engine, out, _feed(engine, events, out, None))


def _split(contracts, restore_contracts, events, k):
    """The first k events, snapshot, JSON text, restore into a new engine, the rest, final advance."""
    first = Engine(contracts)
    out: list[str] = []
    last = _feed(first, events[:k], out, None)
    text = json.dumps(first.snapshot())
    second = Engine.restore(restore_contracts, json.loads(text))
    assert json.dumps(second.snapshot()) == text  # restored exactly: its own snapshot is the same text
    return _finish(second, out, _feed(second, events[k:], out, last))


def _first_k(contracts, events, holds) -> int:
    """The first k such that `holds(engine)` after the first k events."""
    engine = Engine(contracts)
    for k, event in enumerate(events, start=1):
        try:
            engine.process(event)
        except EventError:
            pass
        if holds(engine):
            return k
    raise AssertionError("the stream never reaches that state")


def _mid_pause(engine):
    return any(c.status == PAUSED for s in engine.tickets.values() for c in s.clocks.values())


def _after_breach_still_running(engine):
    clocks = [c for s in engine.tickets.values() for c in s.clocks.values()]
    return any(c.breached for c in clocks) and any(c.status == "running" and not c.breached for c in clocks)


def _pending_obligation(engine):
    return any(ob.due is not None for s in engine.tickets.values() for ob in (s.obligations or {}).values())


def _retargeted_segments(engine):
    return any(c.segments for s in engine.tickets.values() for c in s.clocks.values())


@pytest.mark.parametrize("where", [_mid_pause, _after_breach_still_running, _pending_obligation, _retargeted_segments])
def test_a_snapshot_in_a_given_state_goes_on_exactly(contracts, fresh_contracts, stream, uninterrupted, where):
    k = _first_k(contracts, stream, where)
    assert 0 < k < len(stream)
    assert _split(contracts, fresh_contracts, stream, k) == uninterrupted


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_a_snapshot_anywhere_in_the_stream_goes_on_exactly(contracts, fresh_contracts, stream, uninterrupted, fraction):
    assert _split(contracts, fresh_contracts, stream, round(fraction * len(stream))) == uninterrupted


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_any_k_gives_the_uninterrupted_actions(contracts, stream, uninterrupted, data):
    k = data.draw(st.integers(min_value=0, max_value=len(stream)), label="k")
    assert _split(contracts, contracts, stream, k) == uninterrupted


def test_the_snapshot_holds_every_part_of_the_state(contracts, stream):
    engine = Engine(contracts)
    _feed(engine, stream[: len(stream) // 2], [], None)
    snap = engine.snapshot()
    assert list(snap) == ["format", "version", "contracts", "now", "seq", "seen_ids", "quarantined", "problems",
                          "carry", "queue", "tickets"]
    assert (snap["format"], snap["version"]) == (FORMAT, VERSION)
    assert snap["now"] == engine.now and snap["seq"] == engine._seq
    assert snap["seen_ids"] == sorted(engine._seen_ids)
    assert [t["ticket"] for t in snap["tickets"]] == list(engine.tickets)
    assert snap["queue"] == [list(entry) for entry in engine._queue]
    assert snap["queue"][0] == list(min(engine._queue))  # the heap list as it is: its head first
    assert json.dumps(snap) == json.dumps(engine.snapshot())  # deterministic
    assert snap == copy.deepcopy(snap)


def test_restoring_without_a_contract_it_needs_is_a_coded_error(contracts, stream):
    engine = Engine(contracts)
    _feed(engine, stream[:200], [], None)
    snap = json.loads(json.dumps(engine.snapshot()))
    needed = sorted(snap["contracts"])
    missing = needed[0]
    with pytest.raises(SnapshotError) as info:
        Engine.restore({cid: c for cid, c in contracts.items() if cid != missing}, snap)
    assert isinstance(info.value, ObligoError)
    assert info.value.code == "snapshot-contract-missing"
    assert repr(missing) in str(info.value)


@pytest.mark.parametrize(("change", "code"), [
    (lambda s: s.update(version=VERSION + 1), "snapshot-version"),
    (lambda s: s.pop("version"), "snapshot-version"),
    (lambda s: s.update(format="something else"), "snapshot-format"),
    (lambda s: s["contracts"].update({next(iter(s["contracts"])): "0.0-other"}), "snapshot-contract-version"),
    (lambda s: s["tickets"][0].pop("clocks"), "snapshot-invalid"),
    (lambda s: s.pop("queue"), "snapshot-invalid"),
    (lambda s: s["tickets"][0].update(contract="not-listed"), "snapshot-invalid"),
])
def test_a_snapshot_that_cannot_be_restored_is_a_coded_error(contracts, stream, change, code):
    engine = Engine(contracts)
    _feed(engine, stream[:200], [], None)
    snap = json.loads(json.dumps(engine.snapshot()))
    change(snap)
    with pytest.raises(SnapshotError) as info:
        Engine.restore(contracts, snap)
    assert info.value.code == code


@pytest.mark.parametrize("data", [None, [], "snapshot", {}])
def test_what_is_not_a_snapshot_is_a_format_error(contracts, data):
    with pytest.raises(SnapshotError) as info:
        Engine.restore(contracts, data)
    assert info.value.code == "snapshot-format"


def test_an_empty_engine_round_trips(contracts):
    snap = json.loads(json.dumps(Engine(contracts).snapshot()))
    assert snap["tickets"] == [] and snap["queue"] == [] and snap["now"] is None and snap["contracts"] == {}
    assert Engine.restore({}, snap).snapshot() == snap


def test_a_quarantined_ticket_stays_quarantined_after_a_restore():
    engine = load(AGENDA)
    contracts = engine.contracts
    events = [ev("o1", "T1", "2026-03-02T10:00:00Z", "opened", contract="agenda", severity="S3", plan="basic",
                 region="any"),
              ev("o2", "T2", "2026-03-02T10:00:30Z", "opened", contract="agenda", severity="S3", plan="basic",
                 region="any"),
              ev("e2", "T1", "2026-03-02T10:01:00Z", "reclassification_requested", severity="S1"),
              ev("e3", "T1", "2026-03-02T10:02:00Z", "acknowledged"),
              ev("e4", "T2", "2026-03-02T10:03:00Z", "rca_requested")]
    whole = _whole(contracts, events)
    assert "reject e2 rule-loop" in whole and "reject e3 quarantined" in whole
    for k in range(len(events) + 1):
        assert _split(contracts, contracts, events, k) == whole
    first = Engine(contracts)
    _feed(first, events[:3], [], None)
    assert set(json.loads(json.dumps(first.snapshot()))["quarantined"]) == {"T1"}


# --- an evicting engine (retention: docs/INTERFACE.md "Replay at scale") ---------------------------
def _evicting(contracts, events, k, retention=3 * 86_400):
    """Uninterrupted and split (snapshot after k events) runs of an engine with a retention."""
    whole = Engine(contracts, retention=retention)
    out: list[str] = []
    expected = _finish(whole, out, _feed(whole, events, out, None))
    first = Engine(contracts, retention=retention)
    split: list[str] = []
    last = _feed(first, events[:k], split, None)
    text = json.dumps(first.snapshot())
    second = Engine.restore(contracts, json.loads(text))
    assert json.dumps(second.snapshot()) == text
    assert second.retention == retention
    return expected, _finish(second, split, _feed(second, events[k:], split, last))


@pytest.fixture(scope="module")
def late_stream(stream):
    """The stream, then its first tickets' events again at its end: evicted tickets back from disk,
    duplicates, and new ids."""
    end = stream[-1]["at"]
    closed = [(e["ticket"], ts(e["at"])) for e in stream if e["type"] == "closed"]
    early = {t for t, at in closed[:5]}  # forgotten by the end (retention 3 days)
    evicted = {t for t, at in closed if ts(end) - 6 * 86_400 < at < ts(end) - 3 * 86_400}  # tombstones then
    assert early and evicted
    again = [e for e in stream if e["ticket"] in early | evicted]
    return stream + [{**e, "at": end} for e in again if e["type"] != "opened"] + \
        [{**e, "id": e["id"] + "-again", "at": end} for e in again]


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.6, 0.95, 1.0])
def test_an_evicting_engine_snapshot_goes_on_exactly(contracts, late_stream, fraction):
    expected, split = _evicting(contracts, late_stream, round(fraction * len(late_stream)))
    assert split == expected
    keeping = Engine(contracts)
    out: list[str] = []
    assert _finish(keeping, out, _feed(keeping, late_stream, out, None)) == expected  # as if nothing was evicted


def test_an_evicting_engine_snapshot_holds_its_eviction_state(contracts, stream):
    engine = Engine(contracts, retention=86_400)
    _feed(engine, stream[: len(stream) * 2 // 3], [], None)
    snap = engine.snapshot()
    assert list(snap)[-1] == "eviction" and engine.evicted and engine._finished
    part = snap["eviction"]
    assert part["retention"] == 86_400
    assert part["finished"] == engine._finished and len(part["evicted"]) == engine.evicted
    assert [row[0] for row in part["evicted"]] == sorted(row[0] for row in part["evicted"])
    assert part["finish_queue"] == [list(item) for item in engine._finish_queue]
    assert part["ids"] == engine._ids and sorted(i for ids in part["ids"].values() for i in ids) == snap["seen_ids"]
    assert "eviction" not in Engine(contracts).snapshot()  # without a retention the snapshot is as before


def test_a_malformed_eviction_part_is_a_coded_error(contracts, stream):
    engine = Engine(contracts, retention=86_400)
    _feed(engine, stream[:200], [], None)
    snap = json.loads(json.dumps(engine.snapshot()))
    snap["eviction"].pop("evicted")
    with pytest.raises(SnapshotError) as info:
        Engine.restore(contracts, snap)
    assert info.value.code == "snapshot-invalid"

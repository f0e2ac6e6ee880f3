"""engine.replay: streamed replay (a log in time order evaluated as it is read) and the out-of-core
sort (sorted runs spilled to temporary files, merged): the same actions, rejects and counts as
sorting the whole log in memory (`reference` below, the replay as it was before streaming)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from runtime_fixtures.helpers import load_bench_generator

from engine import Engine
from engine.model.events import EventError, parse_event, parse_json
from engine.model.external import Runs, external_sort
from engine.replay import log as replay_log
from engine.replay.log import OutOfOrder, Reject, ReplayStats, read_log, replay
from engine.replay.sort import in_time_order, instant_of
from engine.runtime.engine import DuplicateEvent

ROOT = Path(__file__).resolve().parents[2]
gen = load_bench_generator()

BAD = [
    '{"id": "bad-1", "ticket": "T-000003", "at": "2026-03-04T10:00:00Z", "type": "responded"',  # invalid JSON
    '{"id": "bad-2", "ticket": "T-000004", "at": "2026-03-05T11:30:00Z", "type": "escalated"}',  # unknown type
    '{"id": "bad-4", "ticket": "T-000001", "at": "2026-03-06T09:15:00", "type": "responded"}',  # no offset
    "",  # blank
    "   ",
]


@pytest.fixture(scope="module")
def contracts() -> dict:
    return Engine.load([ROOT / "contracts"]).contracts


@pytest.fixture(scope="module")
def log(contracts) -> list[str]:
    """~1,000 events in time order, with bad lines, a duplicate, an escaped key and a CRLF among them."""
    events = gen.only_contracts(gen.generate(120, 5), contracts)
    lines = [json.dumps(e) + "\n" for e in events]
    rng = random.Random(3)
    for bad in BAD:
        lines.insert(rng.randrange(len(lines)), bad + "\n")
    lines.insert(301, lines[300])  # a duplicate id
    stray = json.loads(lines[200]) | {"id": "bad-3", "ticket": "T-999999", "type": "responded"}
    stray.pop("contract", None)
    lines.insert(201, json.dumps(stray) + "\n")  # a ticket never opened: the engine's reject
    escaped = json.loads(lines[500])
    lines[500] = json.dumps(escaped).replace('"at"', '"\\u0061t"') + "\r\n"
    return lines


def reference(contracts: dict, lines: list[str]) -> tuple[str, str, ReplayStats]:
    """The replay before streaming: read_log sorts everything in memory, rejects written last by line."""
    engine = Engine(contracts)
    stats = ReplayStats()
    events, rejects = read_log(lines)
    stats.lines = len(events) + len(rejects)
    out = io.StringIO()
    last = None
    for at, number, event, text in events:
        try:
            for action in engine.process(event):
                out.write(action.to_json() + "\n")
                stats.actions += 1
            stats.events += 1
            last = at
        except DuplicateEvent:
            stats.duplicates += 1
        except EventError as exc:
            rejects.append(Reject(number, exc.code, str(exc), text))
    if last is not None:
        for action in engine.advance(last):
            out.write(action.to_json() + "\n")
            stats.actions += 1
    stats.rejects = len(rejects)
    bad = "".join(r.to_json() + "\n" for r in sorted(rejects, key=lambda r: r.line))
    return out.getvalue(), bad, stats


def run(contracts: dict, lines, **options) -> tuple[str, str, ReplayStats]:
    out, rejects = io.StringIO(), io.StringIO()
    stats = replay(Engine(contracts), lines, out, rejects, **options)
    return out.getvalue(), rejects.getvalue(), stats


def reordered(lines: list[str], order: str) -> list[str]:
    if order == "reversed":
        return lines[::-1]
    if order == "shuffled":
        shuffled = list(lines)
        random.Random(8).shuffle(shuffled)
        return shuffled
    return lines


@pytest.mark.parametrize("order", ["in-order", "shuffled", "reversed"])
@pytest.mark.parametrize("run_size", [20_000, 37, 1])
def test_same_output_rejects_and_counts_as_sorting_in_memory(contracts, log, order, run_size, tmp_path):
    lines = reordered(log, order)
    want_out, want_bad, want = reference(contracts, lines)
    got_out, got_bad, got = run(contracts, lines, run_size=run_size, spool_dir=str(tmp_path))
    assert got_out == want_out
    assert got_bad == want_bad
    assert (got.lines, got.events, got.actions, got.rejects, got.duplicates) == \
        (want.lines, want.events, want.actions, want.rejects, want.duplicates)
    assert got.rejects == 4 and got.duplicates == 1 and got.actions > 500
    assert list(tmp_path.iterdir()) == []  # spilled runs are gone


@pytest.mark.parametrize("order", ["in-order", "reversed"])
def test_bytes_from_a_one_shot_iterator_are_spooled_and_give_the_same(contracts, log, order):
    lines = reordered(log, order)
    want = run(contracts, [line.encode() for line in lines])
    got = run(contracts, (line.encode() for line in lines), run_size=50)
    assert got[:2] == want[:2]
    assert got[:2] == reference(contracts, lines)[:2]


def test_forced_sort_of_an_ordered_log_is_the_same(contracts, log):
    assert in_time_order([line for line in log if line.rstrip("\r\n") not in BAD])
    # a refused line with an instant out of place may send a log to the sort (never the reverse): same output
    assert not in_time_order(log)
    assert run(contracts, log, ordered=False, run_size=10)[:2] == run(contracts, log)[:2]


def test_ordered_promise_is_checked_as_it_is_read(contracts, log):
    with pytest.raises(OutOfOrder, match="line"):
        run(contracts, log[::-1], ordered=True)


def test_the_sample_log_with_bad_and_late_lines_is_identical(contracts):
    lines = (ROOT / "bench" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    assert not in_time_order(lines)
    want = reference(contracts, lines)
    for run_size in (20_000, 16):
        got = run(contracts, lines, run_size=run_size)
        assert got[:2] == want[:2]
    assert want[1].count("\n") == 3


def test_instant_of_is_the_events_instant_for_every_valid_line(log):
    for line in log + [line.encode() for line in log]:
        text = line.decode() if isinstance(line, bytes) else line
        try:
            at = parse_event(parse_json(text.rstrip("\r\n"))).at
        except EventError:
            continue
        assert instant_of(line) == at
    # a nested "at" or a value that is no instant never decides the order wrongly
    assert instant_of('{"id": "x", "attrs": {"at": "2026-03-02T10:00:00Z", "b": "at"}}') is None


def test_in_order_input_is_consumed_lazily(contracts, log, monkeypatch):
    """The streamed path holds one line at a time: when line n is read, every event before it has
    been through engine.process, and actions are written long before the input ends (as soon as a
    batch of WRITE_BATCH is full: 8 here, for a log of ~1,000 lines)."""
    monkeypatch.setattr(replay_log, "WRITE_BATCH", 8)
    engine = Engine(contracts)
    processed = []
    real = engine.process

    def process(event):
        processed.append(event.id)
        return real(event)

    engine.process = process  # type: ignore[method-assign]

    def valid(line: str) -> bool:
        try:
            parse_event(parse_json(line.rstrip("\r\n")))
        except EventError:
            return False
        return True

    before = [0]
    for line in log:
        before.append(before[-1] + valid(line))
    pulled = []

    def lines():
        for i, line in enumerate(log):
            assert len(processed) == before[i]  # nothing read is waiting
            pulled.append(i)
            yield line

    written_at = []

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            if not written_at:
                written_at.append(len(pulled))
            return super().write(text)

    replay(engine, lines(), Out(), io.StringIO(), ordered=True)
    assert len(pulled) == len(log) and len(processed) == before[-1]
    assert written_at and written_at[0] < len(log) // 10


def test_runs_spill_and_merge_stably(tmp_path):
    items = [(random.Random(i).randrange(5), i) for i in range(200)]
    got = list(external_sort(items, key=lambda item: item[0], run_size=7, spool_dir=str(tmp_path)))
    assert got == sorted(items, key=lambda item: item[0])  # stable: equal keys keep the input order
    runs: Runs[int] = Runs(lambda x: x, 3, str(tmp_path))
    for x in [5, 1, 4, 2, 3, 0, 9]:
        runs.add(x)
    files = list(runs.files)
    assert len(files) == 2 and len(runs.buffer) == 1
    assert list(runs.ordered()) == [0, 1, 2, 3, 4, 5, 9]
    assert all(f.closed for f in files) and runs.files == []


@pytest.mark.parametrize("ordered", [True, False])
def test_batched_writing_keeps_what_one_stream_gets_and_what_a_failure_leaves(contracts, log, monkeypatch, ordered):
    """Actions written WRITE_BATCH at a time: one stream holding actions and rejects gets them in the
    order of writing them one by one, and a replay stopped by OutOfOrder has written the same."""
    def run(lines: list[str], batch: int) -> str:
        monkeypatch.setattr(replay_log, "WRITE_BATCH", batch)
        both = io.StringIO()
        try:
            replay(Engine(contracts), lines, both, both, ordered=ordered)
        except OutOfOrder:
            pass
        return both.getvalue()

    assert run(log, 1024) == run(log, 1)
    assert '"line"' in run(log, 1)  # rejects among the actions
    if ordered:
        late = log[: len(log) // 2] + [log[0]] + log[len(log) // 2:]
        assert run(late, 1024) == run(late, 1) != ""


@pytest.mark.parametrize("order", ["in-order", "shuffled", "reversed"])
@pytest.mark.parametrize("run_size", [20_000, 37])
def test_entries_in_time_order_are_read_log_s_without_holding_the_log(log, order, run_size, tmp_path):
    """What `obligo report` reads its log with: the entries and rejects of read_log, from a file read
    as it comes (in time order) or sorted out of core (spilled runs, then gone)."""
    lines = reordered(log, order)
    path = tmp_path / "log.jsonl"
    path.write_bytes("".join(lines).encode("utf-8"))
    want, want_rejects = read_log(lines)
    rejects: list[Reject] = []
    spool = tmp_path / "spool"
    spool.mkdir()
    with open(path, "rb") as handle:
        def again():
            handle.seek(0)
            return handle

        got = list(replay_log.entries_in_time_order(again, rejects.append, run_size=run_size, spool_dir=str(spool)))
    assert [(at, n, e.id, text) for at, n, e, text in got] == [(at, n, e.id, text) for at, n, e, text in want]
    assert sorted(rejects, key=lambda r: r.line) == sorted(want_rejects, key=lambda r: r.line) and len(rejects) == 3
    assert list(spool.iterdir()) == []


def test_entries_of_a_log_in_time_order_are_read_as_they_come(log):
    """In time order: the first entry comes after one line of the second pass (the first pass only
    checks the order); out of order: after the whole log (sorted). Observed through the lines read,
    as a compiled build calls external_sort directly (no monkeypatch reaches it)."""
    clean = [line for line in log if line.rstrip("\r\n") not in BAD]

    def first_entry_after(lines: list[str]) -> int:
        passes: list[int] = []

        def again():
            passes.append(0)
            for line in lines:
                passes[-1] += 1
                yield line

        entries = replay_log.entries_in_time_order(again, lambda reject: None)
        next(entries)
        return passes[-1]

    assert first_entry_after(clean) == 1
    assert first_entry_after(clean[::-1]) == len(clean)

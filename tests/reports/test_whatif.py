"""engine.reports.diff (`obligo diff`'s figures): the log read once, as it comes, by both engines with
eviction, gives what the log in memory gives without it; the differing tickets' actions, replayed a
chunk of tickets at a time from their events only, are those of the whole replay."""

from __future__ import annotations

import io
import json
import random
import shutil

import pytest
from runtime_fixtures.helpers import CONTRACTS, load_bench_generator

from engine import Engine
from engine.cli.log_input import of_tickets
from engine.replay.log import entries_in_time_order, read_log
from engine.replay.sort import rewindable
from engine.reports.diff import differing_actions, run_diff


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory):
    """(before, after): the seed contracts, and the same with PROGR1's severity-3 resolution target
    from 5 to 3 business days (README)."""
    target = tmp_path_factory.mktemp("what-if") / "contracts"
    shutil.copytree(CONTRACTS, target)
    path = target / "progr1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"3": 5 business days', '"3": 3 business days'),
                    encoding="utf-8")
    return Engine.load([CONTRACTS]).contracts, Engine.load([target]).contracts


@pytest.fixture(scope="module")
def shuffled() -> bytes:
    gen = load_bench_generator()
    lines = [json.dumps(e) for e in gen.generate(400, 9)]
    lines += [lines[3], "{not json", json.dumps({"id": "x", "ticket": "nobody", "at": "2026-03-03T10:00:00Z",
                                                  "type": "responded"})]
    random.Random(9).shuffle(lines)
    return ("\n".join(lines) + "\n").encode("utf-8")


def figures(diff) -> tuple:
    return (diff.tickets, diff.events, diff.differing,
            [(s.counts, s.summary.tallies, s.digests, s.skipped_lines, [r.to_json() for r in s.rejects], s.problems,
              s.end) for s in (diff.before, diff.after)])


@pytest.mark.parametrize("retention", [0, 86400])
def test_streamed_with_eviction_gives_the_log_in_memory(sides, shuffled, retention) -> None:
    before, after = sides
    events, rejects = read_log(io.BytesIO(shuffled))
    want = run_diff(before, after, events, rejects)
    assert want.differing and want.before.counts.duplicates == 1
    assert {r.code for r in want.before.rejects} == {"invalid-json", "unknown-ticket"}  # read, then refused

    found: list = []
    again, release = rewindable(io.BytesIO(shuffled))
    try:
        stream = entries_in_time_order(again, found.append, run_size=97)  # a one-shot iterator, sorted out of core
        got = run_diff(before, after, stream, found, retention=retention)
    finally:
        release()
    assert figures(got) == figures(want)


def test_differing_actions_chunk_by_chunk_are_the_whole_replays(sides, shuffled) -> None:
    before, after = sides
    events, rejects = read_log(io.BytesIO(shuffled))
    diff = run_diff(before, after, events, rejects)
    asked: list[set[str]] = []

    def chosen(tickets):
        asked.append(set(tickets))
        return of_tickets(events, tickets)

    got = list(differing_actions(diff, before, after, chosen, chunk=3))
    assert [t for t, _, _ in got] == diff.differing
    assert all(len(part) <= 3 for part in asked) and len(asked) == -(-len(diff.differing) // 3)
    whole = {side: {} for side in ("before", "after")}
    for side, contracts in (("before", before), ("after", after)):
        engine = Engine(contracts)
        for _, _, event, _ in events:
            try:
                for action in engine.process(event):
                    whole[side].setdefault(action.ticket, []).append(action.to_json())
            except Exception:  # noqa: BLE001 - refused as in the diff's own replay
                continue
        for action in engine.advance(getattr(diff, side).end):
            whole[side].setdefault(action.ticket, []).append(action.to_json())
    for ticket, lines_a, lines_b in got:
        assert lines_a == whole["before"].get(ticket, []) and lines_b == whole["after"].get(ticket, [])
        assert lines_a != lines_b


def test_a_wrong_digest_is_caught(sides, shuffled) -> None:
    before, after = sides
    events, rejects = read_log(io.BytesIO(shuffled))
    diff = run_diff(before, after, events, rejects)
    diff.before.digests[diff.differing[0]] = bytes(16)
    with pytest.raises(RuntimeError, match="replayed alone differ"):
        list(differing_actions(diff, before, after, lambda tickets: of_tickets(events, tickets)))


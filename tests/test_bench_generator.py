"""The benchmark's event generator (bench/generate.py): deterministic, valid, and replayable without rejects."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from runtime_fixtures.helpers import load_bench_generator

from engine import Engine, parse_event, parse_instant
from engine.replay.log import replay

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "contracts"


gen = load_bench_generator()


@pytest.fixture(scope="module")
def engine_contracts() -> dict:
    return Engine.load([CONTRACTS]).contracts


@pytest.fixture(scope="module")
def small_log(engine_contracts) -> list[dict]:
    # Tickets of a contract file that is not there (microsoft-unified.yaml may be absent) are dropped.
    return gen.only_contracts(gen.generate(150, 11), engine_contracts)


def test_same_seed_same_events():
    assert gen.generate(120, 3) == gen.generate(120, 3)
    assert gen.generate(120, 3) != gen.generate(120, 4)


def test_cli_writes_the_same_sorted_jsonl(tmp_path):
    out = tmp_path / "events.jsonl"
    assert gen.main(["--tickets", "60", "--seed", "5", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == gen.generate(60, 5)
    instants = [parse_instant(json.loads(line)["at"]) for line in lines]
    assert instants == sorted(instants)


def test_events_are_valid_and_realistic():
    events = gen.generate(400, 21)
    parsed = [parse_event(ev) for ev in events]  # raises EventError on any invalid event
    assert len({ev.id for ev in parsed}) == len(parsed)
    opened = [ev for ev in parsed if ev.type == "opened"]
    assert len(opened) == 400 and len({ev.ticket for ev in opened}) == 400
    assert [ev.at for ev in parsed] == sorted(ev.at for ev in parsed)
    first_seen: dict[str, str] = {}
    for ev in parsed:
        first_seen.setdefault(ev.ticket, ev.type)
    assert set(first_seen.values()) == {"opened"}  # no event before its ticket's opened
    assert 6.5 <= len(parsed) / 400 <= 9.5  # about 8 events per ticket
    assert {ev.contract for ev in opened} == set(gen.CONTRACTS)
    kinds = {ev.type for ev in parsed}
    for kind in ("acknowledged", "responded", "info_requested", "info_provided", "updated", "escalation_requested",
                 "reclassification_requested", "rca_requested", "resolved", "closed"):
        assert kind in kinds, kind
    assert sum(1 for ev in parsed if ev.type == "info_requested") > sum(1 for ev in parsed if ev.type == "info_provided")
    olcare_changes = [ev.attrs for ev in parsed if ev.type == "updated" and "severity" in ev.attrs and "by" in ev.attrs
                      and any(o.ticket == ev.ticket and o.contract == "olcare" for o in opened)]
    assert any(a.get("consent") is True for a in olcare_changes) and any("consent" not in a for a in olcare_changes)


def test_replay_rejects_nothing_and_is_byte_identical(small_log):
    lines = [json.dumps(ev, ensure_ascii=False) for ev in small_log]
    outputs = []
    for _ in range(2):
        out, rejects = io.StringIO(), io.StringIO()
        stats = replay(Engine.load([CONTRACTS]), lines, out, rejects)
        assert stats.rejects == 0, rejects.getvalue()
        assert stats.duplicates == 0
        assert stats.events == len(lines)
        assert stats.actions > len(lines) // 2
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    kinds = {json.loads(line)["action"] for line in outputs[0].splitlines()}
    assert {"start_clock", "stop_clock", "breach", "pause_clock", "resume_clock", "obligation", "exclude"} <= kinds


def test_shipped_sample_is_the_generator_output_plus_three_bad_lines():
    lines = (ROOT / "bench" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    good = [json.dumps(ev, ensure_ascii=False) for ev in gen.generate(gen.SAMPLE_TICKETS, gen.SAMPLE_SEED)]
    assert lines == good + list(gen.SAMPLE_BAD_LINES), "regenerate: python bench/generate.py --sample bench/sample-events.jsonl"
    out, rejects = io.StringIO(), io.StringIO()
    loaded = Engine.load([CONTRACTS])
    stats = replay(loaded, lines, out, rejects)
    if set(gen.CONTRACTS) <= set(loaded.contracts):
        assert stats.rejects == 3
        assert [json.loads(r)["line"] for r in rejects.getvalue().splitlines()] == [len(good) + 1, len(good) + 2,
                                                                                     len(good) + 3]

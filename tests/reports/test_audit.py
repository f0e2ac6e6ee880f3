"""engine.reports.audit: one pass of the engine that keeps what a report needs. It reads its events
as they come, so `obligo report` can stream a log: an iterator over a log sorted out of core, with
an engine that evicts finished tickets, must give the figures, cycles and rejects of the whole log
sorted in memory by an engine that keeps everything."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from runtime_fixtures.helpers import load_bench_generator

from engine import Engine
from engine.replay.log import entries_in_time_order, read_log
from engine.reports.audit import run_audit
from engine.reports.summary import text_table

ROOT = Path(__file__).resolve().parents[2]
gen = load_bench_generator()


@pytest.fixture(scope="module")
def contracts() -> dict:
    return Engine.load([ROOT / "contracts"]).contracts


@pytest.fixture(scope="module")
def lines(contracts) -> list[str]:
    """~1,500 events of 200 tickets over several weeks, shuffled, with a bad line and a duplicate."""
    events = gen.only_contracts(gen.generate(200, 11), contracts)
    found = [json.dumps(e) + "\n" for e in events]
    found.insert(40, "{not json\n")
    found.insert(90, found[89])  # a duplicate id
    random.Random(4).shuffle(found)
    return found


def figures(audit, cycles) -> tuple:
    return (text_table(audit.summary), vars(audit.counts), [repr(c) for c in audit.breached], audit.elapsed,
            audit.targets, audit.breaches_by_month, [r.to_json() for r in audit.rejects], audit.end,
            audit.skipped_lines, audit.expected, audit.verdicts, audit.ticket_contract, [repr(c) for c in cycles])


@pytest.mark.parametrize("retention", [0, 86400])
def test_a_streamed_log_with_eviction_gives_the_in_memory_audit(contracts, lines, retention, tmp_path):
    events, rejects = read_log(lines)
    want_cycles: list = []
    want = run_audit(contracts, events, rejects, want_cycles.append, expect="made_sla")
    found_rejects: list = []
    got_cycles: list = []
    streamed = entries_in_time_order(lambda: iter(lines), found_rejects.append, run_size=97, spool_dir=str(tmp_path))
    got = run_audit(contracts, streamed, found_rejects, got_cycles.append, expect="made_sla",
                    retention=retention, spill_dir=str(tmp_path))
    assert figures(got, got_cycles) == figures(want, want_cycles)
    assert got.counts.breaches > 10 and got.counts.rejects == 1 and got.counts.duplicates == 1
    assert list(tmp_path.iterdir()) == []  # the sort's runs and the evicted tickets' file are gone


def test_the_events_are_read_once_as_they_come(contracts, lines):
    events, rejects = read_log(lines)
    seen = []

    def one_shot():
        for entry in events:
            seen.append(entry[1])
            yield entry

    done = []
    audit = run_audit(contracts, one_shot(), rejects, progress=done.append)
    assert seen == [entry[1] for entry in events]
    assert audit.counts.events == len(events) - 1 and done[-1] == len(events)  # less the duplicate


def test_without_the_breached_cycles_the_figures_are_the_same(contracts, lines):
    """`obligo report` without --html or --disagreements keeps no breached cycle (keep_breached=False):
    every other figure is unchanged."""
    events, rejects = read_log(lines)
    kept_cycles: list = []
    kept = run_audit(contracts, events, rejects, kept_cycles.append, expect="made_sla")
    lean_cycles: list = []
    lean = run_audit(contracts, events, rejects, lean_cycles.append, expect="made_sla", keep_breached=False)
    assert kept.breached and lean.breached == []
    kept.breached = []
    assert figures(lean, lean_cycles) == figures(kept, kept_cycles)

"""`engine.replay.partition`: evaluating a stream partitioned by ticket (the algorithm, partitions run
one after the other in this process) gives exactly what one Engine fed event by event gives
(actions, decision log, rejects, duplicates), including the cases where partitions cannot see each
other: events refused by another partition, breaches due at the very instant of another ticket's
event, ids shared across tickets, rule loops. The transport (Dask) is tests/replay/test_distributed.py."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from runtime_fixtures.helpers import AGENDA, CONTRACTS, ev, load, load_bench_generator

from engine import Engine, EventError, ListTracer, format_instant, parse_instant
from engine.replay.partition import evaluate, partition_of
from engine.runtime.engine import DuplicateEvent


@pytest.fixture(scope="module")
def contracts():
    return Engine.load([CONTRACTS]).contracts


@pytest.fixture(scope="module")
def stream(contracts):
    gen = load_bench_generator()
    return gen.only_contracts(gen.generate(300, 11), contracts)


def reference(contracts, events, end=None):
    """The single engine, event by event, as `obligo replay` without --jobs drives it."""
    tracer = ListTracer()
    engine = Engine(contracts, tracer)
    actions, rejected, duplicates, last = [], {}, [], None
    for i, event in enumerate(events):
        try:
            actions.extend(engine.process(event))
            last = engine.now
        except DuplicateEvent:
            duplicates.append(i)
        except EventError as exc:
            rejected[i] = (exc.code, str(exc))
    final = end if end is not None else last
    if final is not None:
        actions.extend(engine.advance(final))
    return [a.to_json() for a in actions], tracer.records, rejected, duplicates


def check_same(contracts, events, jobs, end=None):
    want_actions, want_traces, want_rejected, want_duplicates = reference(contracts, events, end)
    got = evaluate(contracts, events, jobs=jobs, end=end, trace=True)
    assert [a.to_json() for a in got.actions] == want_actions
    assert got.traces == want_traces
    assert got.rejected == want_rejected
    assert got.duplicates == want_duplicates
    return got


def test_partition_of_is_stable_and_in_range():
    # crc32, not the per-process salted hash(): every process, machine and run agree
    assert partition_of("T-1", 2) == partition_of("T-1", 2)
    # crc32(b"a") = 3904355907, / 2**32 = 0.909, x 3 = 2.727 -> 2; crc32(b"b") = 1908338681: 0.444 x 3 = 1.333 -> 1
    assert [partition_of(t, 3) for t in ("a", "b")] == [2, 1]
    assert partition_of("a", 1) == 0
    assert {partition_of(f"T{i}", 4) for i in range(100)} == {0, 1, 2, 3}


def test_partitions_have_about_the_same_share():
    """Every partition runs on a worker of its own: none should wait for a larger one."""
    shares = Counter(partition_of(f"T-{i:06}", 3) for i in range(30000))
    assert sorted(shares) == [0, 1, 2]
    assert all(n / 30000 == pytest.approx(1 / 3, abs=0.01) for n in shares.values())


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_generated_stream_is_the_same_with_any_number_of_partitions(contracts, stream, jobs):
    got = check_same(contracts, stream, jobs)
    assert got.partitions == jobs and got.rounds == 1
    assert len(got.actions) > 1000


def test_refused_events_move_no_time_in_any_partition(contracts, stream):
    """Duplicates, unknown tickets, events before `opened`, unknown contracts: refused by their
    own partition; a second round skips them everywhere, so no partition fires a deadline at them."""
    events = list(stream)
    rng = random.Random(5)
    tickets = sorted({e["ticket"] for e in events})
    for k in range(40):
        i = rng.randrange(1, len(events))
        at = events[i]["at"]
        kind = k % 4
        if kind == 0:  # a duplicate of an earlier event of the same ticket
            dup = next(e for e in reversed(events[:i]) if e["type"] != "opened")
            events.insert(i, {**dup, "at": at})
        elif kind == 1:
            events.insert(i, {"id": f"x{k}", "ticket": f"NOPE-{k}", "at": at, "type": "responded"})
        elif kind == 2:
            events.insert(i, {"id": f"y{k}", "ticket": rng.choice(tickets), "at": at, "type": "opened",
                              "contract": "no-such-contract"})
        else:
            events.insert(i, {"id": f"z{k}", "ticket": rng.choice(tickets), "at": at, "type": "nonsense"})
    got = check_same(contracts, events, 2)
    assert got.partitions == 2 and got.rounds == 2
    assert len(got.rejected) >= 25 and got.duplicates


def test_breaches_due_at_another_tickets_event_instant(contracts, stream):
    """The hardest case for partitions: a breach due at exactly the instant of an event of another
    ticket fires before that event, while a breach of the event's own ticket waits for it (a goal
    event at the due instant meets its clock). Every breach instant of the stream gets an event of
    another ticket and a goal event of the breached ticket, both at that very instant."""
    want, *_ = reference(contracts, stream)
    breaches = [json.loads(line) for line in want if '"action": "breach"' in line][:60]
    events = list(stream)
    opened = [e for e in events if e["type"] == "opened"]
    for n, breach in enumerate(breaches):
        other = opened[(n * 7) % len(opened)]
        events.append({"id": f"o{n}", "ticket": other["ticket"], "at": breach["due"], "type": "rca_requested"})
        events.append({"id": f"g{n}", "ticket": breach["ticket"], "at": breach["due"], "type": "responded"})
    order = {id(e): k for k, e in enumerate(events)}
    events.sort(key=lambda e: (parse_instant(e["at"]), order[id(e)]))  # stable: the extras after the stream's own
    got = check_same(contracts, events, 2)
    assert got.partitions == 2


def test_an_event_id_shared_by_tickets_of_two_partitions_falls_back_to_one_process(contracts, stream):
    events = list(stream)
    first, second = events[0], next(e for e in events if partition_of(e["ticket"], 2) != partition_of(
        events[0]["ticket"], 2))
    events.insert(events.index(second) + 1, {**second, "id": first["id"], "type": "rca_requested"})
    got = check_same(contracts, events, 2)
    assert got.partitions == 1 and got.duplicates


def test_a_rule_loop_falls_back_to_one_process():
    engine = load(AGENDA)
    contracts = engine.contracts
    events = [ev("o1", "T1", "2026-03-02T10:00:00Z", "opened", contract="agenda", severity="S3", plan="basic",
                 region="any"),
              ev("o2", "T2", "2026-03-02T10:00:30Z", "opened", contract="agenda", severity="S3", plan="basic",
                 region="any"),
              ev("e2", "T1", "2026-03-02T10:01:00Z", "reclassification_requested", severity="S1"),
              ev("e3", "T1", "2026-03-02T10:02:00Z", "acknowledged"),
              ev("e4", "T2", "2026-03-02T10:03:00Z", "rca_requested")]
    got = check_same(contracts, events, 2)
    assert got.partitions == 1
    assert "quarantined" in got.rejected[3][1]


def test_end_advances_every_partition(contracts, stream):
    check_same(contracts, stream[: len(stream) // 2], 2, end=parse_instant(stream[-1]["at"]))


def test_evaluate_leaves_the_garbage_collector_as_it_found_it(contracts, stream):
    """It pauses the collector (engine.replay.collector, tested there) and restores it."""
    import gc

    evaluate(contracts, stream[:200], jobs=2)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        evaluate(contracts, stream[:200], jobs=2)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_an_event_after_a_refused_later_one_is_judged_as_one_engine_judges_it(contracts, stream):
    """Events out of time order (the API takes any order; replay sorts): a refused event moves no
    time in one engine, so an event after it but earlier than it is accepted there. Partitions
    cannot see that from their first round; the result must still be the single engine's."""
    events = list(stream)
    k = len(events) // 2
    later = events[k + 200]["at"]
    events.insert(k, {"id": "lost", "ticket": "NO-SUCH-TICKET", "at": later, "type": "responded"})
    got = check_same(contracts, events, 2)
    assert list(got.rejected) == [k]  # the 200 events after it, all earlier than it, are accepted


def test_events_out_of_time_order_are_refused_as_one_engine_refuses_them(contracts, stream):
    events = list(stream)
    for k in (50, 400, 900):
        events.insert(k, {**events[k + 300], "id": f"early-{k}", "at": events[k - 40]["at"]})
    got = check_same(contracts, events, 2)
    assert any("earlier than the stream" in reason for _code, reason in got.rejected.values())


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_deadline_set_at_its_own_events_instant_fires_before_the_next_event(jobs):
    """A zero-length silence timer (acme, `silence` = 0 minutes) started by `info_requested` is due
    at that very instant: one engine fires its reminder before the next event, whichever ticket's,
    here another partition's event at the same instant, then an event of a third ticket of the
    timer's own partition, also at that instant. (The bug this guards: the reminder was placed
    before the third ticket's event, after the other partition's.)"""
    contracts = load(overrides={"acme": {"silence": "0 minutes"}}).contracts
    names = [f"T{n}" for n in range(200)]
    mine = [t for t in names if partition_of(t, jobs) == 0][:2]
    other = next(t for t in names if partition_of(t, jobs) == 1)
    at = "2026-03-02T10:00:00+01:00"
    opened = [ev(f"o-{t}", t, "2026-03-02T09:30:00+01:00", "opened", plan="gold", region="france", severity="S2")
              for t in (*mine, other)]
    events = [*opened,
              ev("ask", mine[0], at, "info_requested"),
              ev("x", other, at, "escalation_requested", by="customer"),
              ev("y", mine[1], at, "escalation_requested", by="customer"),
              ev("z", mine[0], "2026-03-02T11:00:00+01:00", "info_provided")]
    got = check_same(contracts, events, jobs)
    assert got.partitions == jobs
    reminder = next(a for a in got.actions if a.rule == "acme.silence-reminder")
    assert [a.event for a in got.actions].index(None) < [a.event for a in got.actions].index("x")
    assert reminder.at == parse_instant(at)


def test_a_stream_that_starts_with_unreadable_events(contracts, stream):
    events = [{"nope": 1}, "not an object", {"id": "a", "ticket": "T-000001", "at": "never", "type": "opened"},
              {"id": "b", "ticket": ["T-1"], "at": stream[0]["at"], "type": "opened"},  # unhashable ticket
              *stream[:80]]
    got = check_same(contracts, events, 2)
    assert sorted(got.rejected)[:4] == [0, 1, 2, 3]


@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_a_stream_whose_instants_all_collide(contracts, stream, jobs):
    """Every instant rounded down to the hour: events of many tickets and partitions share each
    instant, and so do deadlines (breaches due on the hour wait for their own ticket's event)."""
    events = []
    for e in stream:
        t = parse_instant(e["at"]) // 3600 * 3600
        events.append({**e, "at": f"{format_instant(t)}"})
    got = check_same(contracts, events, jobs)
    assert got.partitions == jobs


@pytest.mark.parametrize("seed", range(12))
def test_random_crowded_streams_on_a_contract_with_zero_length_timers(seed):
    """Differential fuzz: ten acme tickets, events of every kind at a handful of instants (so
    events, warnings, breaches and zero-length silence timers keep colliding), 2 to 4 partitions."""
    contracts = load(overrides={"acme": {"silence": "0 minutes", "warn_at": [0.5]}}).contracts
    rng = random.Random(seed)
    kinds = ["info_requested", "info_provided", "escalation_requested", "responded", "acknowledged",
             "reclassification_requested", "resolved", "reopened", "updated", "rca_requested"]
    instants = sorted(rng.sample(range(0, 3 * 86400, 900), 14))
    base = parse_instant("2026-03-02T08:00:00Z")
    events = []
    for n in range(10):
        ticket = f"T{n}"
        events.append(ev(f"o{n}", ticket, format_instant(base), "opened", plan="gold", region="france",
                         severity=rng.choice(["S1", "S2"])))
        for k in range(rng.randrange(3, 9)):
            kind = rng.choice(kinds)
            attrs = {"severity": rng.choice(["S1", "S2"])} if kind in ("reclassification_requested", "updated") else {}
            if kind == "escalation_requested":
                attrs = {"by": "customer"}
            events.append(ev(f"e{n}-{k}", ticket, format_instant(base + rng.choice(instants)), kind, **attrs))
    order = {id(e): k for k, e in enumerate(events)}
    events.sort(key=lambda e: (parse_instant(e["at"]), rng.random(), order[id(e)]))
    for jobs in (2, 3, 4):
        check_same(contracts, events, jobs, end=base + 4 * 86400)

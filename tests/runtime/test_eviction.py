"""Eviction (Engine `retention`, docs/INTERFACE.md "Replay at scale"): a finished ticket (closed,
nothing left that can fire) stays in memory for the retention of event time, then goes to disk
(engine.runtime.spill) and comes back whole with the next event that names it; memory follows
the open tickets and the output equals that of an engine that keeps everything."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_fixtures.helpers import ACME, CONTRACTS, MINI, ev, load, load_bench_generator, ts, write

from engine import Engine, EventError
from engine.cli.main import main
from engine.runtime.engine import DAY, DuplicateEvent

S2 = {"plan": "gold", "region": "france", "severity": "S2", "channel": "web"}


@pytest.fixture(scope="module")
def acme():
    return load().contracts


def _engine(contracts, days: float | None) -> Engine:
    return Engine(contracts, retention=None if days is None else round(days * DAY))


def _closed_ticket(ticket: str = "T1") -> list[dict]:
    """Monday 2026-03-02: opened, responded, resolved, closed at 10:30 Paris: nothing pending."""
    return [ev(f"{ticket}-1", ticket, "2026-03-02T09:00:00+01:00", "opened", **S2),
            ev(f"{ticket}-2", ticket, "2026-03-02T09:30:00+01:00", "responded"),
            ev(f"{ticket}-3", ticket, "2026-03-02T10:00:00+01:00", "resolved"),
            ev(f"{ticket}-4", ticket, "2026-03-02T10:30:00+01:00", "closed")]


def _feed(engine: Engine, events: list[dict]) -> list[str]:
    out: list[str] = []
    for event in events:
        try:
            out += [a.to_json() for a in engine.process(event)]
        except DuplicateEvent:
            out.append(f"duplicate {event['id']}")
        except EventError as exc:
            out.append(f"reject {event['id']} {exc.code}")
    return out


def _code(engine: Engine, event: dict) -> str | None:
    try:
        engine.process(event)
    except EventError as exc:
        return exc.code
    return None


def test_a_closed_ticket_with_nothing_pending_is_evicted_after_the_window(acme):
    engine = _engine(acme, 1)
    _feed(engine, _closed_ticket())
    closed_at = ts("2026-03-02T10:30:00+01:00")
    assert engine._finished == {"T1": closed_at}  # finished at its close, still held
    assert "T1" in engine.tickets
    _feed(engine, [ev("T2-1", "T2", "2026-03-03T10:30:00+01:00", "opened", **S2)])  # F + 1 day exactly
    assert "T1" in engine.tickets
    _feed(engine, [ev("T2-2", "T2", "2026-03-03T10:31:00+01:00", "responded")])  # the stream passes F + 1 day
    assert set(engine.tickets) == {"T2"} and engine.evicted == 1
    assert engine._seen_ids == {"T2-1", "T2-2"}  # the evicted ticket's ids went with it


@pytest.mark.parametrize("later", [
    [ev("T1-5", "T1", "2026-04-20T10:00:00+02:00", "reopened"),  # seven weeks after the close
     ev("T1-6", "T1", "2026-04-20T11:00:00+02:00", "responded"), ev("T1-7", "T1", "2026-04-21T10:00:00+02:00", "closed")],
    [ev("T1-2", "T1", "2026-04-20T10:00:00+02:00", "responded")],  # a repeated id of the evicted ticket: duplicate
    [ev("T1-9", "T1", "2026-04-20T10:00:00+02:00", "opened", **S2)],  # already open
    [ev("T1-9", "T1", "2026-04-20T10:00:00+02:00", "updated", severity="S9")],  # invalid attribute
    [ev("T1-9", "T1", "2026-03-02T12:00:00+01:00", "reopened")],  # late: earlier than the stream
    [ev("T1-9", "T1", "2026-04-20T10:00:00+02:00", "updated", channel="phone"),  # stays closed: finished again
     ev("T2-2", "T2", "2026-05-20T10:00:00+02:00", "responded"),  # evicted again
     ev("T1-10", "T1", "2026-06-20T10:00:00+02:00", "reopened")],  # and back once more
])
@pytest.mark.parametrize("days", [0, 1])  # 0: the ticket back from disk is the only one finished
def test_an_event_long_after_the_eviction_is_answered_as_without_eviction(acme, later, days):
    between = [ev("T2-1", "T2", "2026-03-10T09:00:00+01:00", "opened", **S2)]  # moves time: T1 is evicted
    kept, evicting = _engine(acme, None), _engine(acme, days)
    expected = _feed(kept, _closed_ticket() + between + later)
    got = _feed(evicting, _closed_ticket() + between)
    assert "T1" not in evicting.tickets and evicting.evicted == 1
    assert got + _feed(evicting, later) == expected
    assert expected[-1] != "reject T1-9 unknown-ticket"


def test_an_evicted_tickets_id_reused_by_another_ticket_is_not_a_duplicate_any_more(acme):
    """The one answer eviction changes (docs/INTERFACE.md): stream-wide duplicates of an id whose
    ticket is on disk."""
    engine = _engine(acme, 1)
    _feed(engine, _closed_ticket() + [ev("T2-1", "T2", "2026-03-10T09:00:00+01:00", "opened", **S2)])
    assert engine.evicted == 1
    assert _code(engine, ev("T1-2", "T2", "2026-03-10T09:30:00+01:00", "responded")) is None
    assert _code(Engine(acme), ev("T1-2", "T2", "2026-03-10T09:30:00+01:00", "responded")) == "unknown-ticket"


def test_an_event_within_the_window_is_answered_as_without_eviction(acme):
    later = [ev("T1-5", "T1", "2026-03-02T16:00:00+01:00", "reopened"),
             ev("T1-2", "T1", "2026-03-02T16:05:00+01:00", "responded"),  # a repeated id: duplicate
             ev("T1-6", "T1", "2026-03-02T16:10:00+01:00", "opened", **S2),  # already open
             ev("T1-7", "T1", "2026-03-03T16:00:00+01:00", "closed")]  # reopened: the clocks run again
    kept, evicting = _engine(acme, None), _engine(acme, 0.5)
    expected = _feed(kept, _closed_ticket() + later)
    assert _feed(evicting, _closed_ticket() + later) == expected
    assert "duplicate T1-2" in expected and "reject T1-6 already-open" in expected
    assert "T1" in evicting.tickets


def test_a_reopened_ticket_is_not_finished_until_closed_again(acme):
    engine = _engine(acme, 0)
    _feed(engine, _closed_ticket()[:-1] + [ev("T1-4", "T1", "2026-03-02T10:30:00+01:00", "closed"),
                                           ev("T1-5", "T1", "2026-03-02T10:30:00+01:00", "reopened")])
    assert engine._finished == {}
    _feed(engine, [ev("T2-1", "T2", "2026-04-02T10:00:00+01:00", "opened", **S2)])
    assert "T1" in engine.tickets  # open: never evicted, however long


def test_a_pending_timer_and_obligation_keep_a_closed_ticket_until_they_fire(acme):
    engine = _engine(acme, 1 / 24)  # one hour
    asked = ts("2026-03-02T09:40:00+01:00")
    _feed(engine, [ev("a1", "T1", "2026-03-02T09:00:00+01:00", "opened", **S2),
                   ev("a2", "T1", "2026-03-02T09:30:00+01:00", "responded"),
                   ev("a3", "T1", "2026-03-02T09:35:00+01:00", "resolved"),
                   ev("a4", "T1", "2026-03-02T09:40:00+01:00", "info_requested"),  # logs owed, timer: 2 h 24x7
                   ev("a5", "T1", "2026-03-02T09:45:00+01:00", "closed")])
    state = engine.tickets["T1"]
    assert state.closed and state.timers and state.obligations
    assert engine._finished == {}
    out = _feed(engine, [ev("b1", "T2", "2026-03-02T12:00:00+01:00", "opened", **S2)])
    fired = {json.loads(line)["action"] for line in out}
    assert {"notify", "obligation_breached"} <= fired  # both fired at 11:40, before T2's event
    assert "T1" in engine.tickets and engine._finished == {"T1": asked + 2 * 3600}
    _feed(engine, [ev("b2", "T2", "2026-03-02T12:40:00+01:00", "responded")])
    assert "T1" in engine.tickets
    _feed(engine, [ev("b3", "T2", "2026-03-02T12:41:00+01:00", "responded")])
    assert "T1" not in engine.tickets  # dropped once the stream passed its last deadline + 1 hour


def test_a_running_clock_keeps_a_closed_ticket_until_it_breaches(tmp_path):
    contracts = load(write(tmp_path / "mini.yaml", MINI)).contracts  # closing does not stop its clock
    engine = _engine(contracts, 0)
    high = {"severity": "high"}
    _feed(engine, [ev("a1", "T1", "2026-03-02T09:00:00+01:00", "opened", "mini", **high),
                   ev("a2", "T1", "2026-03-02T09:10:00+01:00", "closed")])
    assert engine.tickets["T1"].closed and engine._finished == {}
    _feed(engine, [ev("b1", "T2", "2026-03-02T10:59:00+01:00", "opened", "mini", **high)])
    assert "T1" in engine.tickets and engine._finished == {}  # due at 11:00
    out = _feed(engine, [ev("b2", "T2", "2026-03-02T11:01:00+01:00", "responded")])
    assert [(a["action"], a["ticket"]) for a in map(json.loads, out)][0] == ("breach", "T1")
    assert "T1" not in engine.tickets and engine.evicted == 1


def test_a_late_event_keeps_its_usual_answer(acme):
    engine = _engine(acme, 0)
    _feed(engine, _closed_ticket() + [ev("T2-1", "T2", "2026-03-03T10:00:00+01:00", "opened", **S2)])
    assert "T1" not in engine.tickets
    assert _code(engine, ev("T1-9", "T1", "2026-03-02T12:00:00+01:00", "reopened")) == "late-event"


def test_retention_must_not_be_negative(acme):
    with pytest.raises(ValueError):
        Engine(acme, retention=-1)


# --- generated logs: the same output as an engine that keeps every ticket; bounded memory --------
_LOGS: dict[int, list[dict]] = {}


def _log(seed: int) -> list[dict]:
    """A generated log of 120 tickets (module cache: hypothesis would print a fixture's value)."""
    if seed not in _LOGS:
        _LOGS[seed] = load_bench_generator().generate(120, seed)
    return _LOGS[seed]


def _real() -> dict:
    """The five contracts (module cache, as _log)."""
    if "contracts" not in _CONTRACTS:
        _CONTRACTS["contracts"] = Engine.load([CONTRACTS]).contracts
    return _CONTRACTS["contracts"]


_CONTRACTS: dict[str, dict] = {}


def _independent_idle(state: dict) -> bool:
    """From the readable state (Engine.state): no running clock that can still breach, no timer,
    no obligation with a due."""
    return (not state["timers"] and all(due is None for due in state["obligations"].values())
            and all(c["due"] is None or c["breached"] for c in state["clocks"].values()))


@settings(max_examples=6, deadline=None)
@given(seed=st.sampled_from((1, 2, 3)), days=st.sampled_from((0, 0.25, 1, 3, 30)))
def test_property_evicting_equals_keeping_and_holds_only_open_tickets(seed, days):
    events, real = _log(seed), _real()
    keeping, evicting = Engine(real), _engine(real, days)
    retention = round(days * DAY)
    last_at: dict[str, int] = {}
    for n, event in enumerate(events):
        assert _feed(evicting, [event]) == _feed(keeping, [event])
        last_at[event["ticket"]] = ts(event["at"])
        if n % 7:
            continue
        now = evicting.now
        assert now is not None
        # every held ticket is open, or closed with something pending, or finished within the window
        for ticket, state in evicting.tickets.items():
            finished = evicting._finished.get(ticket)
            if finished is not None:
                assert finished + retention >= now
            elif state.closed:
                assert not _independent_idle(evicting.state(ticket))
        # so it holds the open tickets and those closed lately (their last deadline may come later)
        assert {t for t in evicting.tickets if keeping.tickets[t].closed} <= \
            {t for t, at in last_at.items() if at >= now - retention - 14 * DAY}
        # the seen ids are exactly those of the held tickets
        assert evicting._seen_ids == {eid for ids in evicting._ids.values() for eid in ids}
        assert set(evicting._ids) == set(evicting.tickets)
    end = evicting.now
    assert [a.to_json() for a in evicting.advance(end)] == [a.to_json() for a in keeping.advance(end)]
    if days <= 3:  # at the end most tickets are closed: a short window holds far fewer than the log
        assert len(evicting.tickets) < len(keeping.tickets) * 0.7


# --- obligo replay --retain ---------------------------------------------------------------------
def _replay(tmp_path, lines: list[dict], *flags: str) -> tuple[int, list[dict], str]:
    log, out, rejects = tmp_path / "log.jsonl", tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    err = io.StringIO()
    code = main(["replay", "--contracts", str(ACME), str(log), "--out", str(out), "--rejects", str(rejects), *flags],
                io.StringIO(), err)
    found = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()] if code == 0 else []
    return code, found, err.getvalue()


def test_replay_evicts_to_disk_and_answers_as_if_it_kept_everything(tmp_path):
    late = [ev("T1-5", "T1", "2026-06-12T10:00:00+02:00", "reopened"),  # three months after the close
            ev("T1-9", "T1", "2026-06-12T11:00:00+02:00", "opened", **S2)]  # T1 is known: already open
    lines = _closed_ticket() + [ev("x", "T2", "2026-03-11T10:00:00+01:00", "opened", **S2), *late]
    spool = tmp_path / "spool"
    spool.mkdir()
    outputs = []
    for flags in ([], ["--retain", "0", "--spool", str(spool)], ["--retain", "forever"]):
        code, rejects, _ = _replay(tmp_path, lines, *flags)
        assert code == 0 and [(r["line"], r["code"]) for r in rejects] == [(7, "already-open")]
        outputs.append((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] == outputs[2]
    assert list(spool.iterdir()) == []  # the evicted tickets' file is gone with the replay


@pytest.mark.parametrize("bad", ["-1", "soon", "nan", "1e9"])
def test_replay_refuses_a_bad_retain(tmp_path, bad):
    code, _, err = _replay(tmp_path, _closed_ticket(), "--retain", bad)
    assert code == 2 and "--retain expects" in err


def test_replay_says_what_to_do_when_evicted_tickets_cannot_be_kept(tmp_path, monkeypatch):
    from engine.runtime.spill import Spill, SpillError

    code, _, err = _replay(tmp_path, _closed_ticket(), "--spool", str(tmp_path / "gone"))
    assert code == 2 and "--spool" in err and "no such directory" in err

    def full(self, rows):
        raise SpillError("cannot write evicted tickets in /tmp: database or disk is full")

    monkeypatch.setattr(Spill, "put_many", full)
    lines = _closed_ticket() + [ev("x", "T2", "2026-03-11T10:00:00+01:00", "opened", **S2)]
    code, _, err = _replay(tmp_path, lines, "--retain", "0")
    assert code == 2 and "disk is full" in err and "--retain forever" in err and "internal error" not in err

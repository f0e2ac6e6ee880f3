"""`obligo explain` (engine.reports.explain): hand-computed explanations of the docs/FORMAT.md
walk-through contract, and agreement with the engine's own figures on every seed scenario, the
demo log and generated logs: for every stop_clock and breach, the counted intervals sum to the
action's `elapsed` and the pauses to its `paused`.

The walk-through contract (northwind): office hours Mon-Fri 08:00-18:00 Europe/Amsterdam (UTC+1
in early March 2027); P2 response 2 hours, resolution 2 business days; P1 30 minutes / 4 hours on
24x7; resolution paused while the status is awaiting_customer or awaiting_change.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from engine import Engine
from engine.cli.main import main
from engine.language.load import load_file
from engine.model.events import parse_event
from engine.replay.log import read_log
from engine.reports.explain import TicketExplanation, UnknownTicket, explain, explain_tickets
from engine.reports.explain_text import render_text

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
sys.path.insert(0, str(REPO / "tests"))
from runtime_fixtures.helpers import load_bench_generator  # noqa: E402

H = 3600


def ts(text: str) -> int:
    """RFC 3339 -> epoch seconds with the stdlib only (independent of the engine's parser)."""
    return int(datetime.fromisoformat(text).timestamp())


@pytest.fixture(scope="module")
def northwind(tmp_path_factory) -> Path:
    """The contract of docs/FORMAT.md "Write your own contract", steps 1 to 4, taken from the doc."""
    text = (REPO / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    walk = text[text.index("## Write your own contract"):]
    blocks = re.findall(r"```yaml\n(.*?)```", walk, re.S)
    path = tmp_path_factory.mktemp("northwind") / "northwind.yaml"
    path.write_text("".join(blocks[:4]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def contracts(northwind: Path) -> dict:
    return Engine.load([northwind]).contracts


def event(eid: str, at: str, kind: str, ticket: str = "INC-1", **attrs) -> dict:
    out: dict = {"id": eid, "ticket": ticket, "at": at, "type": kind}
    if kind == "opened":
        out["contract"] = "northwind"
    if attrs:
        out["attrs"] = attrs
    return out


# The walk-through's scenario: P2, answered in time, resolved late after waiting on the customer.
WALK = [
    event("e1", "2027-03-02T10:00:00+01:00", "opened", severity="P2", status="new"),
    event("e2", "2027-03-02T11:30:00+01:00", "responded"),
    event("e3", "2027-03-03T14:00:00+01:00", "updated", status="awaiting_customer"),
    event("e4", "2027-03-04T09:00:00+01:00", "updated", status="in_progress"),
    event("e5", "2027-03-04T16:00:00+01:00", "resolved"),
]


def test_walkthrough_resolution_paused_and_breached(contracts):
    x = explain(contracts, WALK, "INC-1")
    assert (x.ticket, x.contract, x.version, x.until) == ("INC-1", "northwind", "1", "2027-03-04T15:00:00Z")
    (res,) = x.cycles_of("resolution")
    assert (res.cycle, res.started, res.severity, res.target) == (1, "2027-03-02T09:00:00Z", "P2", "2 business days")
    assert (res.start.event, res.start.event_type, res.start.clause, res.start.rule_clause) == ("e1", "opened", "ND-RES",
                                                                                               "ND-RES")
    assert (res.calendar.id, res.calendar.zone, res.calendar.hours) == ("office", "Europe/Amsterdam",
                                                                        "Europe/Amsterdam Mon-Fri 08:00-18:00")
    # 2 business days from Tue 10:00 -> Thu 10:00 local (09:00Z); that is 8 h + 10 h + 2 h = 20 h of office time.
    assert res.first_due == "2027-03-04T09:00:00Z"
    assert res.verdict.budget == 20 * H
    # Counted: Tue 10:00-18:00, Wed 08:00-14:00 (paused), Thu 09:00-15:00 (20 h: the breach), Thu 15:00-16:00 after it.
    assert [(c.start, c.end, c.seconds, c.after_breach) for c in res.counted] == [
        ("2027-03-02T09:00:00Z", "2027-03-02T17:00:00Z", 8 * H, False),
        ("2027-03-03T07:00:00Z", "2027-03-03T13:00:00Z", 6 * H, False),
        ("2027-03-04T08:00:00Z", "2027-03-04T14:00:00Z", 6 * H, False),
        ("2027-03-04T14:00:00Z", "2027-03-04T15:00:00Z", 1 * H, True),
    ]
    # Paused Wed 14:00 -> Thu 09:00 local: Wed 14-18 and Thu 08-09 are office time, 5 h.
    (pause,) = res.pauses
    assert (pause.start, pause.end, pause.seconds) == ("2027-03-03T13:00:00Z", "2027-03-04T08:00:00Z", 5 * H)
    assert (pause.paused_by.event, pause.paused_by.rule_clause) == ("e3", "ND-WAIT")
    assert pause.resumed_by is not None and (pause.resumed_by.event, pause.resumed_by.rule_clause) == ("e4", "ND-WAIT")
    # Every due: start (Thu 09:00Z), none while paused, resumed with 6 h left -> Thu 15:00 local (14:00Z), the breach.
    assert [(d.action, d.due) for d in res.dues] == [
        ("start_clock", "2027-03-04T09:00:00Z"), ("pause_clock", None), ("resume_clock", "2027-03-04T14:00:00Z"),
        ("breach", "2027-03-04T14:00:00Z")]
    assert "moved the due later by 5 h" in res.dues[2].why
    v = res.verdict
    assert (v.status, v.breached_at, v.breach_elapsed, v.breach_paused) == ("breached", "2027-03-04T14:00:00Z", 20 * H,
                                                                            5 * H)
    assert (v.at, v.elapsed, v.paused) == ("2027-03-04T15:00:00Z", 21 * H, 5 * H)
    assert v.stopped_by is not None and v.stopped_by.event == "e5"
    assert (res.elapsed, res.paused, res.notes) == (21 * H, 5 * H, [])


def test_walkthrough_response_met(contracts):
    (resp,) = explain(contracts, WALK, "INC-1").cycles_of("response")
    # 2 business hours from Tue 10:00 -> 12:00 local (11:00Z); answered 11:30 local after 1 h 30 min.
    assert [(c.start, c.end, c.seconds) for c in resp.counted] == [("2027-03-02T09:00:00Z", "2027-03-02T10:30:00Z",
                                                                     5400)]
    v = resp.verdict
    assert (v.status, v.at, v.due, v.elapsed, v.paused, v.budget) == ("met", "2027-03-02T10:30:00Z",
                                                                      "2027-03-02T11:00:00Z", 5400, 0, 2 * H)
    assert v.text.startswith("met at 2027-03-02T10:30:00Z: 1 h 30 min of 2 hours (2 h) used")


def test_severity_change_moves_target_calendar_and_due(contracts):
    # Opened Tue 17:30 local as P2: response 2 h of office time: Tue 17:30-18:00 + Wed 08:00-09:30 -> due Wed 08:30Z.
    # Tue 17:50 local it becomes P1: 30 minutes on 24x7, 20 min already counted -> due 16:50Z + 10 min = 17:00Z.
    # Answered 18:10 local (17:10Z): breached at 17:00Z with 30 min counted, stopped with 40 min.
    events = [
        event("a1", "2027-03-02T17:30:00+01:00", "opened", ticket="INC-7", severity="P2", status="new"),
        event("a2", "2027-03-02T17:50:00+01:00", "updated", ticket="INC-7", severity="P1"),
        event("a3", "2027-03-02T18:10:00+01:00", "responded", ticket="INC-7"),
    ]
    (resp,) = explain(contracts, events, "INC-7").cycles_of("response")
    (change,) = resp.target_changes
    assert (change.at, change.severity_before, change.severity_after) == ("2027-03-02T16:50:00Z", "P2", "P1")
    assert (change.target_before, change.target_after, change.calendar_before, change.calendar_after) == (
        "2 hours", "30 minutes", "office", "24x7")
    assert (change.due_before, change.due_after, change.elapsed, change.exceeded) == (
        "2027-03-03T08:30:00Z", "2027-03-02T17:00:00Z", 1200, False)
    assert change.cause.event == "a2"
    assert [(c.start, c.end, c.seconds, c.calendar, c.after_breach) for c in resp.counted] == [
        ("2027-03-02T16:30:00Z", "2027-03-02T16:50:00Z", 1200, "office", False),
        ("2027-03-02T16:50:00Z", "2027-03-02T17:00:00Z", 600, "24x7", False),
        ("2027-03-02T17:00:00Z", "2027-03-02T17:10:00Z", 600, "24x7", True),
    ]
    v = resp.verdict
    assert (v.status, v.breached_at, v.breach_elapsed, v.elapsed, v.budget) == (
        "breached", "2027-03-02T17:00:00Z", 1800, 2400, 1800)
    assert [(d.action, d.due) for d in resp.dues] == [
        ("start_clock", "2027-03-03T08:30:00Z"), ("reschedule_clock", "2027-03-02T17:00:00Z"),
        ("breach", "2027-03-02T17:00:00Z")]


def test_running_at_the_end_and_until(contracts):
    # Opened Mon 2027-03-08 09:00 local P3: 5 business days of resolution. Explained up to Tue 12:00 local:
    # running, Mon 09-18 and Tue 08-12 counted (13 h).
    events = [event("b1", "2027-03-08T09:00:00+01:00", "opened", ticket="INC-9", severity="P3", status="new")]
    x = explain(contracts, events, "INC-9", until=ts("2027-03-09T12:00:00+01:00"))
    (res,) = x.cycles_of("resolution")
    assert res.verdict.status == "running" and res.verdict.at is None
    assert res.verdict.due == "2027-03-15T08:00:00Z"  # Mon 09:00 local + 5 business days
    assert [(c.start, c.end) for c in res.counted] == [("2027-03-08T08:00:00Z", "2027-03-08T17:00:00Z"),
                                                       ("2027-03-09T07:00:00Z", "2027-03-09T11:00:00Z")]
    assert res.elapsed == 13 * H


def test_rejected_event_is_shown_with_its_reason(contracts):
    events = [*WALK[:2], event("e9", "2027-03-02T12:00:00+01:00", "updated", status="awaiting_vendor")]
    x = explain(contracts, events, "INC-1")
    note = next(e for e in x.events if e.id == "e9")
    assert note.status == "rejected" and note.reason.startswith("invalid-attribute:")
    assert "REJECTED: invalid-attribute" in render_text(x)


def test_only_the_ticket_is_evaluated_but_the_stream_sets_the_time(contracts):
    # Another ticket's later event moves the stream's time: INC-1's resolution breach fires by then.
    other = event("o1", "2027-03-05T10:00:00+01:00", "opened", ticket="INC-2", severity="P3", status="new")
    x = explain(contracts, [*WALK[:3], other], "INC-1")
    assert x.until == "2027-03-05T09:00:00Z"
    (res,) = x.cycles_of("resolution")
    assert res.verdict.status == "paused" and res.pauses[0].end is None
    assert [a["ticket"] for a in x.actions] == ["INC-1"] * len(x.actions)


def test_json_round_trip_and_cli_json(contracts, northwind, tmp_path):
    x = explain(contracts, WALK, "INC-1")
    data = json.loads(json.dumps(x.to_dict()))
    assert TicketExplanation.from_dict(data) == x
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in WALK), encoding="utf-8")
    runs = []
    for _ in range(2):
        out, err = io.StringIO(), io.StringIO()
        assert main(["explain", "--contracts", str(northwind), str(log), "--ticket", "INC-1", "--format", "json"],
                    out, err) == 0, err.getvalue()
        runs.append(out.getvalue())
    assert runs[0] == runs[1]
    assert json.loads(runs[0]) == data
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", "--contracts", str(northwind), str(log), "--ticket", "INC-1"], out, err) == 0
    text = out.getvalue()
    assert "resolution, cycle 1: BREACHED" in text
    assert "Thu 2027-03-04 09:00-15:00" in text and "Wed 2027-03-03 08:00-14:00" in text


def test_unknown_ticket(contracts, northwind, tmp_path):
    with pytest.raises(UnknownTicket) as info:
        explain(contracts, WALK, "INC-l")
    assert info.value.code == "unknown-ticket" and info.value.hint == "; did you mean 'INC-1'?"
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in WALK), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", "--contracts", str(northwind), str(log), "--ticket", "INC-l"], out, err) == 2
    assert err.getvalue() == "obligo explain: no event of ticket 'INC-l' in the log; did you mean 'INC-1'?\n"
    assert out.getvalue() == ""
    assert main(["explain", "--contracts", str(northwind), str(tmp_path / "missing.jsonl"), "--ticket", "X"],
                io.StringIO(), err := io.StringIO()) == 2
    assert "missing.jsonl: No such file or directory" in err.getvalue()


def test_the_cli_streams_any_order_standard_input_and_an_import_alike(contracts, northwind, tmp_path,
                                                                       monkeypatch):
    """The log is read as it comes (only the ticket's events kept): a shuffled file with a bad line,
    the same bytes on standard input, and `--mapping` (read through import_stream) explain as the
    sorted log does."""
    import random

    lines = [json.dumps(e) for e in WALK] + [json.dumps({**WALK[-1], "id": "other", "ticket": "INC-9"})]
    ordered = tmp_path / "ordered.jsonl"
    ordered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shuffled = tmp_path / "shuffled.jsonl"
    mixed = lines[:]
    random.Random(7).shuffle(mixed)
    shuffled.write_text("\n".join(["{not json", *mixed]) + "\n", encoding="utf-8")

    def explained(*source: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        assert main(["explain", "--contracts", str(northwind), *source, "--ticket", "INC-1", "--format", "json"],
                    out, err) == 0, err.getvalue()
        return out.getvalue()

    want = explained(str(ordered))
    assert "BREACHED" in render_text(TicketExplanation.from_dict(json.loads(want)))
    assert explained(str(shuffled)) == want
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(shuffled.read_bytes()), encoding="utf-8"))
    assert explained("-") == want
    fixtures = REPO / "tests" / "ingest" / "fixtures"
    mapping = ("--mapping", str(fixtures / "desk.yaml"), "--set", "contract=servicenow")
    imported = tmp_path / "imported.jsonl"
    assert main(["import", *mapping, str(fixtures / "desk.csv"), "--out", str(imported)],
                io.StringIO(), io.StringIO()) == 0
    for ticket in ("T1", "T2"):
        runs = []
        for source in ([str(imported)], [*mapping, str(fixtures / "desk.csv")]):
            out, err = io.StringIO(), io.StringIO()
            assert main(["explain", "--contracts", str(REPO / "examples" / "servicenow"), *source, "--ticket", ticket,
                         "--format", "json"], out, err) == 0, err.getvalue()
            runs.append(out.getvalue())
        assert runs[0] == runs[1] and json.loads(runs[0])["ticket"] == ticket


# --------------------------------------------------------------------------- agreement with the engine


def check_agreement(contracts: dict, events: list, until: int | None = None) -> int:
    """Replay everything in one engine; explain every ticket; the explanation's actions are the
    replay's and its figures the actions' `elapsed`/`paused`. Returns how many figures it checked."""
    good, _ = read_log(json.dumps(e) for e in events)
    engine = Engine(contracts)
    per_ticket: dict[str, list[dict]] = defaultdict(list)
    last = None
    for at, _, ev, _ in good:
        try:
            produced = engine.process(ev)
            last = at
        except Exception:  # noqa: BLE001  rejects and duplicates: the replay goes on
            continue
        for a in produced:
            per_ticket[a.ticket].append(a.to_dict())
    end = until if until is not None else good[-1][0] if good else last
    if end is not None:
        for a in engine.advance(end):
            per_ticket[a.ticket].append(a.to_dict())
    tickets = sorted({ev.ticket for _, _, ev, _ in good})
    explained = explain_tickets(contracts, [ev for _, _, ev, _ in good], tickets, until=until)
    checked = 0
    for ticket in tickets:
        x = explained[ticket]
        assert x.actions == per_ticket[ticket], ticket
        closing = [a for a in per_ticket[ticket] if a["action"] in ("stop_clock", "breach")]
        for cycle in x.cycles:
            assert cycle.notes == [], (ticket, cycle.notes)
            v = cycle.verdict
            if v.breached_at is not None:
                action = next(a for a in closing if a["action"] == "breach" and a["clock"] == cycle.clock
                              and a["at"] == v.breached_at)
                before = sum(c.seconds for c in cycle.counted if not c.after_breach)
                assert (before, v.breach_elapsed, v.breach_paused) == (action["elapsed"], action["elapsed"],
                                                                       action["paused"]), ticket
                checked += 1
            if v.stopped_by is not None:
                stop = next(a for a in closing if a["action"] == "stop_clock" and a["clock"] == cycle.clock
                            and a["at"] == v.at)
                assert (cycle.elapsed, cycle.paused) == (stop["elapsed"], stop["paused"]), ticket
                checked += 1
    return checked


def scenario_cases() -> list:
    cases = []
    for path in sorted(CONTRACTS.glob("*.tests.yaml")):
        doc, _ = load_file(path)
        assert doc is not None
        for spec in doc.data["scenarios"]:
            cases.append(pytest.param(doc.data["contract"], spec, id=f"{path.stem}:{spec['name'][:40]}"))
    return cases


@pytest.fixture(scope="module")
def seed_engines() -> dict:
    return {}


@pytest.mark.parametrize(("cid", "spec"), scenario_cases())
def test_agrees_on_every_seed_scenario(cid, spec, seed_engines):
    key = (cid, json.dumps(spec.get("params") or {}, sort_keys=True, default=str))
    if key not in seed_engines:
        seed_engines[key] = Engine.load([CONTRACTS / f"{cid}.yaml"], {cid: spec["params"]} if spec.get("params")
                                        else None).contracts
    contracts = seed_engines[key]
    events = []
    for i, raw in enumerate(spec["events"]):
        e = {"id": f"e{i + 1}", "ticket": spec.get("ticket", "T-1"), **raw}
        if e["type"] == "opened":
            e.setdefault("contract", cid)
        events.append(e)
    until = ts(spec["until"]) if spec.get("until") else None
    check_agreement(contracts, events, until)


def test_agrees_on_the_demo_log():
    contracts = Engine.load([CONTRACTS]).contracts
    lines = (REPO / "bench" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    events = []
    for line in lines:  # the demo log holds a few bad lines on purpose: a replay rejects them
        try:
            parse_event(json.loads(line))
        except Exception:  # noqa: BLE001
            continue
        events.append(json.loads(line))
    assert check_agreement(contracts, events) > 50


@pytest.mark.parametrize("seed", [3, 19])
def test_agrees_on_generated_logs(seed):
    gen = load_bench_generator()
    contracts = Engine.load([CONTRACTS]).contracts
    events = gen.only_contracts(gen.generate(400, seed), contracts)
    checked = check_agreement(contracts, events)
    assert checked > 500
    x = explain_tickets(contracts, events, sorted({e["ticket"] for e in events}))
    statuses = {c.verdict.status for t in x.values() for c in t.cycles}
    assert {"met", "breached"} <= statuses and statuses & {"running", "paused"}  # the property saw these endings
    assert any(c.target_changes for t in x.values() for c in t.cycles)
    assert any(c.pauses for t in x.values() for c in t.cycles)

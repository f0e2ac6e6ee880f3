"""Rows -> events on a hand-written CSV (fixtures/desk.csv + desk.yaml): every event and reject
written out by hand from the mapping's rules (docs/IMPORT.md), not computed by the code under test."""

from __future__ import annotations

import json
from pathlib import Path

from engine.ingest import import_events

HERE = Path(__file__).parent / "fixtures"
AMS = "+01:00"  # Amsterdam in March 2026 before the 29th: CET


def ev(id_, ticket, at, type_, **rest):
    return {"id": id_, "ticket": ticket, "at": f"2026-03-02T{at}:00{AMS}", "type": type_, **rest}


EXPECTED = [
    # T2 opens at its opened_at 08:00; its row 12 is stamped 07:50, before that: clamped to 08:00
    ev("T2:7:opened", "T2", "08:00", "opened", contract="desk-sla",
       attrs={"made_sla": True, "severity": "P3", "status": "new"}),  # Walk-in maps to no channel
    ev("T2:12:updated", "T2", "08:00", "updated", attrs={"channel": "web", "status": "resolved"}),
    ev("T2:12:responded", "T2", "08:00", "responded"),
    ev("T2:12:resolved", "T2", "08:00", "resolved"),
    ev("T1:2:opened", "T1", "09:00", "opened", contract="desk-sla",
       attrs={"channel": "phone", "made_sla": True, "severity": "P2", "status": "new"}),
    ev("T2:13:updated", "T2", "09:00", "updated", attrs={"status": "active"}),
    ev("T2:13:reopened", "T2", "09:00", "reopened"),  # Active from Resolved
    ev("T1:3:updated", "T1", "09:30", "updated", attrs={"status": "active"}),
    ev("T1:3:responded", "T1", "09:30", "responded"),
    ev("T1:4:updated", "T1", "10:00", "updated", attrs={"severity": "P1", "status": "waiting"}),
    # seq 3 is on line 6 and seq 4 on line 5: the order column wins over the file order
    ev("T1:6:updated", "T1", "11:00", "updated", attrs={"channel": None, "status": "active"}),  # '?' = missing
    ev("T1:5:updated", "T1", "12:00", "updated", attrs={"channel": "phone", "made_sla": False, "status": "resolved"}),
    ev("T1:5:resolved", "T1", "12:00", "resolved"),
]


def test_events_exactly_as_counted_by_hand():
    result = import_events(HERE / "desk.yaml", [HERE / "desk.csv"])
    assert result.events == EXPECTED
    assert (result.rows, result.tickets) == (12, 2)
    assert result.by_type == {"opened": 2, "reopened": 1, "resolved": 2, "responded": 2, "updated": 6}


def test_bad_rows_are_rejected_with_line_column_and_code_and_the_rest_goes_on():
    result = import_events(HERE / "desk.yaml", [HERE / "desk.csv"])
    got = [(r.line, r.column, r.code) for r in result.rejects]
    assert got == [(8, "state", "import-unknown-state"), (9, "number", "import-missing-ticket"),
                   (10, "updated_at", "import-bad-instant"), (11, "priority", "import-unknown-severity")]
    assert result.rejects[0].input.startswith("T2,Bogus,1,")
    assert "31/2/2026 08:20" in result.rejects[2].reason


def test_overrides_contract_and_zone():
    result = import_events(HERE / "desk.yaml", [HERE / "desk.csv"], {"contract": "other", "timezone": "UTC"})
    opened = result.events[0]
    assert opened["contract"] == "other" and opened["at"] == "2026-03-02T08:00:00+00:00"


def test_same_input_same_bytes():
    one = "\n".join(import_events(HERE / "desk.yaml", [HERE / "desk.csv"]).lines())
    two = "\n".join(import_events(HERE / "desk.yaml", [HERE / "desk.csv"]).lines())
    assert one == two and json.loads(one.splitlines()[0])["id"] == "T2:7:opened"


def test_dst_instants_fold_0():
    """Europe/Amsterdam 2026-10-25 02:30 happens twice: the first (CEST, +02:00); 2026-03-29 02:30 does
    not exist: read with the offset before the gap (+01:00), i.e. 01:30Z."""
    from engine.ingest.mapping import load_mapping_file
    from engine.ingest.transform import parse_instant

    mapping, _ = load_mapping_file(HERE / "desk.yaml")
    assert mapping is not None
    assert parse_instant("25/10/2026 02:30", mapping).isoformat() == "2026-10-25T02:30:00+02:00"
    gap = parse_instant("29/3/2026 02:30", mapping)
    assert gap.utcoffset().total_seconds() == 3600

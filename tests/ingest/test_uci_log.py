"""The built-in `servicenow` mapping on the real UCI incident log (skipped when ../shared/data is absent):
the counts the data set documents and our own count of its rows, and identical bytes on a second import."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest

from engine.ingest import import_events

LOG = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "uci-incident-log" / "incident_event_log.csv.gz"
pytestmark = pytest.mark.skipif(not LOG.exists(), reason="../shared/data (the public logs) is absent")


@pytest.fixture(scope="module")
def imported():
    return import_events("servicenow", [LOG])


def test_counts(imported):
    # the data set: 141,712 rows, 24,918 incidents; 5 rows hold the state '-100' (counted with csv below)
    assert (imported.rows, imported.tickets) == (141_712, 24_918)
    assert imported.by_type["opened"] == 24_918
    assert [(r.code, r.column) for r in imported.rejects] == [("import-unknown-state", "incident_state")] * 5
    with gzip.open(LOG, "rt", encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    states = Counter(r["incident_state"] for r in rows)
    assert states["-100"] == 5
    # every incident reaches Closed once at least; the closed events are the changes into Closed
    closes = sum(1 for a, b in zip(rows, rows[1:], strict=False)
                 if b["incident_state"] == "Closed" and (a["number"] != b["number"] or a["incident_state"] != "Closed"))
    assert imported.by_type["closed"] == closes
    made = {r["number"]: r["made_sla"] for r in rows}  # file order is sys_mod_count order for all but a few
    last = {}
    for event in imported.events:
        if "made_sla" in event.get("attrs", {}):
            last[event["ticket"]] = event["attrs"]["made_sla"]
    assert sum(1 for v in last.values() if v is False) == sum(1 for v in made.values() if v == "false") == 9_115


def test_twice_identical_bytes(imported):
    again = import_events("servicenow", [LOG])
    assert "\n".join(again.lines()) == "\n".join(imported.lines())

"""The bpi2014, helpdesk and bpi2013 built-in mappings (docs/IMPORT.md) on the real logs of
../shared/data (skipped when that folder is absent) and on small hand-written exports in the same
shapes (always run): counts against the logs' published figures, events of single tickets read
off the raw rows by hand, rejects located, byte-identical re-imports, and `obligo replay
--mapping` with the example contracts of examples/<name>/."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.ingest import import_events

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
LOGS = {
    "bpi2014": DATA / "bpi2014" / "BPIC14_incident_log.csv.gz",
    "helpdesk": DATA / "helpdesk" / "helpdesk.csv.gz",
    "bpi2013": DATA / "bpi2013" / "bpi_challenge_2013_incidents.xes.gz",
}
# published figures of each log (shared/data/README.md): rows (activities / events), cases
FIGURES = {"bpi2014": (39_911, 4_000), "helpdesk": (21_348, 4_580), "bpi2013": (65_533, 7_554)}

needs = {name: pytest.mark.skipif(not path.exists(), reason=f"needs ../shared/data ({path.name})")
         for name, path in LOGS.items()}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def imported() -> dict:
    """Each real log imported once for the module (those present)."""
    return {name: import_events(name, [path]) for name, path in LOGS.items() if path.exists()}


# --- the real logs ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [pytest.param(n, marks=needs[n]) for n in LOGS])
def test_counts_match_the_published_figures(name: str, imported: dict) -> None:
    result = imported[name]
    rows, cases = FIGURES[name]
    assert result.rows == rows
    assert result.tickets == cases
    assert result.by_type["opened"] == cases
    assert result.rejects == []  # every row of these logs maps (unknown states would be rejected)
    assert sum(1 for e in result.events if e["type"] == "opened" and "severity" in e["attrs"]) == cases


@pytest.mark.parametrize("name", [pytest.param(n, marks=needs[n]) for n in LOGS])
def test_two_imports_give_identical_bytes(name: str, imported: dict) -> None:
    again = import_events(name, [LOGS[name]])
    assert list(again.lines()) == list(imported[name].lines())


@needs["bpi2014"]
def test_bpi2014_incident_read_by_hand(imported: dict) -> None:
    # IM0000048 in the raw files: Open 2013-02-06T13:07:45Z (case open_time_utc 14:07:43Z is later,
    # so the first row's own stamp counts), priority 5, Assignment/Status Change/... at 13:10:52,
    # Closed 15:23:11, Reopen 2013-10-17T12:22:44Z, Closed 14:00:31Z
    events = [(e["at"], e["type"], e.get("attrs", {}).get("status")) for e in imported["bpi2014"].events
              if e["ticket"] == "IM0000048"]
    assert events == [
        ("2013-02-06T13:07:45+00:00", "opened", "open"),
        ("2013-02-06T13:10:52+00:00", "updated", "in_progress"),
        ("2013-02-06T13:10:52+00:00", "acknowledged", None),
        ("2013-02-06T15:23:11+00:00", "updated", "closed"),
        ("2013-02-06T15:23:11+00:00", "closed", None),
        ("2013-10-17T12:22:44+00:00", "updated", "in_progress"),
        ("2013-10-17T12:22:44+00:00", "reopened", None),
        ("2013-10-17T14:00:31+00:00", "updated", "closed"),
        ("2013-10-17T14:00:31+00:00", "closed", None),
    ]
    opened = next(e for e in imported["bpi2014"].events if e["id"].startswith("IM0000048:") and e["type"] == "opened")
    assert opened["attrs"]["severity"] == "P5" and opened["attrs"]["category"] == "request for information"
    # IM0000013 has no Open activity: it opens at the case's open_time_utc, months before its first row
    first = next(e for e in imported["bpi2014"].events if e["ticket"] == "IM0000013")
    assert (first["type"], first["at"], first["attrs"]["severity"]) == ("opened", "2012-08-10T11:27:59+00:00", "P4")


@needs["helpdesk"]
def test_helpdesk_case_read_by_hand(imported: dict) -> None:
    # Case 7: Assign seriousness x2 (Value 1), a third one sets seriousness_2 Value 2 on
    # 2013/11/22 08:00:08, Take in charge 11/25 08:18:07, Resolve 08:57:19, Closed 12/10 08:57:37
    events = [(e["at"], e["type"], e.get("attrs")) for e in imported["helpdesk"].events if e["ticket"] == "Case 7"]
    assert [(at, kind) for at, kind, _ in events] == [
        ("2013-11-06T10:47:35+01:00", "opened"),
        ("2013-11-22T08:00:08+01:00", "updated"),
        ("2013-11-25T08:18:07+01:00", "updated"),
        ("2013-11-25T08:18:07+01:00", "responded"),
        ("2013-11-25T08:57:19+01:00", "updated"),
        ("2013-11-25T08:57:19+01:00", "resolved"),
        ("2013-12-10T08:57:37+01:00", "updated"),
        ("2013-12-10T08:57:37+01:00", "closed"),
    ]
    assert events[0][2]["severity"] == "S1" and events[0][2]["status"] == "new"
    assert events[1][2] == {"severity": "S2"}


@needs["bpi2013"]
def test_bpi2013_trace_read_by_hand(imported: dict) -> None:
    # trace 1-364285768 (the first of the file): In Progress at 2010-03-31T16:59:42+02:00, impact
    # Medium; Resolved 2010-04-06T16:44:51 then Awaiting Assignment 16 s later (taken up again);
    # Closed 2012-05-11T01:26:15+02:00
    events = [e for e in imported["bpi2013"].events if e["ticket"] == "1-364285768"]
    assert (events[0]["type"], events[0]["at"], events[0]["attrs"]["severity"], events[0]["attrs"]["status"]) == (
        "opened", "2010-03-31T16:59:42+02:00", "P3", "in_progress")
    assert events[1]["type"] == "responded"
    kinds = [(e["at"], e["type"]) for e in events if e["type"] != "updated"]
    assert ("2010-04-06T16:44:51+02:00", "resolved") in kinds
    assert ("2010-04-06T16:45:07+02:00", "reopened") in kinds
    assert kinds[-1] == ("2012-05-11T01:26:15+02:00", "closed")
    assert sum(1 for _, kind in kinds if kind == "resolved") == 2


@pytest.mark.parametrize("name", [pytest.param(n, marks=needs[n]) for n in LOGS])
def test_replay_with_the_example_contract(name: str, tmp_path: Path) -> None:
    out, rejects = tmp_path / "actions.jsonl", tmp_path / "rejects.jsonl"
    code, stdout, stderr = cli("replay", "--contracts", REPO / "examples" / name, "--mapping", name, LOGS[name],
                               "--out", out, "--rejects", rejects)
    assert code == 0, stderr
    assert rejects.read_text() == ""
    actions = [json.loads(line) for line in out.read_text().splitlines()]
    assert {a["action"] for a in actions} >= {"start_clock", "stop_clock", "breach", "pause_clock", "resume_clock"}


# --- small exports in the same shapes (no shared data needed) ------------------------------------

BPI14_HEADER = ("incident_id,data_stamp,incident_activity_number,incident_activity_type,assignment_group,"
                "km_number,interaction_id,lifecycle,timestamp_utc")
CASE_HEADER = "incident_id,impact,urgency,priority,category,open_time_utc"


def write_gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def test_bpi2014_pending_vendor_lasts_until_own_staff_acts_and_rejects_are_located(tmp_path: Path) -> None:
    # rows deliberately out of order; the same second holds Status Change (A2) and Pending vendor
    # (A3) in activity-number order, listed reversed in the file
    log = write_gz(tmp_path / "BPIC14_incident_log.csv.gz", "\n".join([
        BPI14_HEADER,
        "IM1,0,A3,Pending vendor,T1,,,complete,2013-10-15T10:00:00Z",
        "IM1,0,A2,Status Change,T1,,,complete,2013-10-15T10:00:00Z",
        "IM1,0,A1,Open,T1,,,complete,2013-10-15T09:00:00Z",
        "IM1,0,A4,Caused By CI,T1,,,complete,2013-10-15T11:00:00Z",
        "IM1,0,A5,External Vendor Assignment,T2,,,complete,2013-10-15T12:00:00Z",
        "IM1,0,A6,Operator Update,T2,,,complete,2013-10-16T09:00:00Z",
        "IM1,0,A7,Closed,T2,,,complete,2013-10-16T10:00:00Z",
        "IM1,0,A8,Teleportation,T2,,,complete,2013-10-16T11:00:00Z",
        "IM1,0,A9,Update,T2,,,complete,16/10/2013 12:00",
        "",
    ]))
    write_gz(tmp_path / "BPIC14_incident_case_attributes.csv.gz",
             CASE_HEADER + "\nIM1,4,4,4,incident,2013-10-15T09:00:02Z\n")
    result = import_events("bpi2014", [log])
    assert [(e["at"][11:19], e["type"], e.get("attrs", {}).get("status")) for e in result.events] == [
        ("09:00:00", "opened", "open"),
        ("10:00:00", "updated", "in_progress"),
        ("10:00:00", "acknowledged", None),
        ("10:00:00", "updated", "pending_vendor"),   # Caused By CI and the vendor's row keep it
        ("12:00:00", "updated", None),               # only the group changed (T2)
        ("09:00:00", "updated", "in_progress"),      # next day: Operator Update ends the wait
        ("10:00:00", "updated", "closed"),
        ("10:00:00", "closed", None),
    ]
    assert result.events[0]["attrs"]["severity"] == "P4"
    assert [(r.line, r.column, r.code) for r in result.rejects] == [
        (9, "incident_activity_type", "import-unknown-state"),
        (10, "timestamp_utc", "import-bad-instant"),
    ]
    assert list(import_events("bpi2014", [log]).lines()) == list(result.lines())


def test_helpdesk_wait_and_taking_up_again(tmp_path: Path) -> None:
    header = ("Case ID,Activity,Resource,Complete Timestamp,Variant,Variant index,Variant,seriousness,customer,"
              "product,responsible_section,seriousness_2,service_level,service_type,support_section,workgroup")
    row = "Case 1,{},Value 1,{},Variant 1,1,Variant 1,Value 1,Value 1,Value 1,Value 1,{},Value 2,Value 1,Value 1,Value 1"
    log = write_gz(tmp_path / "helpdesk.csv.gz", "\n".join([
        header,
        row.format("Assign seriousness", "2013/11/04 16:00:00.000", "Value 2"),
        row.format("Take in charge ticket", "2013/11/05 10:00:00.000", "Value 2"),
        row.format("Wait", "2013/11/06 12:00:00.000", "Value 2"),
        row.format("Resolve ticket", "2013/11/08 12:00:00.000", "Value 2"),
        row.format("Take in charge ticket", "2013/11/11 09:00:00.000", "Value 2"),
        row.format("Resolve ticket", "2013/11/11 10:00:00.000", "Value 9"),
        "",
    ]))
    result = import_events("helpdesk", [log])
    assert [(e["at"], e["type"], e.get("attrs", {}).get("status")) for e in result.events] == [
        ("2013-11-04T16:00:00+01:00", "opened", "new"),
        ("2013-11-05T10:00:00+01:00", "updated", "in_progress"),
        ("2013-11-05T10:00:00+01:00", "responded", None),
        ("2013-11-06T12:00:00+01:00", "updated", "waiting"),
        ("2013-11-08T12:00:00+01:00", "updated", "resolved"),
        ("2013-11-08T12:00:00+01:00", "resolved", None),
        ("2013-11-11T09:00:00+01:00", "updated", "in_progress"),
        ("2013-11-11T09:00:00+01:00", "reopened", None),
    ]
    assert result.events[0]["attrs"]["severity"] == "S2"
    assert [(r.line, r.column, r.code) for r in result.rejects] == [(7, "seriousness_2", "import-unknown-severity")]


def test_bpi2013_small_xes(tmp_path: Path) -> None:
    def event(name: str, sub: str, at: str, impact: str = "High") -> str:
        return (f'<event><string key="org:group" value="G1"/><string key="organization country" value="se"/>'
                f'<string key="organization involved" value="Org line C"/><string key="concept:name" value="{name}"/>'
                f'<string key="impact" value="{impact}"/><string key="product" value="PROD1"/>'
                f'<string key="lifecycle:transition" value="{sub}"/><date key="time:timestamp" value="{at}"/></event>\n')
    xes = ('<?xml version="1.0" encoding="UTF-8"?>\n<log>\n<trace><string key="concept:name" value="1-1"/>\n'
           + event("Queued", "Awaiting Assignment", "2012-04-14T10:00:00.000+02:00")
           + event("Accepted", "In Progress", "2012-04-14T10:30:00.000+02:00")
           + event("Accepted", "Wait - User", "2012-04-14T11:00:00.000+02:00")
           + event("Completed", "In Call", "2012-04-16T09:00:00.000+02:00")
           + event("Completed", "In Call", "2012-04-16T09:05:00.000+02:00")
           + event("Queued", "Awaiting Assignment", "2012-04-16T10:00:00.000+02:00")
           + event("Accepted", "Coffee", "2012-04-16T11:00:00.000+02:00")
           + event("Completed", "Closed", "2012-04-18T09:00:00.000+02:00", impact="Huge")
           + event("Completed", "Closed", "2012-04-18T09:00:00.000+02:00")
           + "</trace>\n</log>\n")
    log = write_gz(tmp_path / "small.xes.gz", xes)
    result = import_events("bpi2013", [log])
    assert [(e["at"][5:16], e["type"], e.get("attrs", {}).get("status")) for e in result.events] == [
        ("04-14T10:00", "opened", "queued"),
        ("04-14T10:30", "updated", "in_progress"),
        ("04-14T10:30", "responded", None),
        ("04-14T11:00", "updated", "wait_user"),
        ("04-16T09:00", "updated", "resolved"),
        ("04-16T09:00", "resolved", None),          # the second In Call in a row is no new event
        ("04-16T10:00", "updated", "queued"),
        ("04-16T10:00", "reopened", None),
        ("04-18T09:00", "updated", "closed"),
        ("04-18T09:00", "closed", None),
    ]
    assert result.events[0]["attrs"]["severity"] == "P2"
    assert [(r.line, r.column, r.code) for r in result.rejects] == [
        (10, "lifecycle:transition", "import-unknown-state"),
        (11, "impact", "import-unknown-severity"),
    ]

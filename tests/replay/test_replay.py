"""engine.replay: ordering, duplicates, rejects, --until (fixture contract acme; Paris CET = UTC+1,
2026-03-02 is a Monday; acme S2: response 4 business hours, resolution 3 business days)."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_fixtures.helpers import ATTRS_S2, MESSY_LOG, ev, jsonl, load, pick

from engine.language.schema import instance_errors
from engine.replay.log import read_log, replay


def run_replay(text: str, until: str | None = None, engine=None):
    from engine.model.events import parse_instant

    engine = engine or load()
    out, rejects = io.StringIO(), io.StringIO()
    stats = replay(engine, io.StringIO(text), out, rejects, parse_instant(until) if until else None)
    actions = [json.loads(line) for line in out.getvalue().splitlines()]
    bad = [json.loads(line) for line in rejects.getvalue().splitlines()]
    return stats, actions, bad, out.getvalue()


def test_messy_log_rejects_each_bad_line_with_its_number_and_goes_on():
    stats, actions, bad, _ = run_replay(MESSY_LOG)
    assert [(r["line"], r["reason"].split(";")[0]) for r in bad] == [
        (2, "invalid JSON: Expecting value at column 1"),
        (3, "'at' has no offset: '2026-03-02T10:30:00'"),
        (4, "unknown contract 'nosuch'"),
        (5, "unknown ticket 'T9': no 'opened' event before this 'responded'"),
        # line 6 is T3's responded at 08:00Z, before T3's opened (09:30Z): the log is sorted first
        (6, "unknown ticket 'T3': no 'opened' event before this 'responded'"),
        (11, "attrs.channel is 'fax'"),
    ]
    assert bad[0]["input"] == "this is not json"
    # T1 opened 09:00Z: response Mon 10:00 + 4 h = 14:00 Paris = 13:00Z, resolution Thu 10:00 Paris = 09:00Z
    # T3 opened 09:30Z: response 14:30 Paris = 13:30Z, resolution Thu 10:30 Paris = 09:30Z
    # T1 responded 11:00Z <= 13:00Z: met; nothing else is due by the last event (11:00Z)
    assert pick(actions, "ticket", "action", "clock", "due", "met", "at") == [
        {"ticket": "T1", "action": "start_clock", "clock": "response", "due": "2026-03-02T13:00:00Z",
         "at": "2026-03-02T09:00:00Z"},
        {"ticket": "T1", "action": "start_clock", "clock": "resolution", "due": "2026-03-05T09:00:00Z",
         "at": "2026-03-02T09:00:00Z"},
        {"ticket": "T3", "action": "start_clock", "clock": "response", "due": "2026-03-02T13:30:00Z",
         "at": "2026-03-02T09:30:00Z"},
        {"ticket": "T3", "action": "start_clock", "clock": "resolution", "due": "2026-03-05T09:30:00Z",
         "at": "2026-03-02T09:30:00Z"},
        {"ticket": "T1", "action": "stop_clock", "clock": "response", "met": True, "at": "2026-03-02T11:00:00Z"},
    ]
    assert (stats.events, stats.actions, stats.rejects, stats.duplicates) == (3, 5, 6, 1)
    assert stats.by_action == {"start_clock": 4, "stop_clock": 1}
    assert stats.summary() == "events 3, actions 5, rejects 6, duplicates 1 (start_clock 4, stop_clock 1)"


def test_sorting_by_time_is_stable_for_equal_instants():
    # T-B is on line 1 and T-A on line 2, same instant: file order, not ticket order
    text = jsonl(ev("b", "T-B", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),
                 ev("a", "T-A", "2026-03-02T09:00:00Z", "opened", **ATTRS_S2))
    _, actions, _, _ = run_replay(text)
    assert [a["ticket"] for a in actions] == ["T-B", "T-B", "T-A", "T-A"]
    # the same instant written with a different offset is the same instant
    events, _ = read_log(text.splitlines(keepends=True))
    assert [n for _, n, _, _ in events] == [1, 2]


def test_log_out_of_order_is_sorted_before_evaluation():
    text = jsonl(ev("r", "T1", "2026-03-02T12:00:00+01:00", "responded"),
                 ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2))
    stats, actions, bad, _ = run_replay(text)
    assert bad == [] and stats.events == 2
    assert [a["action"] for a in actions] == ["start_clock", "start_clock", "stop_clock"]


def test_duplicates_are_counted_once_each_and_not_rejected():
    line = ev("x", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2)
    stats, actions, bad, _ = run_replay(jsonl(line, line, line))
    assert (stats.duplicates, stats.rejects, stats.events, len(actions)) == (2, 0, 1, 2)
    assert bad == []


def test_pending_deadlines_fire_up_to_the_last_event_inclusive():
    # the last event is at 13:00Z == T1's response due: T1's breach waits for every event at its
    # instant (T2's opened), then fires at the end of the log, at its due (docs/INTERFACE.md "Time")
    text = jsonl(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),
                 ev("o2", "T2", "2026-03-02T14:00:00+01:00", "opened", **ATTRS_S2))
    _, actions, _, _ = run_replay(text)
    assert pick(actions[2:], "ticket", "action", "at") == [
        {"ticket": "T2", "action": "start_clock", "at": "2026-03-02T13:00:00Z"},
        {"ticket": "T2", "action": "start_clock", "at": "2026-03-02T13:00:00Z"},
        {"ticket": "T1", "action": "breach", "at": "2026-03-02T13:00:00Z"}]


def test_a_goal_event_at_the_due_instant_meets_its_clock_after_another_tickets_event():
    # T1's response is due 13:00Z. An event of T2 at 13:00Z comes first in the log, then T1's goal
    # event at 13:00Z: T1 is met (4 h of 4 h), exactly as when T1's events are replayed alone. The
    # breach used to fire at T2's event, so T1's verdict depended on another ticket's line order.
    t1 = [ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2)]
    goal = ev("r", "T1", "2026-03-02T14:00:00+01:00", "responded")
    other = ev("o2", "T2", "2026-03-02T14:00:00+01:00", "opened", **ATTRS_S2)
    _, together, _, _ = run_replay(jsonl(*t1, other, goal))
    _, alone, _, _ = run_replay(jsonl(*t1, goal))
    mine = [a for a in together if a["ticket"] == "T1"]
    assert mine == alone
    stop = next(a for a in mine if a["action"] == "stop_clock" and a["clock"] == "response")
    assert stop["met"] is True and stop["elapsed"] == 4 * 3600
    assert not any(a["action"] == "breach" and a["clock"] == "response" for a in together)


def test_own_breach_due_at_the_last_event_instant_fires_after_it():
    # T1 opened 10:00 Paris, S2 response 4 business hours => due 14:00 Paris = 13:00Z; an
    # escalation_requested (not a goal event) of T1 at exactly 13:00Z is applied first (escalate),
    # then the breach fires at 13:00Z
    text = jsonl(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),
                 ev("x", "T1", "2026-03-02T14:00:00+01:00", "escalation_requested"))
    _, actions, _, _ = run_replay(text)
    assert pick(actions[2:], "action", "at") == [
        {"action": "escalate", "at": "2026-03-02T13:00:00Z"}, {"action": "breach", "at": "2026-03-02T13:00:00Z"}]


def test_until_fires_later_deadlines():
    # after the messy log: T3 response breach 13:30Z; T1 resolution breach Thu 03-05 09:00Z and its
    # escalation (acme.resolution-breach-escalates, agent -> manager); T3 resolution (09:30Z) not yet
    _, actions, _, _ = run_replay(MESSY_LOG, until="2026-03-05T09:00:00Z")
    assert pick(actions[5:], "ticket", "action", "clock", "at", "to", "level") == [
        {"ticket": "T3", "action": "breach", "clock": "response", "at": "2026-03-02T13:30:00Z"},
        {"ticket": "T1", "action": "breach", "clock": "resolution", "at": "2026-03-05T09:00:00Z"},
        {"ticket": "T1", "action": "escalate", "at": "2026-03-05T09:00:00Z", "to": "manager", "level": 1},
    ]


def test_without_rejects_sink_the_rejects_are_still_counted():
    engine = load()
    stats = replay(engine, io.StringIO(MESSY_LOG), io.StringIO(), None)
    assert stats.rejects == 6


def test_replay_output_is_byte_identical_across_runs():
    text = MESSY_LOG + jsonl(ev("z1", "T1", "2026-03-03T10:00:00+01:00", "info_requested"),
                             ev("z2", "T1", "2026-03-04T10:00:00+01:00", "escalation_requested"))
    first = run_replay(text, until="2026-03-10T00:00:00Z")[3]
    second = run_replay(text, until="2026-03-10T00:00:00Z")[3]
    assert first == second and first


SCHEMA_INVALID = [
    {"id": 5},
    {"id": ""},
    {"ticket": ["T1"]},
    {"type": "sneezed"},
    {"at": "yesterday"},
    {"at": "2026-03-02T10:00:00"},
    {"attrs": {"production": "yes"}},
    {"attrs": {"channel": "pigeon"}},
    {"attrs": "none"},
    # not RFC 3339 although datetime.fromisoformat takes them
    {"at": "2026-03-02T10:00:00+0100"},
    {"at": "2026-03-02T10:00+01:00"},
    {"at": "20260302T100000Z"},
    {"at": "2026-W10-1T10:00:00Z"},
    {"attrs": {"by": 5}},
]


@pytest.mark.parametrize("change", SCHEMA_INVALID, ids=lambda c: json.dumps(c, sort_keys=True))
def test_every_line_the_event_schema_rejects_goes_to_the_rejects_file(change):
    bad_event = {"id": "e2", "ticket": "T1", "at": "2026-03-02T11:00:00+01:00", "type": "escalation_requested", **change}
    assert instance_errors(bad_event, "event") != []  # the premise: a schema violation
    text = jsonl(ev("o", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2), bad_event)
    stats, _, bad, _ = run_replay(text)
    assert [r["line"] for r in bad] == [2] and stats.rejects == 1


def test_a_list_or_object_where_the_engine_looks_values_up_is_rejected_and_the_stream_goes_on():
    """A severity sent as ["P1"] used to crash the target look-up (exit 70, the rest of the log
    lost); it is now a rejected line with its reason, like any other bad event."""
    log = jsonl(ev("a", "T1", "2026-03-02T10:00:00+01:00", "opened", **{**ATTRS_S2, "severity": ["S1"]}),
                ev("b", "T2", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),
                ev("c", "T2", "2026-03-02T10:05:00+01:00", "updated", severity={"level": "S1"}),
                ev("d", "T2", "2026-03-02T10:10:00+01:00", "responded"))
    stats, actions, bad, _ = run_replay(log)
    assert [(r["line"], r["reason"]) for r in bad] == [
        (1, "attrs.severity must be a string (or a number), got ['S1']"),
        (3, "attrs.severity must be a string (or a number), got {'level': 'S1'}"),
    ]
    assert stats.events == 2 and [a["action"] for a in actions if a["ticket"] == "T2"][-1] == "stop_clock"


# --- odd attribute values never crash the engine ----------------------------------------------------
_ODD_VALUES = [None, True, False, 0, -1, 2.5, "", "P1", "1", "A", "emea", "americas", "web", "Europe/Paris",
               "Mars/Olympus", "FR", "XX", "ja", "2026-13-45T99:00:00Z", "vendor", [], ["P1"], {}, {"a": 1},
               "ultimate", "commerce-managed", "enhancement"]
_ATTR_KEYS = ["severity", "plan", "region", "channel", "category", "product", "timezone", "country", "language",
              "named_contact", "production", "consent", "azure", "around_the_clock", "by", "info", "obligation",
              "impact_determined_at", "term_start", "something_else"]


@pytest.fixture(scope="module")
def real_contracts():
    from runtime_fixtures.helpers import CONTRACTS

    from engine import Engine

    return Engine.load([CONTRACTS]).contracts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_odd_attribute_values_are_rejected_or_evaluated_never_a_crash(real_contracts, data):
    """Every event of a small stream on the five real contracts may get odd values (lists, objects,
    numbers, unknown zones and countries, bad dates) for the attributes contracts read: each event
    is evaluated or refused with an EventError, nothing else escapes (an exception here is exit 70)."""
    from engine import Engine, EventError

    events = []
    # one ticket per contract, plus one whose `opened` is always clean, so odd updates hit a live ticket
    for ticket, contract in enumerate([*sorted(real_contracts), "adobe"]):
        for n, (kind, day, hour) in enumerate([("opened", 2, 9), ("updated", 2, 10), ("info_requested", 2, 11),
                                               ("info_provided", 3, 10), ("responded", 3, 11),
                                               ("reclassification_requested", 3, 12), ("escalation_requested", 4, 12),
                                               ("resolved", 5, 12), ("closed", 6, 12)]):
            attrs = {"plan": "ultimate", "region": "emea", "severity": "P2"} if kind == "opened" else {}
            if not (kind == "opened" and ticket == 5):
                attrs.update(data.draw(st.dictionaries(st.sampled_from(_ATTR_KEYS), st.sampled_from(_ODD_VALUES),
                                                       max_size=3)))
            event = {"id": f"{ticket}-{n}", "ticket": f"T{ticket}", "type": kind, "attrs": attrs,
                     "at": f"2026-03-0{day}T{hour:02}:{ticket:02}:00Z"}
            if kind == "opened":
                event["contract"] = contract
            events.append(event)
    engine = Engine(real_contracts)
    accepted = 0
    for event in sorted(events, key=lambda e: e["at"]):  # one zone, one format: text order is time order
        try:
            engine.process(event)
            accepted += 1
        except EventError:
            pass
    assert "T5" in engine.tickets and accepted >= 1
    engine.advance("2026-04-30T00:00:00Z")


# --- hostile lines: each a reject with its code and line number, the rest evaluated as without it ---

HOSTILE = [
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00+01:00", "type": "updated", "attrs": {"product": "Caf\xe9"}}',
     "invalid-encoding", "not UTF-8: byte(s) e9 at offset 107 (invalid continuation byte)"),
    (b'\xff\xfe{}', "invalid-encoding", "not UTF-8: byte(s) ff at offset 0 (invalid start byte)"),
    (b'{"id": "h", "ticket": "T1\xe2\x82", "at": "2026-03-02T10:20:00Z", "type": "responded"}', "invalid-encoding",
     "not UTF-8: byte(s) e2 82 at offset 25 (invalid continuation byte)"),
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00Z", "type": "updated", "attrs": {"severity": NaN}}',
     "invalid-json", "invalid JSON: NaN is not a JSON number"),
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00Z", "type": "updated", "attrs": {"x": Infinity}}',
     "invalid-json", "invalid JSON: Infinity is not a JSON number"),
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00Z", "type": "updated", "attrs": {"x": 1e999}}',
     "invalid-json", "invalid JSON: 1e999 is too large for a number"),
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00Z", "type": "updated", "attrs": {"x": ' + b"7" * 5000 + b"}}",
     "invalid-json", "invalid JSON: an integer of 5000 digits (at most 4300)"),
    (b"[" * 100_000, "invalid-json", "invalid JSON: nested more than 32 levels deep"),
    (b'{"id": "h", "ticket": "T\\ud800", "at": "2026-03-02T10:20:00Z", "type": "opened", "contract": "acme"}',
     "invalid-json", "invalid JSON: a \\u escape makes the lone surrogate U+D800, which is not a character"),
    (b'{"id": "h", "ticket": "T8", "at": "0001-01-02T10:00:00Z", "type": "opened", "contract": "acme"}',
     "invalid-instant", "'at' is out of range: '0001-01-02T10:00:00Z'; instants must lie in the years 1900 to 2199 (UTC)"),
    (b'{"id": "h", "ticket": "T8", "at": "9999-12-31T23:00:00Z", "type": "opened", "contract": "acme"}',
     "invalid-instant", "'at' is out of range: '9999-12-31T23:00:00Z'; instants must lie in the years 1900 to 2199 (UTC)"),
    (b'{"id": "h", "ticket": "T1", "at": "2026-03-02T10:20:00Z", "type": "updated", "attrs": {"timezone": "Mars/Olympus"}}',
     "unknown-timezone", "attrs.timezone is 'Mars/Olympus': no such time zone; expected an IANA time zone name like "
                         "'Europe/Paris' or 'UTC'"),
    ("\u00a0".encode(), "invalid-json", "invalid JSON: Expecting value at column 1"),  # not JSON whitespace
]


@pytest.mark.parametrize(("line", "code", "reason"), HOSTILE, ids=[h[1] + "-" + str(i) for i, h in enumerate(HOSTILE)])
@pytest.mark.parametrize("where", [0, 4, 11])
def test_a_hostile_line_is_a_reject_and_the_others_are_evaluated_as_without_it(line, code, reason, where):
    clean = [row.encode("utf-8") for row in MESSY_LOG.splitlines(keepends=True)]
    lines = [*clean[:where], line + b"\n", *clean[where:]]
    engine, out, rejects = load(), io.StringIO(), io.StringIO()
    stats = replay(engine, lines, out, rejects)
    bad = [json.loads(row) for row in rejects.getvalue().splitlines()]
    assert {"line": where + 1, "code": code, "reason": reason} in [{k: r[k] for k in ("line", "code", "reason")}
                                                                  for r in bad]
    assert out.getvalue() == run_replay(MESSY_LOG)[3] and stats.rejects == 7


def test_bytes_lines_and_text_lines_give_the_same_bytes():
    text = MESSY_LOG + jsonl(ev("u1", "T-é✓", "2026-03-02T10:40:00+01:00", "opened", **ATTRS_S2))
    outputs = []
    for lines in (io.StringIO(text), io.BytesIO(text.encode("utf-8")), text.encode("utf-8").splitlines(keepends=True),
                  [bytearray(row) for row in text.encode("utf-8").splitlines()]):
        out, rejects = io.StringIO(), io.StringIO()
        replay(load(), lines, out, rejects)
        outputs.append((out.getvalue(), rejects.getvalue()))
    assert len(set(outputs)) == 1 and "T-é✓" in outputs[0][0]


def test_a_text_line_with_a_lone_surrogate_is_an_invalid_encoding_reject():
    """What reading a file with errors='surrogateescape' gives for a bad byte; written back as an escape."""
    bad = json.dumps(ev("s", "T\udce9", "2026-03-02T10:00:00Z", "opened", **ATTRS_S2), ensure_ascii=False) + "\n"
    lines = [bad] + MESSY_LOG.splitlines(keepends=True)
    out, rejects = io.StringIO(), io.StringIO()
    replay(load(), lines, out, rejects)
    first = json.loads(rejects.getvalue().splitlines()[0])
    assert (first["line"], first["code"]) == (1, "invalid-encoding") and "\\udce9" in first["input"]
    assert out.getvalue() == run_replay(MESSY_LOG)[3]


def test_blank_lines_are_json_whitespace_only():
    events, rejects = read_log(["", "  \t", "\r\n", b" \r\n", "\x0c", "\u2028"])
    assert events == [] and [(r.line, r.code) for r in rejects] == [(5, "invalid-json"), (6, "invalid-json")]


def test_read_events_gives_what_read_log_gives_for_the_same_events_as_json_lines():
    # report/explain --mapping hand the importer's dicts to read_events instead of printing them as
    # JSON and parsing them back: the entries (instant, number, event, text) and rejects must be the same
    import json

    from engine.replay.log import read_events, read_log

    dicts = [{"id": "a", "ticket": "T", "at": "2026-03-02T10:00:00+01:00", "type": "opened", "contract": "acme",
              "attrs": {"severity": "S2", "note": "é"}},
             {"id": "b", "ticket": "T", "at": "not an instant", "type": "updated"},
             {"id": "c", "ticket": "T", "at": "2026-03-02T08:00:00Z", "type": "responded"}]
    assert read_events(dicts) == read_log(json.dumps(d, ensure_ascii=False) for d in dicts)

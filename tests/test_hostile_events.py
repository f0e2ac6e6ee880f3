"""Hostile event lines (issue 12, section 3): every bad line is a reject with a stable code and its
line number, and the rest of the stream goes on exactly as without it.

Bad lines are generated (random and invalid UTF-8 bytes, truncated and mutated lines of
bench/sample-events.jsonl, wrong types in each field, NaN/Infinity, huge numbers, deep nesting,
instants at and beyond the ends of the supported range, unknown types/contracts/tickets/zones,
lists where strings belong, unicode ticket ids, blank lines), mixed into the sample log at random
places and replayed on the five real contracts. Properties, per example:

- nothing escapes `replay` (an exception there is exit 70 in `obligo replay`), and the output and
  rejects can be written as UTF-8;
- every non-blank line is evaluated, counted as a duplicate, or rejected with its own line number
  and a code of REJECT_CODES; a line generated to be bad is always rejected;
- rejects never move time nor change state: the log without its rejected lines gives the same
  actions, byte for byte (lines that happen to be valid, e.g. a mutation that still parses or an
  event in 2199, stay in both runs). When every inserted line is bad, that is the clean log's output.

A few fixed hostile logs also go through the real command line (`obligo replay --rejects`, one and
two processes, file and standard input). The example counts come from the profiles of conftest.py.
"""

from __future__ import annotations

import functools
import io
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model.events import EVENT_TYPES, REJECT_CODES

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = REPO / "contracts"
SAMPLE = REPO / "bench" / "sample-events.jsonl"
SECONDS_PER_EXAMPLE = 20  # one example replays the sample log (~300 events) twice: far less than this

pytestmark = pytest.mark.skipif(not SAMPLE.is_file() or not (CONTRACTS / "adobe.yaml").is_file(),
                                reason="bench/sample-events.jsonl or contracts/ absent")

CLEAN: list[bytes] = SAMPLE.read_bytes().splitlines() if SAMPLE.is_file() else []
EVENTS: list[dict] = []  # the sample's valid events (the sample also has a few bad lines of its own)
for _row in CLEAN:
    try:
        EVENTS.append(json.loads(_row))
    except ValueError:
        pass
OPENED = [e for e in EVENTS if e.get("type") == "opened"]
# The log bad lines go into: the sample's first 200 lines (tickets still open at the end, so that a
# reject moving the end of the stream would fire their deadlines) and its own three bad lines.
BASE: list[bytes] = CLEAN[:200] + CLEAN[-3:]


def is_blank(line: bytes) -> bool:
    """What replay skips without a reject: JSON whitespace only."""
    return not line.strip(b" \t\r\n")


# --- hostile lines: (bytes without newline, surely bad) ----------------------------------------------

# A sample event whose id is ID, replaced by a fresh id per inserted line (an id seen before would make
# a bad line a duplicate, ignored and counted, instead of a reject).
ID = "@@ID@@"
_event = st.sampled_from([{**e, "id": ID} for e in EVENTS]) if EVENTS else st.nothing()
_wrong_values = st.sampled_from([None, 0, -1, 1.5, True, False, [], ["T-000001"], {}, {"a": 1}, "", " ", "x" * 500,
                                 "\u2603", "2026-03-02T10:00:00Z", "opened", "P1"])
_fields = ["id", "ticket", "at", "type", "contract", "attrs"]
_attr_fields = ["severity", "plan", "region", "channel", "category", "country", "timezone", "production",
                "named_contact", "info", "by", "obligation", "product", "impact_determined_at"]
_out_of_range = ["0001-01-02T10:00:00Z", "9999-12-31T23:00:00Z", "0001-01-01T00:00:00+23:59",
                 "9999-12-31T23:59:59-23:59", "1899-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
                 "1900-01-01T00:00:00+00:01", "2199-12-31T23:59:59-00:01", "0000-01-01T00:00:00Z"]
_malformed_instants = ["", "yesterday", "2026-03-02", "2026-03-02T10:00:00", "2026-02-30T10:00:00Z",
                       "2026-03-02T24:00:00Z", "2026-03-02T10:00Z", "20260302T100000Z", "2026-03-02T10:00:00+0100",
                       "2026-13-01T00:00:00Z", "٢٠٢٦-03-02T10:00:00Z", "2026-03-02T10:00:00Z\n", " 2026-03-02T10:00:00Z"]
_in_range_extremes = ["1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "1899-12-31T23:00:00-01:00",
                      "2200-01-01T00:59:59+01:00", "1969-12-31T23:59:59.5Z"]
_bad_zones = ["Mars/Olympus", "../../etc/passwd", "/etc/passwd", "Europe/Paris/", "", "localtime", "America",
              "zone.tab", "europe/paris", "Europe/Paris ", "x" * 300]
# When a bad line is: its own event's, another event's (a breach due exactly then must not fire early),
# or after the last event (if a reject moved time, every deadline up to it would fire at the end).
_when = st.one_of(st.none(), st.sampled_from(sorted({e["at"] for e in EVENTS})),
                  st.sampled_from(["2026-06-30T00:00:00Z", "2100-01-01T00:00:00+01:00", "2199-12-31T23:59:59Z"]))
# a ticket id no sample event uses: an event of it that is not `opened` is an unknown ticket
_fresh_ticket = st.text(min_size=1, max_size=12).map(lambda t: "ZZ-" + t)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@st.composite
def _random_bytes(draw) -> tuple[bytes, bool]:
    return draw(st.binary(max_size=160)).replace(b"\n", b""), False


@st.composite
def _not_utf8(draw) -> tuple[bytes, bool]:
    """A sample line (ASCII) with one byte >= 0x80 put in: never UTF-8 (a lead byte needs a
    continuation byte, which ASCII is not; a continuation byte needs a lead byte)."""
    line = draw(st.sampled_from(CLEAN))
    i = draw(st.integers(0, len(line)))
    return line[:i] + bytes([draw(st.integers(0x80, 0xFF))]) + line[i:], True


@st.composite
def _truncated(draw) -> tuple[bytes, bool]:
    line = draw(st.sampled_from([row for row in CLEAN if row.startswith(b"{") and row.endswith(b"}")]))
    return line[:draw(st.integers(1, len(line) - 1))], True  # an object cut before its closing brace


@st.composite
def _mutated(draw) -> tuple[bytes, bool]:
    line = draw(st.sampled_from(CLEAN))
    i = draw(st.integers(0, len(line) - 1))
    char = draw(st.sampled_from([bytes([c]) for c in b'{}[]":,0129Z+-T \\eun']))
    edit = draw(st.sampled_from(["replace", "insert", "delete"]))
    line = {"replace": line[:i] + char + line[i + 1:], "insert": line[:i] + char + line[i:],
            "delete": line[:i] + line[i + 1:]}[edit]
    return line, False  # may still be a valid event (then evaluated in both runs)


@st.composite
def _wrong_type(draw) -> tuple[bytes, bool]:
    event = _timed(draw, json.loads(json.dumps(draw(_event))))
    if draw(st.booleans()):
        event[draw(st.sampled_from(_fields))] = draw(_wrong_values)
    else:
        attrs = event.setdefault("attrs", {})
        if isinstance(attrs, dict):
            attrs[draw(st.sampled_from(_attr_fields))] = draw(_wrong_values)
    return _dumps(event), False


@st.composite
def _non_finite(draw) -> tuple[bytes, bool]:
    """NaN, Infinity, a number too large for a double or an integer beyond 4300 digits, as any value."""
    token = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1E+400", "9" * 5000, "-" + "1" * 4301]))
    event = _timed(draw, json.loads(json.dumps(draw(_event))))
    where = draw(st.sampled_from(["at", "id", "attrs.severity", "attrs.x", "attrs.info.report", "top"]))
    marker = "@@HOSTILE@@"
    if where.startswith("attrs."):
        attrs = event.setdefault("attrs", {})
        if where == "attrs.info.report":
            attrs["info"] = {"report": marker}
        else:
            attrs[where[6:]] = marker
    elif where == "top":
        event["extra"] = [1, marker]
    else:
        event[where] = marker
    return _dumps(event).replace(f'"{marker}"'.encode(), token.encode()), True


@st.composite
def _deep(draw) -> tuple[bytes, bool]:
    depth = draw(st.one_of(st.integers(33, 2000), st.just(100_000)))
    if draw(st.booleans()):
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth])), True
    event = json.loads(json.dumps(draw(_event)))
    text = _dumps({**event, "attrs": "@@"}).decode()
    nested = '{"a": ' * depth + "1" + "}" * depth
    return text.replace('"@@"', nested).encode(), True


@st.composite
def _instants(draw) -> tuple[bytes, bool]:
    event = dict(draw(_event))
    kind = draw(st.sampled_from(["out", "malformed", "extreme", "attr"]))
    if kind == "out":
        event["at"] = draw(st.sampled_from(_out_of_range))
    elif kind == "malformed":
        event["at"] = draw(st.sampled_from(_malformed_instants))
    elif kind == "extreme":
        event["at"] = draw(st.sampled_from(_in_range_extremes))  # valid: may be evaluated, moving time far
    else:  # an instant a rule may read (`from: event.attrs.impact_determined_at`), of any shape
        event["attrs"] = {**(event.get("attrs") or {}),
                          "impact_determined_at": draw(st.sampled_from(_out_of_range + _malformed_instants))}
        event["type"] = "incident_declared"
        event.pop("contract", None)
    return _dumps(event), kind in ("out", "malformed")


def _timed(draw, event: dict) -> dict:
    when = draw(_when)
    return event if when is None else {**event, "at": when}


@st.composite
def _unknown_references(draw) -> tuple[bytes, bool]:
    event = _timed(draw, json.loads(json.dumps(draw(_event))))
    kind = draw(st.sampled_from(["type", "contract", "ticket", "zone"]))
    if kind == "type":
        event["type"] = draw(st.sampled_from(["escalated", "breach", "Opened", "", "opened ", "start_clock"]))
    elif kind == "contract":
        event.update(ticket=draw(_fresh_ticket), type="opened", contract=draw(st.sampled_from(["acme", "", "ADOBE"])))
    elif kind == "ticket":
        event.update(ticket=draw(_fresh_ticket), type=draw(st.sampled_from(sorted(EVENT_TYPES - {"opened"}))))
    else:
        event["attrs"] = {**(event.get("attrs") or {}), "timezone": draw(st.sampled_from(_bad_zones))}
    return _dumps(event), True


@st.composite
def _lists_for_strings(draw) -> tuple[bytes, bool]:
    event = _timed(draw, json.loads(json.dumps(draw(_event))))
    name = draw(st.sampled_from(["id", "ticket", "type", "at", "contract", "attrs.severity", "attrs.plan",
                                 "attrs.region", "attrs.category", "attrs.country", "attrs.timezone"]))
    if name.startswith("attrs."):
        attrs = event.setdefault("attrs", {})
        attrs[name[6:]] = [attrs.get(name[6:], "P1")]
    elif name == "contract":
        event["contract"] = [event.get("contract", "adobe")]
    else:
        event[name] = [event[name]]
    return _dumps(event), True


@st.composite
def _unicode_ids(draw) -> tuple[bytes, bool]:
    """Unicode ticket and event ids on otherwise valid events: evaluated (opened) or unknown tickets."""
    event = dict(draw(st.sampled_from(OPENED) if draw(st.booleans()) else _event))
    event.update(ticket=draw(st.text(min_size=1, max_size=20)), id=draw(st.text(min_size=1, max_size=20)))
    return _dumps(event), False


@st.composite
def _escaped_surrogate(draw) -> tuple[bytes, bool]:
    event = _timed(draw, dict(draw(_event)))
    field = draw(st.sampled_from(["ticket", "id"]))
    event[field] = "@@"
    escape = draw(st.sampled_from(["\\ud800", "\\udfff", "T\\udc00", "\\ud83d"]))
    return _dumps(event).replace(b'"@@"', f'"{escape}"'.encode()), True


_blank = st.sampled_from([b"", b" ", b"\t", b"\r", b" \t \r"]).map(lambda line: (line, False))

hostile_lines = st.one_of(_random_bytes(), _not_utf8(), _truncated(), _mutated(), _wrong_type(), _non_finite(),
                          _deep(), _instants(), _unknown_references(), _lists_for_strings(), _unicode_ids(),
                          _escaped_surrogate(), _blank)


@st.composite
def insertions(draw) -> list[tuple[int, bytes, bool]]:
    """A few hostile lines and where each goes in BASE: (index, line, surely bad)."""
    out = []
    for k, (line, sure) in enumerate(draw(st.lists(hostile_lines, min_size=1, max_size=6))):
        at = draw(st.integers(0, len(BASE) + k))
        out.append((at, line.replace(ID.encode(), f"H-{k}".encode()), sure))
    return out


def mixed(inserted: list[tuple[int, bytes, bool]]) -> tuple[list[bytes], dict[int, bool]]:
    """BASE with the lines put in, in order: (lines, {line number of each: surely bad})."""
    lines: list[bytes] = list(BASE)
    where: list[tuple[int, bool]] = []
    for at, line, sure in inserted:
        where = [(n + 1 if n >= at else n, s) for n, s in where]
        where.append((at, sure))
        lines.insert(at, line)
    return lines, {n + 1: sure for n, sure in where}


# --- replaying ------------------------------------------------------------------------------------

@functools.cache
def contracts() -> dict:
    from engine import Engine

    return Engine.load([str(CONTRACTS)]).contracts


def run(lines: list[bytes]) -> tuple[str, list[dict], object]:
    """Replay `lines` on the real contracts: (actions as written, rejects, stats)."""
    from engine import Engine
    from engine.replay.log import replay

    out, rejects = io.StringIO(), io.StringIO()
    stats = replay(Engine(contracts()), [line + b"\n" for line in lines], out, rejects)
    out.getvalue().encode("utf-8"), rejects.getvalue().encode("utf-8")  # what a file would be written as
    # JSON Lines end at \n only: a U+2028 or U+0085 in a ticket id is written as it is (str.splitlines would split it)
    return out.getvalue(), [json.loads(row) for row in rejects.getvalue().split("\n") if row], stats


@functools.cache
def clean_output() -> str:
    return run(BASE)[0]


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail an example that takes longer than `seconds` (a hang would otherwise stall the run)."""
    def expire(signum, frame):
        raise TimeoutError(f"example took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(insertions())
def test_hostile_lines_are_rejects_with_their_line_and_code_and_change_nothing_else(hostile):
    lines, inserted = mixed(hostile)
    with time_limit(SECONDS_PER_EXAMPLE):
        out, rejects, stats = run(lines)
        nonblank = {n for n, line in enumerate(lines, start=1) if not is_blank(line)}
        rejected = [r["line"] for r in rejects]
        # every non-blank line accounted for once; each reject on its own line, with a known code
        assert len(set(rejected)) == len(rejected) and set(rejected) <= nonblank
        assert stats.events + stats.duplicates + stats.rejects == len(nonblank)
        assert {r["code"] for r in rejects} <= REJECT_CODES
        for r in rejects:
            assert r["input"] == lines[r["line"] - 1].rstrip(b"\r\n").decode("utf-8", "backslashreplace")
        assert {n for n, sure in inserted.items() if sure} <= set(rejected)  # what is bad is refused
        # rejects move no time and change no state: without them, the same actions
        if all(inserted.values()):
            assert out == clean_output()
        else:
            kept = [line for n, line in enumerate(lines, start=1) if n not in set(rejected)]
            again, rejects_again, _ = run(kept)
            assert again == out
            assert rejects_again == []


# --- the real command line ---------------------------------------------------------------------------

FIXED_HOSTILE = [
    b"\xff\xfe\x00garbage",
    CLEAN[0][:40] + b"\xe9" + CLEAN[0][40:],
    CLEAN[1][:25],
    b'{"id": "h1", "ticket": "T-000001", "at": "2026-03-02T12:00:00Z", "type": "updated", "attrs": {"severity": NaN}}',
    b'{"id": "h2", "ticket": "T-000001", "at": "2026-03-02T12:00:00Z", "type": "updated", "attrs": {"x": 1e999}}',
    b'{"id": "h3", "ticket": "T-000001", "at": "2026-03-02T12:00:00Z", "type": "updated", "attrs": {"x": '
    + b"9" * 5000 + b"}}",
    b"[" * 100_000,
    b'{"id": "h4", "ticket": "ZZ-1", "at": "0001-01-02T10:00:00Z", "type": "opened", "contract": "adobe", '
    b'"attrs": {"plan": "ultimate", "region": "emea", "severity": "P2"}}',
    b'{"id": "h5", "ticket": "ZZ-2", "at": "9999-12-31T23:00:00Z", "type": "opened", "contract": "adobe", '
    b'"attrs": {"plan": "ultimate", "region": "emea", "severity": "P2"}}',
    b'{"id": "h6", "ticket": "ZZ-3", "at": "2026-03-03T10:00:00Z", "type": "opened", "contract": "opentext-corefax", '
    b'"attrs": {"plan": "standard", "severity": "normal", "timezone": "../../etc/passwd"}}',
    b'{"id": "h7", "ticket": "T\\ud800", "at": "2026-03-03T10:00:00Z", "type": "responded"}',
    '{"id": "h8", "ticket": "ZZ-✓-été", "at": "2026-03-03T10:00:00Z", "type": "responded"}'.encode(),
    b'{"id": ["h9"], "ticket": "T-000001", "at": "2026-03-03T10:00:00Z", "type": "responded"}',
    "\u00a0".encode(),
    b'{"id": "h10", "ticket": "ZZ-late", "at": "2199-12-31T23:59:59Z", "type": "responded"}',  # after the end
]


def cli(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "engine.cli.main", "replay", "--contracts", str(CONTRACTS), *args]
    return subprocess.run(argv, input=stdin, capture_output=True, cwd=REPO, timeout=120)


@pytest.mark.parametrize("how", ["file", "stdin", "two processes"])
def test_the_command_line_rejects_each_hostile_line_and_replays_the_rest_as_without_them(tmp_path, how):
    lines = list(BASE)
    for i, line in enumerate(FIXED_HOSTILE):  # spread over the log, first and last line included
        lines.insert(i * len(lines) // len(FIXED_HOSTILE), line)
    lines.append(FIXED_HOSTILE[0])
    numbers = [n for n, line in enumerate(lines, start=1) if line in FIXED_HOSTILE]
    log, clean = tmp_path / "hostile.jsonl", tmp_path / "clean.jsonl"
    log.write_bytes(b"\n".join(lines) + b"\n")
    clean.write_bytes(b"\n".join(BASE) + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    extra = ["--jobs", "2"] if how == "two processes" else []
    start = time.perf_counter()
    if how == "stdin":
        done = cli(["--rejects", str(rejects), "-"], stdin=log.read_bytes())
    else:
        done = cli(["--rejects", str(rejects), *extra, str(log)])
    assert time.perf_counter() - start < 60
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    kept = [json.loads(row) for row in rejects.read_text(encoding="utf-8").splitlines()]
    assert set(numbers) <= {r["line"] for r in kept}
    assert all(r["code"] in REJECT_CODES for r in kept)
    assert done.stdout == cli([str(clean)]).stdout  # the actions of the log without them, byte for byte

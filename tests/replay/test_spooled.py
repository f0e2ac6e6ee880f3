"""engine.replay.spooled: the per-line work of `--jobs` gives the same spool whatever form the log
comes in (a binary file read in blocks, lines of bytes, an importer's str lines), reads partition
files back exactly as written (lines longer than a block included), and result files sorted by
place."""

from __future__ import annotations

import io
import marshal
import random

import pytest

from engine.replay import spooled
from engine.replay.lines import BLOCK
from engine.replay.partition import NOT_YET, partition_of

LINES = [
    '{"id": "e1", "ticket": "T-1", "type": "ticket_opened", "at": "2026-03-02T09:00:00Z"}',
    "",  # blank: no line of any partition
    '{"id": "e2", "ticket": "T-2", "type": "ticket_opened", "at": "2026-03-02T10:00:00Z"}\r',
    "not json",  # no instant: the client's own reject
    '{"id": "e3", "ticket": "T\\u002d1", "type": "comment", "at": "2026-03-02T08:00:00Z"}',  # escaped, earlier
    '{"id": "e4", "type": "comment", "at": "2026-03-02T11:00:00Z"}',  # nobody's: partition 0, moves no time
    '{"id": "e5", "ticket": "T-3", "type": "ticket_opened", "at": "2026-03-03T09:00:00Z"}',
]


def spool_of(tmp_path, name, lines, until=None):
    root = tmp_path / name
    root.mkdir()
    spool = spooled.spool_log(lines, root, 2, until)
    files = {path.name: path.read_bytes() for path in sorted(root.iterdir())}
    return spool, files


def test_ticket_of_reads_the_top_level_ticket():
    assert spooled.ticket_of(b'{"id": "a", "ticket": "T-1", "at": "x"}') == "T-1"
    assert spooled.ticket_of(b'{"id": "a", "ticket": "T\\u002d1"}') == "T-1"  # escaped: decoded in full
    assert spooled.ticket_of(b'{"attrs": {"ticket": "X"}, "ticket": "T-2"}') == "T-2"  # twice: decoded in full
    assert spooled.ticket_of(b'{"ticket": 5}') is None
    assert spooled.ticket_of(b'{"ticket": ""}') is None
    assert spooled.ticket_of(b"not json") is None


def test_a_file_in_blocks_lines_of_bytes_and_str_lines_give_the_same_spool(tmp_path):
    text = "\n".join(LINES) + "\n"
    forms = {
        "file": io.BytesIO(text.encode()),  # read in blocks (line_blocks)
        "bytes": [line.encode() + b"\n" for line in LINES],  # as iterating a file gives them
        "str": list(LINES),  # an importer's lines
    }
    seen = {name: spool_of(tmp_path, name, lines) for name, lines in forms.items()}
    spool, files = seen["file"]
    assert spool.lines == 6 and spool.events == 5 and not spool.ordered  # e3 is earlier than e2
    assert [(r.line, r.code) for r in spool.rejects] == [(4, "invalid-json")]
    assert set(files) == {"seg-0-part-0", "seg-0-part-1", "seg-0-ats", "seg-0-moves", "rank", "instants-1"}
    instants = list(spool.instants)  # stream order: e3, e1, e2, e4 (nobody's: NOT_YET), e5
    assert instants[3] == NOT_YET and instants[:3] == sorted(instants[:3])
    for name in ("bytes", "str"):
        assert seen[name][1] == files, name
        other = seen[name][0]
        assert (other.lines, other.events, other.ordered, list(other.instants)) == \
            (spool.lines, spool.events, spool.ordered, instants)
        assert other.rejects == spool.rejects
    assert seen["str"][0].text and not spool.text


def test_each_line_goes_to_its_tickets_partition_with_its_ordinal_and_line_number(tmp_path):
    spool, _ = spool_of(tmp_path, "p", io.BytesIO(("\n".join(LINES)).encode()))  # no final newline
    got = {p: list(spooled.part_records(tmp_path / "p", spool.segments, p)) for p in (0, 1)}
    numbers = sorted((number, p) for p in got for _, number, _ in got[p])
    assert [n for n, _ in numbers] == [1, 3, 5, 6, 7]
    for p, items in got.items():
        assert [k for k, _, _ in items] == sorted(k for k, _, _ in items)
        for _, number, raw in items:
            assert raw == LINES[number - 1].rstrip("\r").encode()
            ticket = spooled.ticket_of(raw)
            assert p == (0 if ticket is None else partition_of(ticket, 2))


def test_records_reads_lines_longer_than_a_block(tmp_path):
    lines = [b'{"ticket": "T-%d", "at": "2026-03-02T09:00:00Z", "pad": "%s"}' % (k, b"x" * size)
             for k, size in enumerate([10, BLOCK + 5, 3, 2 * BLOCK, 0])]
    root = tmp_path / "big"
    root.mkdir()
    spooled.spool_log(io.BytesIO(b"\n".join(lines) + b"\n"), root, 1, None)
    assert [raw for _, _, raw in spooled.records(root / "seg-0-part-0")] == lines


def test_written_items_come_back_sorted_by_place_in_frames(tmp_path, monkeypatch):
    monkeypatch.setattr(spooled, "CHUNK", 7)
    rng = random.Random(3)
    places = [(rng.randrange(20), rng.randrange(3), "T") for _ in range(50)]
    items = [f"line {k}\n" for k in range(50)]
    spooled.write_items(tmp_path / "r", items, places, marshal.dumps)
    back = list(spooled.frames(tmp_path / "r", marshal.loads))
    order = sorted(range(50), key=places.__getitem__)
    assert [item[-1] for item in back] == [items[k] for k in order]


@pytest.mark.parametrize("until", [None, "2026-03-02T09:30:00Z"])
def test_until_keeps_later_events_from_moving_time(tmp_path, until):
    from engine.model.events import parse_instant

    bound = None if until is None else parse_instant(until)
    spool, _ = spool_of(tmp_path, "u", list(LINES), bound)
    moving = [at for at in spool.instants if at != NOT_YET]
    assert moving == sorted(moving) and all(bound is None or at <= bound for at in moving)
    assert len(moving) == (4 if until is None else 2)


def segmented(tmp_path, name, data: bytes, count: int, until=None):
    """The workers' pass: `count` ranges of whole lines of a file, one segment each, joined."""
    root = tmp_path / name
    root.mkdir()
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        cuts = spooled.line_starts(handle, 0, len(data), count)
        segments = [spooled.spool_segment(spooled.range_groups(handle, start, end), root, k, 2, until)
                    for k, (start, end) in enumerate(zip(cuts, cuts[1:], strict=False))]
    return spooled.joined(root, 2, segments), root, cuts


def every_record(spool, root):
    return [list(spooled.part_records(root, spool.segments, p)) for p in range(spool.parts)]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 40])
@pytest.mark.parametrize("shuffled", [False, True])
def test_segments_of_ranges_join_into_the_clients_spool(tmp_path, count, shuffled):
    """Rejects, blank and CRLF lines, a last line without newline, out-of-order instants across
    ranges: joined, the ranges give the client's pass exactly (numbering, order, instants, rank)."""
    lines = [line for k in range(12) for line in LINES if not (k % 3 and line == "not json")]
    if shuffled:
        random.Random(count).shuffle(lines)
    data = "\n".join(lines).encode()
    spool, _ = spool_of(tmp_path, "whole", io.BytesIO(data))
    joined, root, cuts = segmented(tmp_path, "ranges", data, count)
    assert 1 <= len(cuts) - 1 <= count and (count == 1 or len(cuts) > 2)  # ranges of whole lines, a worker each
    assert (joined.lines, joined.events, joined.ordered, list(joined.instants)) == \
        (spool.lines, spool.events, spool.ordered, list(spool.instants))
    assert joined.rejects == spool.rejects and len(spool.rejects) == 4  # numbered in the whole log
    assert every_record(joined, root) == every_record(spool, tmp_path / "whole")
    if not spool.ordered:
        assert (root / "rank").read_bytes() == (tmp_path / "whole" / "rank").read_bytes()


def test_a_range_starts_and_ends_at_line_starts(tmp_path):
    data = b"a" * 10 + b"\n" + b"b" * 3000 + b"\n" + b"c\n" + b"d"
    with open(tmp_path / "f", "wb") as handle:
        handle.write(data)
    with open(tmp_path / "f", "rb") as handle:
        cuts = spooled.line_starts(handle, 0, len(data), 4)
        assert cuts[0] == 0 and cuts[-1] == len(data) and cuts == sorted(set(cuts))
        assert all(data[cut - 1:cut] == b"\n" for cut in cuts[1:-1])
        pieces = [b"\n".join(line for group in spooled.range_groups(handle, start, end) for line in group)
                  for start, end in zip(cuts, cuts[1:], strict=False)]
    assert b"\n".join(pieces) == data

"""Readers: CSV plain and gzip with the record's first line, XES streamed with case attributes,
hostile XML refused with a located ReaderError (never expanded, never a crash)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from engine.ingest.readers import ReaderError, read_rows

HERE = Path(__file__).parent / "fixtures"


def test_csv_rows_carry_their_file_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('\ufeffa,b\n1,"two\nlines"\n\n3,?\n4\n', encoding="utf-8")
    rows = list(read_rows(path, "csv"))
    assert rows[0] == (2, {"a": "1", "b": "two\nlines"})
    assert rows[1] == (5, {"a": "3", "b": "?"})  # the blank line 4 is skipped, still counted
    assert rows[2][0] == 6 and "\x00width" in rows[2][1]  # a short row: the transform rejects it


def test_gzip_reads_the_same_rows(tmp_path):
    plain = HERE / "desk.csv"
    packed = tmp_path / "desk.csv.gz"
    with open(plain, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert list(read_rows(packed, "csv.gz")) == list(read_rows(plain, "csv"))


def test_not_gzip_is_a_reader_error(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(ReaderError, match="gzip"):
        list(read_rows(path, "csv.gz"))


def test_not_utf8_is_located(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xe9\n")
    with pytest.raises(ReaderError) as info:
        list(read_rows(path, "csv"))
    assert info.value.code == "invalid-encoding"


def test_xes_events_with_case_attributes_and_lines():
    rows = list(read_rows(HERE / "tiny.xes", "xes"))
    assert rows == [
        (6, {"concept:name": "Accepted", "lifecycle:transition": "In Progress",
             "time:timestamp": "2010-03-31T16:59:42.000+02:00", "case:concept:name": "case-1", "case:impact": "High"}),
        (11, {"concept:name": "Completed", "time:timestamp": "2010-04-01T09:00:00.000+02:00",
              "case:concept:name": "case-1", "case:impact": "High"}),
    ]


def test_xes_gzip(tmp_path):
    packed = tmp_path / "tiny.xes.gz"
    packed.write_bytes(gzip.compress((HERE / "tiny.xes").read_bytes()))
    assert list(read_rows(packed, "xes.gz")) == list(read_rows(HERE / "tiny.xes", "xes"))


@pytest.mark.parametrize(("name", "line", "words"), [
    ("laughs.xes", 3, "entity declaration"),
    ("external.xes", 3, "entity declaration"),
])
def test_hostile_xes_is_refused_where_it_is(name, line, words):
    with pytest.raises(ReaderError) as info:
        list(read_rows(HERE / name, "xes"))
    assert info.value.code == "hostile-xml" and info.value.line == line and words in info.value.reason


def test_malformed_xes_is_located(tmp_path):
    path = tmp_path / "bad.xes"
    path.write_text("<log>\n<trace>\n<event></trace>\n</log>\n", encoding="utf-8")
    with pytest.raises(ReaderError) as info:
        list(read_rows(path, "xes"))
    assert info.value.line == 3 and "malformed XML" in info.value.reason

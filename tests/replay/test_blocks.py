"""engine.replay: a binary log read in blocks of lines (lines.iter_blocks, sort.blocks_in_time_order)
gives exactly what reading it line by line gives: the same events and rejects, the same answer on
the time order, whatever the block size and whatever odd lines the log holds."""

from __future__ import annotations

import io
import random

import pytest

from engine.replay.lines import block_lines, iter_blocks, iter_log, line_blocks
from engine.replay.sort import block_instants, blocks_in_time_order, in_time_order, instant_of, rewindable


def event(n: int, at: str, kind: str = "opened", extra: str = "") -> bytes:
    contract = ', "contract": "adobe"' if kind == "opened" else ""
    return (f'{{"id": "e-{n}", "ticket": "T-{n % 7}", "at": "{at}", "type": "{kind}"{contract}{extra}}}'
            .encode())


ODD = [
    b"", b"\r", b" \t ", b"\xc2\xa0",  # blank, blank, blank, not blank (U+00A0)
    b'{"id": "x\xff", "ticket": "T-1", "at": "2026-03-02T08:00:00Z", "type": "opened"}',  # not UTF-8
    event(900, "2026-03-02T09:00:00Z", "responded", ', "attrs": {"n": 12345678901234567890123}'),  # beyond 64 bits
    event(901, "2026-03-02T09:00:00Z", "responded", ', "attrs": {"n": NaN}'),
    event(902, "2026-03-02T09:00:00Z", "responded", ', "attrs": {"n": "\\ud800"}'),  # a lone surrogate escape
    event(903, "2026-03-02T09:00:00Z", "responded", ', "attrs": {"n": 1e999}'),
    b"[" * 40 + b"]" * 40, b'{"a":' * 40 + b"1" + b"}" * 40,  # too deep
    b"not json", b'"at": "2026-03-02T08:00:00Z"',
    b'{"id": "\\u00e9", "ticket": "T-1", "at": "2026-03-02T08:00:00Z", "type": "opened", "contract": "adobe"}',
    '{"id": "é€", "ticket": "T-9", "at": "2026-03-02T08:00:00Z", "type": "opened", "contract": "adobe"}'.encode(),
    event(904, "2026-03-02T09:00:00.123+01:00", "responded"),
    event(905, "2026-13-02T09:00:00Z", "responded"),  # not an instant
    b'{"id": "e-906", "ticket": "T-1", "at" :\t"2026-03-02T09:00:00Z", "type": "responded"}',
    b'{"id": "e-907", "ticket": "T-1", "attrs": {"at": "2020-01-01T00:00:00Z"}, "at": "2026-03-02T09:00:00Z", '
    b'"type": "responded"}',  # two "at" keys: the nested one is earlier
]


def log(seed: int, odd: bool = True, crlf: bool = True, last_newline: bool = True) -> bytes:
    """Events in time order with odd lines among them (some earlier than the events around them)."""
    rng = random.Random(seed)
    lines = []
    for n in range(300):
        lines.append(event(n, f"2026-03-02T{10 + n // 60:02}:{n % 60:02}:00Z", "opened" if n % 3 == 0 else "responded"))
        if odd and rng.random() < 0.2:
            lines.append(rng.choice(ODD))
    data = b"\n".join(line + (b"\r" if crlf and rng.random() < 0.1 else b"") for line in lines)
    return data + b"\n" if last_newline else data


SIZES = [1, 7, 100, 4096, 1 << 20]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("size", SIZES)
def test_blocks_give_the_items_of_reading_line_by_line(seed, size):
    data = log(seed, last_newline=seed % 2 == 0)
    expected = list(iter_log(list(io.BytesIO(data))))  # a list of lines: read_line, one by one
    assert list(iter_blocks(io.BytesIO(data), size)) == expected
    assert any(not isinstance(item, tuple) for item in expected)  # rejects among them, of every reading


@pytest.mark.parametrize("size", SIZES)
def test_blocks_are_the_files_lines(size):
    data = log(1, last_newline=False)
    lines = [line for block in line_blocks(io.BytesIO(data), size) for line in block_lines(block)]
    assert lines == [line.rstrip(b"\n") for line in io.BytesIO(data)]
    assert block_lines("a\nb\n") == ["a", "b"] and block_lines(b"a\n\nb") == [b"a", b"", b"b"]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", range(4))
def test_the_order_check_of_blocks_is_the_one_line_by_line(seed, size):
    data = log(seed, odd=seed > 0)
    lines = list(io.BytesIO(data))
    assert blocks_in_time_order(io.BytesIO(data), size) == in_time_order(lines)
    swapped = list(lines)
    i = len(swapped) // 2
    swapped[i], swapped[i + 5] = swapped[i + 5], swapped[i]
    assert blocks_in_time_order(io.BytesIO(b"".join(swapped)), size) == in_time_order(swapped)


def test_a_log_in_order_is_found_in_order_and_one_step_back_is_found():
    data = log(0, odd=False)
    assert blocks_in_time_order(io.BytesIO(data), 4096) and in_time_order(io.BufferedReader(io.BytesIO(data)))
    late = data + event(999, "2026-03-02T10:00:00Z", "responded") + b"\n"
    assert not blocks_in_time_order(io.BytesIO(late), 4096)


def test_block_instants_are_the_lines_instants_or_nothing():
    plain = log(0, odd=False)
    found = block_instants(plain)
    assert found is not None and found == [instant_of(line) for line in block_lines(plain)]
    for odd in (ODD[4], ODD[13], ODD[-1]):  # not UTF-8, a backslash, two "at" in a line: line by line
        assert block_instants(plain + odd + b"\n") is None
    assert block_instants(plain + b"not json\n" + ODD[-3] + b"\n") == found  # no instant, an invalid one


class Pipe(io.RawIOBase):
    """A binary stream that cannot seek, as standard input from a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_pipe_is_copied_as_bytes_and_read_twice_in_blocks(tmp_path):
    data = log(2, last_newline=False)
    again, release = rewindable(io.BufferedReader(Pipe(data)), str(tmp_path))
    first = again()
    assert isinstance(first, io.BufferedIOBase) and first.read() == data
    assert list(iter_log(again())) == list(iter_log(list(io.BytesIO(data))))
    assert in_time_order(again()) == in_time_order(list(io.BytesIO(data)))
    release()

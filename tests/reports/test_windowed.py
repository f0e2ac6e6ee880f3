"""engine.reports.windowed: per-ticket values in memory within the window, on disk otherwise, and
always the values a dict would hold."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.reports.windowed import WindowedByTicket


def store(window: int | None, spill_dir: str | None = None) -> WindowedByTicket[list[int]]:
    return WindowedByTicket(list, lambda v: bytes(v), lambda b: list(b), window, spill_dir, "test values")


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 30), st.integers(0, 255)), max_size=150),
       st.sampled_from([None, 0, 7, 60]))
def test_values_are_a_dicts_whatever_the_window(touches, window) -> None:
    windowed, plain = store(window), {}
    at = 0
    try:
        for ticket, step, byte in touches:
            at += step
            windowed.get(f"T{ticket}", at).append(byte)
            plain.setdefault(f"T{ticket}", []).append(byte)
        assert dict(windowed.items()) == plain
        assert len(list(windowed.items())) == len(plain)  # memory and disk never hold one ticket twice
    finally:
        windowed.close()


def test_memory_keeps_the_window_and_nothing_is_left_on_disk(tmp_path: Path) -> None:
    windowed = store(10, str(tmp_path))
    for i in range(100):
        windowed.get(f"T{i}", i).append(i)
    assert len(windowed) == 11  # touched at 89..99
    assert list(tmp_path.iterdir()) == []
    assert windowed.get("T5", 100) == [5]  # back from disk
    assert len(windowed) == 11 and dict(windowed.items())["T5"] == [5]
    windowed.close()

"""engine.reports.counters: cycle numbers are those of a count kept in memory for the whole log,
whatever the window, while memory holds only the tickets started within it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model.errors import SpillError
from engine.reports.counters import CycleCounter

# (ticket, clock, seconds after the previous start): instants that mostly go forward, sometimes
# stay, as a log's actions do
STARTS = st.lists(st.tuples(st.sampled_from([f"T{i}" for i in range(12)]), st.sampled_from(["response", "update"]),
                            st.integers(0, 40)), max_size=120)


def reference(starts: list[tuple[str, str, int]]) -> list[int]:
    seen: dict[tuple[str, str], int] = {}
    out = []
    for ticket, clock, _ in starts:
        seen[ticket, clock] = seen.get((ticket, clock), 0) + 1
        out.append(seen[ticket, clock])
    return out


@given(STARTS, st.sampled_from([None, 0, 10, 100]))
def test_numbers_are_the_in_memory_counts_whatever_the_window(starts, window) -> None:
    counter = CycleCounter(window)
    at, numbers = 0, []
    try:
        for ticket, clock, step in starts:
            at += step
            numbers.append(counter.next(ticket, clock, at))
            if window is not None:  # only the tickets started within the window stay in memory
                assert len(counter) <= len({t for t, _, _ in starts})
    finally:
        counter.close()
    assert numbers == reference(starts)


def test_memory_holds_the_tickets_of_the_window_and_the_disk_the_rest(tmp_path: Path) -> None:
    counter = CycleCounter(window=100, spill_dir=str(tmp_path))
    for i in range(1_000):
        assert counter.next(f"T{i}", "response", i * 10) == 1
    assert len(counter) == 11  # those started from 9,890 to 9,990 s: within 100 s of the last start
    assert list(tmp_path.iterdir()) == []  # the disk's file is unlinked as soon as it is open
    assert counter.next("T3", "response", 10_000) == 2  # from disk, months later as it were
    assert counter.next("T3", "update", 10_001) == 1
    assert counter.next("T3", "response", 10_002) == 3
    counter.close()
    never = CycleCounter()
    for i in range(1_000):
        never.next(f"T{i}", "response", i * 10)
    assert len(never) == 1_000  # no window: all in memory


def test_a_folder_that_cannot_hold_the_file_is_a_spill_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    counter = CycleCounter(window=0, spill_dir=str(missing))
    counter.next("T1", "response", 0)
    with pytest.raises(SpillError, match="cannot create the file of cycle counts in .*gone"):
        counter.next("T2", "response", 10)
    assert not os.path.exists(missing)

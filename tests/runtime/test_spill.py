"""engine.runtime.spill: evicted tickets on disk, taken back once, nothing left behind."""

from __future__ import annotations

from engine.runtime.spill import Spill


def test_put_take_items_and_count(tmp_path) -> None:
    spill = Spill(str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # the file is unlinked as soon as it is open
    spill.put_many([("T2", 20, ["b1"], {"ticket": "T2", "attrs": {"name": "Zoë"}}),
                    ("T1", 10, ["a1", "a2"], {"ticket": "T1", "n": 123456789012345678901234567890})])
    assert spill.count == 2
    assert [row[0] for row in spill.items()] == ["T1", "T2"]  # ticket order
    assert spill.take("T1") == (10, ["a1", "a2"], {"ticket": "T1", "n": 123456789012345678901234567890})
    assert spill.take("T1") is None and spill.count == 1  # taken once
    assert spill.take("T9") is None
    assert spill.take("T2") == (20, ["b1"], {"ticket": "T2", "attrs": {"name": "Zoë"}})
    spill.close()
    assert list(tmp_path.iterdir()) == []


def test_a_directory_that_is_gone_is_a_spill_error_with_the_reason(tmp_path) -> None:
    import pytest

    from engine.runtime.spill import SpillError

    with pytest.raises(SpillError) as info:
        Spill(str(tmp_path / "gone"))
    assert info.value.code == "spill-failed" and "No such file or directory" in str(info.value)


def test_a_full_disk_while_writing_is_a_spill_error(tmp_path, monkeypatch) -> None:
    import sqlite3

    import pytest

    from engine.runtime.spill import SpillError

    spill = Spill(str(tmp_path))

    class Full:
        def executemany(self, *args):
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(spill, "_db", Full())
    with pytest.raises(SpillError) as info:
        spill.put_many([("T1", 1, [], {})])
    assert "database or disk is full" in str(info.value)

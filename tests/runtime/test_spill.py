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

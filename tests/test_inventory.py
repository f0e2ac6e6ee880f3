"""`engine.inventory`: parsing INVENTORY.md (clause ids per seed file) and finding it."""

from __future__ import annotations

import pytest
from conftest import INVENTORY, REAL_INVENTORY, REPO

from engine.language.inventory import INVENTORY_ENV, find_inventory, load_inventory, parse_inventory
from engine.language.load import load_file


def test_the_test_inventory():
    inv = load_inventory(INVENTORY)
    assert inv.path == str(INVENTORY)
    assert inv.by_seed == {
        "900_0123abcd.txt": ("TEST-SEV-DEF", "TEST-HOURS", "TEST-RT", "TEST-ESC", "TEST-LANG"),
        "901_feedbeef.txt": ("OTHER-RT",),
    }
    assert inv.clauses["TEST-RT"] == "initial response: P1 1 h (24x7), P2 2 business hours"
    assert inv.seed_of("TEST-ESC") == "900_0123abcd.txt"
    assert inv.seed_of("OTHER-RT") == "901_feedbeef.txt"
    assert inv.seed_of("NOPE-X") is None


def test_parse_inventory_reads_only_clause_rows_of_seed_sections():
    text = "\n".join([
        "# Title",
        "| EARLY-ID | before any section: ignored |",
        "## 007 — Some vendor, (`007_abc123.txt`)",
        "Prose mentioning ABC-DEF and a | pipe.",
        "| id | clause |",
        "|---|---|",
        "| ABC-DEF | the first clause |",
        "|ABC-2-X|   tight cells   |",
        "| abc-low | lower case is not an id |",
        "| NOHYPHEN | an id has a hyphen |",
        "| ABC-TABLE | a | cell with a pipe |",
        "## 008 (`008_def.txt`)",
        "| DEF-1 | second seed |",
        "## Notes without a seed file",
        "| DEF-2 | still counted under the last seed |",
    ])
    inv = parse_inventory(text, "x.md")
    assert inv.by_seed == {"007_abc123.txt": ("ABC-DEF", "ABC-2-X", "ABC-TABLE"), "008_def.txt": ("DEF-1", "DEF-2")}
    assert inv.clauses["ABC-2-X"] == "tight cells"
    assert inv.clauses["ABC-TABLE"] == "a | cell with a pipe"
    assert "EARLY-ID" not in inv.clauses


def test_an_empty_inventory():
    inv = parse_inventory("", "empty.md")
    assert (inv.clauses, inv.by_seed, inv.path) == ({}, {}, "empty.md")


def test_find_inventory_walks_up_to_shared_seeds(tmp_path, monkeypatch):
    monkeypatch.delenv(INVENTORY_ENV, raising=False)
    seeds = tmp_path / "shared" / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "INVENTORY.md").write_text("# inventory\n")
    deep = tmp_path / "main" / "contracts" / "sub"
    deep.mkdir(parents=True)
    assert find_inventory(deep) == seeds / "INVENTORY.md"
    assert find_inventory(tmp_path) == seeds / "INVENTORY.md"


def test_find_inventory_prefers_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(INVENTORY_ENV, str(INVENTORY))
    assert find_inventory(tmp_path) == INVENTORY


def test_find_inventory_gives_none_when_there_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv(INVENTORY_ENV, raising=False)
    assert find_inventory(tmp_path) is None


def test_load_inventory_of_a_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        load_inventory(tmp_path / "INVENTORY.md")


def test_the_real_inventory_covers_every_contract_source():
    if not REAL_INVENTORY.is_file():
        pytest.skip(f"{REAL_INVENTORY} is absent")
    inv = load_inventory(REAL_INVENTORY)
    assert len(inv.by_seed) == 5
    assert all(inv.by_seed.values())
    assert sum(len(ids) for ids in inv.by_seed.values()) == len(inv.clauses)  # ids are unique across seeds
    for path in sorted((REPO / "contracts").glob("*.yaml")):
        if path.name.endswith(".tests.yaml"):
            continue
        doc, _ = load_file(path)
        assert doc.data["source"] in inv.by_seed, path.name

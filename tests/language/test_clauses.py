"""The seed contracts' own `clauses:` sections against the seed inventory they were written from.

Every contract carries its clauses itself (no runtime code reads ../shared); this test only checks
that the five seed contracts' sections say exactly what `shared/seeds/INVENTORY.md` says: the
same ids, each under the contract of its seed section, with the same text. Skipped without ../shared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import REAL_INVENTORY, REPO

from engine.language.expand import expand
from engine.language.load import load_file
from engine.language.loader import load_contracts

CONTRACTS = REPO / "contracts"
SEEDS = ("adobe", "olcare", "microsoft-unified", "opentext-corefax", "progr1")
_SECTION = re.compile(r"^##\s+(\d{3})\b.*?\(`([^`]+)`\)")
_ROW = re.compile(r"^\|\s*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\s*\|\s*(.*?)\s*\|\s*$")

needs_shared = pytest.mark.skipif(not REAL_INVENTORY.is_file(), reason=f"{REAL_INVENTORY} is absent")


def inventory(text: str) -> dict[str, dict[str, str]]:
    """seed file name -> {clause id: text}, from INVENTORY.md's `## NNN — title (`file`)` sections and rows."""
    out: dict[str, dict[str, str]] = {}
    seed = None
    for line in text.splitlines():
        if section := _SECTION.match(line):
            seed = section.group(2)
            out[seed] = {}
        elif (row := _ROW.match(line)) and seed is not None:
            out[seed][row.group(1)] = row.group(2)
    return out


def declared(name: str) -> tuple[str, dict[str, dict]]:
    """(source, {clause id: {text, ref?}}) of contracts/<name>.yaml, each entry in its object form."""
    data = yaml.safe_load((CONTRACTS / f"{name}.yaml").read_text(encoding="utf-8"))
    clauses = {cid: entry if isinstance(entry, dict) else {"text": entry} for cid, entry in data["clauses"].items()}
    return data["source"], clauses


def test_the_inventory_parser_reads_only_clause_rows_of_seed_sections():
    text = ("# title\n| ID-NOT-IN-A-SECTION | x |\n## 000 — A (`000_a.txt`)\n| id | clause |\n|---|---|\n"
            "| A-ONE | first |\n| A-TWO | second, with | a pipe |\nnot a row\n## 001 — B (`001_b.txt`)\n| B-ONE | b |\n")
    assert inventory(text) == {"000_a.txt": {"A-ONE": "first", "A-TWO": "second, with | a pipe"}, "001_b.txt": {"B-ONE": "b"}}


@needs_shared
def test_the_five_contracts_declare_exactly_the_inventory_ids_and_texts():
    expected = inventory(REAL_INVENTORY.read_text(encoding="utf-8"))
    union: dict[str, str] = {}
    for name in SEEDS:
        source, clauses = declared(name)
        assert source in expected, f"{name}.yaml: source {source!r} is no INVENTORY section"
        assert {cid: c["text"] for cid, c in clauses.items()} == expected[source], name
        assert list(clauses) == list(expected[source]), f"{name}.yaml lists its clauses in another order"
        union.update({cid: c["text"] for cid, c in clauses.items()})
    assert union == {cid: text for section in expected.values() for cid, text in section.items()}


def test_every_declared_clause_is_encoded_or_listed_as_not_encoded():
    """What `obligo validate` enforces (clause-not-covered), seen from the compiled contracts."""
    contracts, diags = load_contracts([CONTRACTS])
    assert [d.render() for d in diags if d.severity == "error"] == []
    assert sorted(contracts) == sorted(SEEDS)
    for cid in SEEDS:
        doc, _ = load_file(CONTRACTS / f"{cid}.yaml")
        exp, _ = expand(doc)
        clauses = set(exp.data["clauses"])
        assert set(contracts[cid].clauses) == clauses, cid
        not_encoded = {n["clause"] for n in exp.data.get("not_encoded") or []}
        cited = _cited(exp.data) | {rule["clause"] for _, rule, _ in exp.rules}
        assert cited <= clauses, (cid, sorted(cited - clauses))
        assert not_encoded <= clauses, cid
        assert not cited & not_encoded, (cid, sorted(cited & not_encoded))
        assert clauses == cited | not_encoded, (cid, sorted(clauses - cited - not_encoded))


def _cited(node: object, skip: tuple[str, ...] = ("assumptions", "not_encoded", "clauses")) -> set[str]:
    """Every `clause:` value in a contract's data, outside the sections that only name clauses."""
    if isinstance(node, dict):
        return {v for k, v in node.items() if k == "clause" and isinstance(v, str)} | {
            c for k, v in node.items() if k not in skip and k != "clause" for c in _cited(v, ())}
    if isinstance(node, list):
        return {c for v in node for c in _cited(v, ())}
    return set()


def test_no_runtime_module_reads_the_shared_folder():
    engine = Path(REPO / "engine")
    hits = [str(p.relative_to(REPO)) for p in engine.rglob("*.py")
            if re.search(r"INVENTORY|shared/seeds|\"shared\"", p.read_text(encoding="utf-8"))]
    assert hits == []

"""The five real contracts in contracts/: they load, their scenarios' actions are valid docs/INTERFACE.md actions
citing clauses of their own seed, and every encoded clause is exercised by a scenario."""

from __future__ import annotations

import io
import re

import pytest
from runtime_fixtures.helpers import CONTRACTS

from engine.cli.main import main
from engine.language.loader import load_contracts
from engine.language.schema import instance_errors
from engine.scenarios.runner import coverage, run_paths

REAL = ("adobe", "olcare", "microsoft-unified", "opentext-corefax", "progr1")

pytestmark = pytest.mark.skipif(
    not all((CONTRACTS / f"{c}.yaml").is_file() for c in REAL), reason="the real contracts are absent")

_RESULTS: dict = {}


def results():
    if not _RESULTS:
        _RESULTS["run"] = run_paths([str(CONTRACTS)])
    return _RESULTS["run"]


def test_the_five_contracts_load_without_errors():
    contracts, diags = load_contracts([CONTRACTS])
    assert [d.render() for d in diags if d.severity == "error"] == []
    assert sorted(contracts) == sorted(REAL)


def test_validate_exits_0_on_every_contract_file():
    out, err = io.StringIO(), io.StringIO()
    paths = [str(CONTRACTS / f"{c}.yaml") for c in REAL]
    assert main(["validate", *paths], out, err) == 0, err.getvalue()


def test_every_contract_has_a_scenario_file():
    assert all((CONTRACTS / f"{c}.tests.yaml").is_file() for c in REAL)


def test_every_scenario_action_is_a_valid_interface_action_citing_its_own_clauses():
    found, _, contracts = results()
    assert found
    seen_kinds = set()
    for result in found:
        declared = contracts[result.contract].clauses
        for action in result.actions:
            d = action.to_dict()
            seen_kinds.add(d["action"])
            for key in ("ticket", "at", "action", "contract", "rule", "clause", "reason"):
                assert isinstance(d.get(key), str) and d[key], (result.name, d)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", d["at"]), d
            assert instance_errors(d, "action") == [], (result.name, d)
            assert d["contract"] == result.contract
            assert d["rule"].startswith(result.contract + ".")
            assert d["clause"] in declared, (result.name, d["clause"])
    assert len(seen_kinds) >= 10  # the scenarios exercise most of the vocabulary


def test_every_encoded_clause_is_exercised_by_a_scenario():
    found, _, contracts = results()
    table = coverage(found, contracts)
    uncovered = [(cid, clause) for cid, clauses in table.items() for clause, who in clauses.items() if not who]
    assert uncovered == []
    assert sorted(table) == sorted(REAL)

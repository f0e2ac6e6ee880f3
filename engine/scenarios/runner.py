"""Scenario tests beside each contract (`obligo test`): run events, match expected actions, coverage.

An expectation is a subset of an action's fields and matches a distinct emitted action (searched in
output order); instants compare as instants. `absent` entries must match nothing. `state` compares
fact paths (as in rule conditions) on the final state of the scenario's ticket.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from engine.language.conditions import ConditionError
from engine.language.load import Document, load_file
from engine.language.loader import (
    SCENARIO_SUFFIX,
    check_contract,
    contract_files,
    version_diagnostics,
    yaml_files_below,
)
from engine.language.model import CompiledContract
from engine.language.schema import schema_diagnostics
from engine.language.versions import contract_key
from engine.model.actions import Action
from engine.model.diagnostics import Diagnostic, errors_only
from engine.model.events import EventError, parse_instant
from engine.model.paths import exists, is_dir
from engine.runtime.engine import Engine
from engine.runtime.trace import ListTracer

_INSTANT_FIELDS = ("at", "due")


@dataclass
class Failure:
    file: str
    line: int | None
    scenario: str
    message: str
    details: list[str] = field(default_factory=list)

    def render(self) -> str:
        head = f"{self.file}:{self.line or 1}: FAIL {self.scenario}: {self.message}"
        return "\n".join([head, *("    " + d for d in self.details)])

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "scenario": self.scenario, "message": self.message,
                "details": self.details}


@dataclass
class ScenarioResult:
    file: str
    name: str
    contract: str
    line: int | None
    failures: list[Failure]
    actions: list[Action]
    exercised: set[str]
    versions: tuple[str, ...] = ()  # the keys (engine.language.versions) of the versions its tickets ran under

    @property
    def passed(self) -> bool:
        return not self.failures


def scenario_file_diagnostics(doc: Document) -> list[Diagnostic]:
    """Schema problems of a scenario file (its contract is checked on its own)."""
    return schema_diagnostics(doc, "scenario")


def discover(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if is_dir(path):
            out.extend(f for f in yaml_files_below(path) if f.name.endswith(SCENARIO_SUFFIX))
        elif path.name.endswith(SCENARIO_SUFFIX):
            out.append(path)
        elif path.suffix in (".yaml", ".yml"):  # a contract: its scenario file beside it
            beside = path.with_name(path.name[: -len(path.suffix)] + SCENARIO_SUFFIX)
            if exists(beside):
                out.append(beside)
    return out


class _Contracts:
    """Compiles each contract version once per set of parameter overrides."""

    def __init__(self) -> None:
        self.cache: dict[tuple, tuple[CompiledContract | None, list[Diagnostic]]] = {}
        self.by_id: dict[tuple[Path, str], list[Document]] = {}

    def find(self, folder: Path, cid: str) -> list[Document]:
        """The documents of every version of contract `cid` in `folder`, in file order."""
        if (folder, cid) not in self.by_id:
            for path in contract_files([folder]):
                doc, _ = load_file(path)
                if doc is not None and isinstance(doc.data, dict) and doc.data.get("id") is not None:
                    self.by_id.setdefault((folder, str(doc.data["id"])), []).append(doc)
        return self.by_id.get((folder, cid), [])

    def get(self, folder: Path, cid: str, params: dict | None, version: str | None = None,
            ) -> tuple[dict[str, CompiledContract] | None, list[Diagnostic]]:
        """The contract's versions by key (engine.language.versions), compiled: all of them, or only
        `version` when a scenario names one. None and the problems if one does not compile."""
        every = self.find(folder, cid)
        docs = every if version is None else [doc for doc in every if str(doc.data.get("version")) == version]
        if not docs:
            which = f"'{cid}' version '{version}'" if version is not None else f"'{cid}'"
            known = sorted(str(d.data.get("version")) for d in every)
            return None, [Diagnostic("unknown-contract", f"no contract {which} in {folder}"
                                     + (f" (versions: {', '.join(known)})" if known else ""))]
        compiled: list[CompiledContract] = []
        for doc in docs:
            key = (doc.file, json.dumps(params or {}, sort_keys=True, default=str))
            if key not in self.cache:
                self.cache[key] = check_contract(doc, params)
            contract, problems = self.cache[key]
            if contract is None:
                return None, problems
            compiled.append(contract)
        overlaps = version_diagnostics(list(zip(docs, compiled, strict=True)))
        if overlaps:
            return None, overlaps
        return {contract_key(c, len(every)): c for c in compiled}, []  # a version alone keeps its key


def _same(expected: Any, actual: Any, key: str) -> bool:
    if key in _INSTANT_FIELDS and isinstance(expected, str) and isinstance(actual, str):
        try:
            return parse_instant(expected) == parse_instant(actual)
        except EventError:
            return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(expected - actual) < 1e-9
    return str(expected) == str(actual) if isinstance(actual, str) else expected == actual


def _matches(expected: dict, actual: dict) -> bool:
    return all(k in actual and _same(v, actual[k], k) for k, v in expected.items())


def _assign(expected: list[dict], emitted: list[dict]) -> dict[int, int]:
    """Expectation index -> distinct action index, as many as possible (augmenting paths), so the
    order in which expectations are written never decides whether they pass."""
    candidates = [[k for k, act in enumerate(emitted) if _matches(exp, act)] for exp in expected]
    owner: dict[int, int] = {}  # action -> expectation

    def place(j: int, seen: set[int]) -> bool:
        for k in candidates[j]:
            if k in seen:
                continue
            seen.add(k)
            if k not in owner or place(owner[k], seen):
                owner[k] = j
                return True
        return False

    for j in range(len(expected)):
        place(j, set())
    return {j: k for k, j in owner.items()}


def _diff(expected: dict, actual: dict) -> str:
    parts = []
    for k, v in expected.items():
        got = actual.get(k, "<absent>")
        mark = "  " if k in actual and _same(v, got, k) else ">>"
        parts.append(f"{mark} {k}: expected {v!r}, got {got!r}" if mark == ">>" else f"{mark} {k}: {v!r}")
    return "; ".join(p.strip() for p in parts)


def run_scenario(doc: Document, index: int, spec: dict, contracts: Mapping[str, CompiledContract]) -> ScenarioResult:
    """One scenario against one contract: its versions by key (one, or several, the engine picking
    each ticket's by its `opened` instant)."""
    name = spec["name"]
    path = ("scenarios", index)
    line = doc.locate(path)[0]
    tracer = ListTracer()
    engine = Engine(dict(contracts), tracer)
    contract = next(iter(contracts.values()))
    ticket = spec.get("ticket", "T-1")
    failures: list[Failure] = []
    actions: list[Action] = []
    last = None
    for i, raw in _in_time_order(spec["events"]):
        event = {"id": f"e{i + 1}", "ticket": ticket, **raw}
        if event["type"] == "opened":
            event.setdefault("contract", contract.id)
        try:
            produced = engine.process(event)
            actions.extend(produced)
            last = event["at"]
        except EventError as exc:
            failures.append(Failure(doc.file, doc.locate((*path, "events", i))[0], name,
                                    f"event {i + 1} ({raw.get('type')}) was rejected: {exc}"))
    until = spec.get("until") or last
    if until is not None:
        try:
            actions.extend(engine.advance(until))
        except EventError as exc:
            failures.append(Failure(doc.file, doc.locate((*path, "until"))[0], name, f"bad until: {exc}"))
    emitted = [a.to_dict() for a in actions]
    expected = spec.get("expect") or []
    assignment = _assign(expected, emitted)
    for j, exp in enumerate(expected):
        if j in assignment:
            continue
        close = [a for a in emitted if a.get("action") == exp.get("action")
                 and (exp.get("ticket") is None or a.get("ticket") == exp.get("ticket"))]
        close.sort(key=lambda a: -sum(1 for k, v in exp.items() if k in a and _same(v, a[k], k)))
        details = [f"closest: {_diff(exp, a)}" for a in close[:3]] or [
            f"no '{exp.get('action')}' action was emitted; emitted: "
            + (", ".join(sorted({a['action'] for a in emitted})) or "nothing")]
        failures.append(Failure(doc.file, doc.locate((*path, "expect", j))[0], name,
                                f"expected {json.dumps(exp, default=str)} was not emitted", details))
    for j, ab in enumerate(spec.get("absent") or []):
        hits = [a for a in emitted if _matches(ab, a)]
        if hits:
            failures.append(Failure(doc.file, doc.locate((*path, "absent", j))[0], name,
                                    f"{json.dumps(ab, default=str)} must not be emitted, but was",
                                    [json.dumps(h, ensure_ascii=False) for h in hits[:3]]))
    for key, expected in (spec.get("state") or {}).items():
        try:
            actual = engine.read(ticket, key)
        except ConditionError as exc:
            failures.append(Failure(doc.file, doc.locate((*path, "state", key))[0], name, f"bad state path: {exc}"))
            continue
        if not _same(expected, actual, key):
            failures.append(Failure(doc.file, doc.locate((*path, "state", key))[0], name,
                                    f"state {key}: expected {expected!r}, got {actual!r}"))
    exercised = {a.clause for a in actions} | {r["clause"] for r in tracer.records}
    exercised |= _definition_clauses(engine, actions)
    used = tuple(sorted({state.contract for state in engine.tickets.values()})) or tuple(contracts)
    return ScenarioResult(doc.file, name, contract.id, line, failures, actions, exercised, used)


def _in_time_order(events: list[dict]) -> list[tuple[int, dict]]:
    """(index, event) sorted stably by instant, as `replay` orders a log; an unparsable `at` keeps
    its place at the front so that its rejection is reported."""
    def key(item: tuple[int, dict]) -> tuple[int, int]:
        try:
            return parse_instant(item[1].get("at")), item[0]
        except EventError:
            return -(2**62), item[0]
    return sorted(enumerate(events), key=key)


def _definition_clauses(engine: Engine, actions: list[Action]) -> set[str]:
    """Clauses of terms a run relied on: the plans and severities of its tickets, the calendars of its clocks."""
    out: set[str] = set()
    for state in engine.tickets.values():
        contract = engine.contracts[state.contract]
        sev_clause = contract.severity_clauses
        for value in (state.opened_severity, state.attrs.get("severity")):
            if isinstance(value, str) and value in sev_clause:  # absent, or not text: names no severity
                out.add(sev_clause[value])
        plan_name = state.attrs.get("plan")
        plan = contract.plans.get(plan_name) if isinstance(plan_name, str) else None
        if plan is not None and plan.clause:
            out.add(plan.clause)
        for clock in state.clocks.values():
            calendar = contract.calendars.get(clock.label.split(" ", 1)[0])
            if calendar is not None and calendar.clause:
                out.add(calendar.clause)
    return out


def encoded_clauses(contract: CompiledContract) -> set[str]:
    """Clauses a contract claims to encode: every clause its terms and rules cite (assumptions and
    not_encoded do not count)."""
    cited: list[str | None] = [
        *(c.clause for c in contract.calendars.values()),
        *(p.clause for p in contract.plans.values()),
        *(s.clause for s in contract.severity_terms),
        *(t.clause for t in contract.target_list),
        *(o.clause for o in contract.obligations.values()),
        *(e.clause for e in contract.exclusion_list),
        *(r.clause for r in contract.reclassifications),
        *(r.clause for r in contract.event_refusals),
        *(g.clause for g in contract.graphs),
        *(r.clause for r in contract.rules),
    ]
    if contract.severity_policy is not None:
        cited.append(contract.severity_policy.clause)
    return {clause for clause in cited if isinstance(clause, str)}


def run_paths(paths: list[str]) -> tuple[list[ScenarioResult], list[Diagnostic], dict[str, CompiledContract]]:
    files = discover(paths)
    diags: list[Diagnostic] = []
    contracts = _Contracts()
    results: list[ScenarioResult] = []
    base: dict[str, CompiledContract] = {}
    if not files:
        diags.append(Diagnostic("no-scenarios", "no *.tests.yaml scenario files under " + ", ".join(paths)))
    for path in files:
        doc, problems = load_file(path)
        diags += problems
        if doc is None:
            continue
        problems = scenario_file_diagnostics(doc)
        diags += problems
        if problems:
            continue
        cid = str(doc.data["contract"])
        file_version = _version(doc.data.get("version"))
        compiled, problems = contracts.get(path.parent, cid, None, file_version)
        if compiled is None:
            diags += [p.at(str(path)) for p in errors_only(problems)] or [
                doc.diag("unknown-contract", f"contract '{cid}' did not compile", ("contract",))]
            continue
        base.update(compiled)
        for i, spec in enumerate(doc.data["scenarios"]):
            version = _version(spec.get("version", file_version))
            chosen: dict[str, CompiledContract] | None = compiled
            if spec.get("params") or version != file_version:
                chosen, problems = contracts.get(path.parent, cid, spec.get("params"), version)
                if chosen is None:
                    located = doc.diag("unknown-contract", problems[0].message, ("scenarios", i)) if problems else None
                    diags += [p for p in errors_only(problems) if p.file] or ([located] if located else [])
                    continue
            assert chosen is not None
            results.append(run_scenario(doc, i, spec, chosen))
    for folder in [Path(p) for p in paths if is_dir(p)]:
        for path in contract_files([folder]):  # a contract with no scenario file still counts for coverage
            doc, _ = load_file(path)
            if doc is not None and isinstance(doc.data, dict):
                cid = str(doc.data.get("id"))
                if not any(c.id == cid for c in base.values()):
                    found, _ = contracts.get(folder, cid, None)
                    base.update(found or {})
    return results, diags, base


def _version(value: Any) -> str | None:
    """A scenario's `version:` as the contract files write it (text; a YAML number read as text)."""
    return None if value is None else str(value)


def coverage(results: list[ScenarioResult], contracts: dict[str, CompiledContract]) -> dict[str, dict[str, list[str]]]:
    """contract -> clause -> scenarios exercising it, for every clause the contract encodes."""
    out: dict[str, dict[str, list[str]]] = {}
    for key, contract in sorted(contracts.items()):
        table: dict[str, list[str]] = {clause: [] for clause in sorted(encoded_clauses(contract))}
        for r in results:
            if key not in r.versions:
                continue
            for clause in r.exercised:
                if clause in table:
                    table[clause].append(r.name)
        out[key] = table
    return out


def run_cli(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if not discover(args.paths):  # a usage error (exit 2), not "0 passed"
        err.write(f"obligo test: no *{SCENARIO_SUFFIX} scenario files found in {', '.join(args.paths)}\n")
        return 2
    results, diags, contracts = run_paths(args.paths)
    for d in diags:
        err.write(d.render() + "\n")
    cov = coverage(results, contracts) if (args.coverage or args.require_coverage) else {}
    uncovered = [(cid, clause) for cid, table in cov.items() for clause, who in table.items() if not who]
    failed = [r for r in results if not r.passed]
    if args.format == "json":
        payload = {
            "passed": sum(r.passed for r in results), "failed": len(failed),
            "failures": [f.to_dict() for r in failed for f in r.failures],
            "errors": [d.to_dict() for d in errors_only(diags)],
        }
        if cov:
            payload["coverage"] = cov
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in failed:
            for f in r.failures:
                out.write(f.render() + "\n")
        if args.coverage:
            for cid, table in cov.items():
                out.write(f"coverage {cid}:\n")
                for clause, who in table.items():
                    out.write(f"  {clause:22} {len(who):3}  {', '.join(who[:3])}{' ...' if len(who) > 3 else ''}\n"
                              if who else f"  {clause:22}   0  NOT EXERCISED\n")
        if args.require_coverage and uncovered:
            for cid, clause in uncovered:
                out.write(f"uncovered: {cid}: clause {clause} is encoded but no scenario exercises it\n")
        out.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    if errors_only(diags) or failed or (args.require_coverage and uncovered):
        return 1
    return 0


__all__ = ["run_paths", "run_scenario", "coverage", "encoded_clauses", "discover"]

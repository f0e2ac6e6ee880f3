"""Static checks of a contract that validated without errors: warnings with a clause and a fix hint.

Run by the loader after the semantic checks (so by `obligo validate` and wherever contracts load;
a warning never stops a load, `obligo validate --strict` fails on one). The analyses live in
lint_targets (target table: never applies, shadowed, gaps), lint_rules (rules never firing,
conflicting clock targets, undeclared values and recipients), lint_graphs (escalation levels
unreachable or without contact) and lint_calendars (regions without a calendar); lint_logic
decides conditions over the declared finite values.

A finding accepted on purpose is listed in the contract (`lint: {ignore: [{code, at, why}]}`, `at`
naming what the warning names, `why` required); an entry that matches nothing is itself a warning
(`lint-ignore-unused`), so suppressions cannot outlive the finding they justify.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.language.expand import Expanded
from engine.language.lint_calendars import region_findings
from engine.language.lint_finding import Finding
from engine.language.lint_graphs import graph_findings
from engine.language.lint_logic import Solver, Vocabulary
from engine.language.lint_rules import rule_findings
from engine.language.lint_targets import target_findings
from engine.model.diagnostics import Diagnostic


def lint_diagnostics(exp: Expanded) -> list[Diagnostic]:
    """Every static-check warning (and note) of an expanded, error-free contract, in file order,
    less those its `lint: ignore` accepts."""
    solver = Solver(Vocabulary.of(exp.data).domains)
    findings = _one_per_mistake([*target_findings(exp, solver), *rule_findings(exp, solver),
                                 *graph_findings(exp, solver), *region_findings(exp)])
    out = _suppressed(exp, findings)
    unique = list(dict.fromkeys(out))
    return sorted(unique, key=lambda d: (d.file or "", d.line or 0, d.col or 0, d.code, d.message))


def _one_per_mistake(findings: list[Finding]) -> list[Finding]:
    """A condition that never holds only because of an undeclared literal is reported once, as the
    `undeclared-*` finding at that literal, not also as never firing."""
    literals = [(f.diag.file, f.diag.path) for f in findings if f.diag.code.startswith("undeclared-")]
    return [f for f in findings if not (f.diag.code.endswith("-never-fires") and any(
        file == f.diag.file and path[:len(f.diag.path)] == f.diag.path for file, path in literals))]


def _suppressed(exp: Expanded, findings: list[Finding]) -> list[Diagnostic]:
    section = exp.data.get("lint")
    entries: list[Any] = section.get("ignore") or [] if isinstance(section, dict) else []
    used: set[int] = set()
    out = []
    for finding in findings:
        hit = next((i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("code") == finding.diag.code
                    and e.get("at") == finding.subject), None)
        if hit is None:
            out.append(finding.diag)
        else:
            used.add(hit)
    for i, entry in enumerate(entries):
        if i not in used:
            diag = exp.doc.diag("lint-ignore-unused", f"lint ignore entry {entry.get('code')} at '{entry.get('at')}' "
                                "matches no finding", ("lint", "ignore", i))
            out.append(replace(diag, severity="warning", hint="remove the entry (the finding is gone), or fix its "
                               "`code`/`at` to what the warning names"))
    return out

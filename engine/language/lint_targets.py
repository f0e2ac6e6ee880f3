"""Static checks of the target table: targets that never apply, targets an earlier one hides, gaps.

The runtime (CompiledContract.target) takes, per clock, the first target in definition order whose
row covers the ticket's severity (its own row, else its `all:` row) and whose `match` holds. So per
clock this enumerates every combination of the finite facts its targets read (severity, and each
`ticket.<attr>` with a declared finite domain: `values`, booleans, `plans:`/`regions:` keys,
channels), each value plus "absent", and asks of each target whether its condition surely holds,
may hold (it depends on a free-form fact, e.g. a product name) or cannot. A target row that never
may hold is `target-never-fires`; one that may hold only where an earlier target surely holds is
`target-shadowed`; a combination of declared values (none absent) where no target may hold is a
`target-gap`; one where targets may hold but none surely does (it depends on a free-form fact,
e.g. a product name pattern) is `target-maybe-gap`. Free-form facts are not enumerated.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from engine.language.conditions import condition_fields
from engine.language.lint_finding import Finding, note, warn
from engine.language.lint_logic import Solver, dnf

MAX_COMBINATIONS = 10_000
MAX_EVALUATIONS = 200_000  # combinations x targets of one clock: about a second at worst
_SHOWN = 4  # combinations quoted in a gap message


def target_findings(exp: Any, solver: Solver) -> Iterator[Finding]:
    targets = [t for t in exp.data.get("targets") or [] if isinstance(t, dict)]
    clocks: dict[str, list[int]] = {}
    for i, t in enumerate(targets):
        clocks.setdefault(str(t.get("clock")), []).append(i)
    for clock, indices in clocks.items():
        yield from _clock(exp, solver, clock, [(i, targets[i]) for i in indices])


def _clock(exp: Any, solver: Solver, clock: str, targets: list[tuple[int, dict]]) -> Iterator[Finding]:
    doc = exp.doc
    severities = [s.get("id") for s in exp.data.get("severities") or []]
    fields = ["ticket.severity"]
    for _i, t in targets:
        fields += [f for f in condition_fields(t.get("match")) if f not in fields and f.startswith("ticket.")
                   and f.count(".") == 1 and f in solver.domains]
    domains = [(*severities, None) if f == "ticket.severity" else solver.domains[f] for f in fields]
    size = 1
    for d in domains:
        size *= len(d)
    first = targets[0][0]
    if size > MAX_COMBINATIONS or size * len(targets) > MAX_EVALUATIONS:
        over = (f"over {MAX_COMBINATIONS:,}" if size > MAX_COMBINATIONS else
                f"times {len(targets)} targets is over {MAX_EVALUATIONS:,} evaluations")
        yield Finding(note(doc.diag("target-space-too-large", f"clock '{clock}': {size:,} combinations of "
                                     f"{', '.join(fields)} ({over}); its targets are not checked "
                                     "for gaps and shadowing", ("targets", first)), "note",
                            targets[0][1].get("clause"),
                            "fewer declared `values` on the attributes its targets read, or ignore this note"), clock)
        return
    forms = [dnf(t.get("match")) for _i, t in targets]
    used: set[tuple[int, str]] = set()  # (target index, row key) that wins somewhere
    reachable: set[tuple[int, str]] = set()  # ... whose condition may hold somewhere (with a row for it)
    hidden_by: dict[tuple[int, str], set[str]] = {}
    gaps: list[dict[str, Any]] = []
    maybe: list[dict[str, Any]] = []  # combinations where a target may hold, none surely: it depends on free facts
    depends: list[str] = []
    for combo in itertools.product(*domains):
        env = dict(zip(fields, combo, strict=True))
        sev = env["ticket.severity"]
        winner: str | None = None  # an earlier target surely holds
        covered = False
        free: list[str] = []
        for (i, t), form in zip(targets, forms, strict=True):
            row = str(sev) if sev is not None and str(sev) in (t.get("severities") or {}) else \
                "all" if "all" in t else None
            if row is None:
                continue
            sure = solver.certain(t.get("match"), env)
            if sure is False or (sure is None and not solver.possible(form, env)):
                continue
            covered = True
            if sure is None:
                free += [f for f in condition_fields(t.get("match")) if f not in env and f not in free]
            reachable.add((i, row))
            if winner is None:
                used.add((i, row))
            else:
                hidden_by.setdefault((i, row), set()).add(winner)
            if sure is True and winner is None:
                winner = str(t.get("id"))
        if all(v is not None for v in combo):
            if not covered:
                gaps.append(env)
            elif winner is None:
                maybe.append(env)
                depends += [f for f in free if f not in depends]
    for i, t in targets:
        keys = [str(sev) for sev in t.get("severities") or {}] + (["all"] if "all" in t else [])
        tid, clause = str(t.get("id")), t.get("clause")
        if not any((i, k) in reachable for k in keys):
            yield Finding(warn(doc.diag("target-never-fires", f"target '{tid}' (clock {clock}) never applies: its "
                                         "`match` cannot hold together with a severity it has a row for, given the "
                                         "declared values", ("targets", i)), clause,
                                "fix the `match` (a value outside the declared `values`?) or remove the target"), tid)
            continue
        if not any((i, k) in used for k in keys):
            before = sorted({w for k in keys for w in hidden_by.get((i, k), ())})
            yield Finding(warn(doc.diag("target-shadowed", f"target '{tid}' (clock {clock}) never applies: earlier "
                                         f"target(s) {', '.join(before)} always match first", ("targets", i)), clause,
                                "move it before the target(s) that hide it, or narrow their `match`"), tid)
            continue
        for key in keys:
            where = ("targets", i, "severities", key) if key != "all" else ("targets", i, "all")
            if (i, key) not in reachable:
                yield Finding(warn(doc.diag("target-never-fires", f"row {key} of target '{tid}' (clock {clock}) "
                                             "never applies: the target's `match` excludes that severity", where,
                                             key=True), clause, "remove the row, or widen the `match`"), f"{tid}.{key}")
            elif (i, key) not in used:
                before = sorted(hidden_by.get((i, key), ()))
                yield Finding(warn(doc.diag("target-shadowed", f"row {key} of target '{tid}' (clock {clock}) never "
                                             f"applies: earlier target(s) {', '.join(before)} always match first",
                                             where, key=True), clause,
                                    "remove the row, or move the target before the one that hides it"), f"{tid}.{key}")
    if gaps:
        yield Finding(warn(doc.diag("target-gap", f"clock '{clock}' has no target for {len(gaps)} combination(s) of "
                                     f"declared values: {_combinations(gaps)}", ("targets", first)),
                            targets[0][1].get("clause"), "add a target (or an `all:` row, or `none` for a deliberate "
                            "no-clock) for these combinations"), clock)
    if maybe:
        yield Finding(warn(doc.diag("target-maybe-gap", f"clock '{clock}' may have no target for {len(maybe)} "
                                     f"combination(s) of declared values, depending on {', '.join(depends)}: "
                                     f"{_combinations(maybe)}", ("targets", first)), targets[0][1].get("clause"),
                            "end the clock's targets with one whose `match` reads no free-form fact (a fallback), or "
                            "ignore it if every value is covered"), clock)


def _combinations(envs: list[dict[str, Any]]) -> str:
    shown = "; ".join(", ".join(f"{f.split('.', 1)[1]}={v}" for f, v in env.items()) for env in envs[:_SHOWN])
    return shown + (f" and {len(envs) - _SHOWN} more" if len(envs) > _SHOWN else "")


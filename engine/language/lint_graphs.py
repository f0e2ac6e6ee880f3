"""Static checks of escalation graphs beyond their shape (cycles, second entries and isolated levels
are `escalation-graph` errors, escalation.graph_problems): a level only reachable through edges
whose `match` cannot hold with the graph's `applies` (`escalation-unreachable`), and a level one
escalates to that names no contact (`escalation-no-contact`: the escalate action then names a
role and no one to reach)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import networkx as nx

from engine.language.escalation import graph_problems
from engine.language.lint_finding import Finding
from engine.language.lint_logic import Solver, dnf


def graph_findings(exp: Any, solver: Solver) -> Iterator[Finding]:
    for i, g in enumerate(exp.data.get("escalation") or []):
        if not isinstance(g, dict) or graph_problems(g):
            continue
        gid, clause = str(g.get("id")), g.get("clause")
        nodes = list((g.get("nodes") or {}).keys())
        live = nx.DiGraph()
        live.add_nodes_from(nodes)
        dead = []
        for j, edge in enumerate(g.get("edges") or []):
            both = [c for c in (g.get("applies"), edge.get("match")) if c is not None]
            if solver.possible(dnf({"$and": both} if both else None)):
                live.add_edge(edge.get("from"), edge.get("to"))
            else:
                dead.append(j)
        entry = next((n for n in nodes if not any(e.get("to") == n for e in g.get("edges") or [])), None)
        reached = nx.descendants(live, entry) | {entry} if entry is not None else set(nodes)
        for node in nodes:
            where = ("escalation", i, "nodes", node)
            if node not in reached:
                why = ", ".join(f"edges[{j}]" for j in dead)
                yield Finding(replace(exp.doc.diag("escalation-unreachable", f"escalation graph '{gid}': level '{node}' "
                                                   f"is never reached: the `match` of {why} cannot hold (with the "
                                                   "graph's `applies`) given the declared values", where, key=True),
                                      severity="warning", clause=clause,
                                      hint="fix the edge's `match`, or remove the level"), f"{gid}.{node}")
            elif node != entry and not (g["nodes"].get(node) or {}).get("contact"):
                role = (g["nodes"].get(node) or {}).get("role")
                yield Finding(replace(exp.doc.diag("escalation-no-contact", f"escalation graph '{gid}': level '{node}' "
                                                   f"({role}) has no `contact`: an escalation to it reaches no one "
                                                   "named", where, key=True),
                                      severity="warning", clause=clause,
                                      hint="add `contact:` (who is reached at this level), or ignore it with the "
                                      "seed's reason"), f"{gid}.{node}")

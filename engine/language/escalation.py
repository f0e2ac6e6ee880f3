"""Escalation chains as graphs (networkx): structural checks and one-step moves along edges.

networkx is imported where a check or a view needs it, not with the module: the runtime moves along
`EscalationGraph.edges` alone, and a command whose contracts come from the cache
(engine.language.cache) does not pay its import (about 0.1 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.language.conditions import Facts, Predicate, compile_condition
from engine.model.diagnostics import did_you_mean

if TYPE_CHECKING:
    import networkx as nx

TRIGGERS = ("customer_request", "breach", "rule")


def build_graph(spec: dict) -> nx.DiGraph:
    """A DiGraph of the spec's nodes (with role/contact/hours) and edges (with triggers)."""
    import networkx as nx

    graph = nx.DiGraph(id=spec.get("id"))
    for node, attrs in (spec.get("nodes") or {}).items():
        graph.add_node(node, **(attrs or {}))
    for edge in spec.get("edges") or []:
        graph.add_edge(edge.get("from"), edge.get("to"), trigger=tuple(edge.get("trigger") or ()))
    return graph


def graph_problems(spec: dict) -> list[tuple[str, tuple, str]]:
    """(message, sub-path, fix hint) for each structural problem: unknown nodes, cycles, entries,
    reachability."""
    nodes = list((spec.get("nodes") or {}).keys())
    problems: list[tuple[str, tuple, str]] = []
    for i, edge in enumerate(spec.get("edges") or []):
        for end in ("from", "to"):
            if edge.get(end) not in nodes:
                problems.append((f"edge {end} unknown node '{edge.get(end)}'{did_you_mean(edge.get(end), nodes)}",
                                 ("edges", i, end), "name a level declared under `nodes:`"))
    if problems:
        return problems
    import networkx as nx

    graph = build_graph(spec)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        index = _edge_index(spec, cycle[-1])
        return [(f"cycle {path}; an escalation chain must only go up", ("edges", index),
                 "remove the edge that goes back down the chain")]
    # The entry is the first declared node with no incoming edge. In an acyclic graph every other
    # node without an incoming edge is either a second start of the chain (it has edges out) or an
    # isolated node no escalation can ever reach: each is reported at its own line.
    entries = [n for n in nodes if graph.in_degree(n) == 0]
    entry = entries[0]
    for node in entries[1:]:
        if graph.out_degree(node) > 0:
            problems.append((f"node '{node}' is a second entry (no edge leads to it, yet it has edges out); a chain "
                             f"has exactly one entry, here '{entry}'", ("nodes", node),
                             f"add an edge into '{node}' from the level below it"))
        else:
            problems.append((f"node '{node}' cannot be reached from the entry '{entry}': no edge leads to it",
                             ("nodes", node), f"add an edge to '{node}', or remove the level"))
    return problems


def _edge_index(spec: dict, edge: tuple) -> int:
    for i, e in enumerate(spec.get("edges") or []):
        if (e.get("from"), e.get("to")) == tuple(edge[:2]):
            return i
    return 0


@dataclass(frozen=True)
class Edge:
    to: str
    triggers: tuple[str, ...]
    predicate: Predicate | None
    source: str = ""  # the node the edge leaves
    condition: dict | None = None  # the `match` durable_rules JSON the predicate was compiled from


@dataclass(frozen=True)
class EscalationGraph:
    """A validated graph compiled for the runtime: entry node, ordered out-edges, levels."""

    id: str
    clause: str
    entry: str
    applies: Predicate | None
    edges: dict[str, tuple[Edge, ...]]
    nodes: dict[str, dict]
    edge_list: tuple[Edge, ...] = ()  # every edge, in definition order (`edges` groups them by node)

    @property
    def graph(self) -> nx.DiGraph:
        """The chain as a networkx DiGraph (`build_graph`'s), for views: made when asked for."""
        return build_graph({"id": self.id, "nodes": self.nodes,
                            "edges": [{"from": e.source, "to": e.to, "trigger": e.triggers} for e in self.edge_list]})

    def step(self, node: str, trigger: str, facts: Facts) -> str | None:
        """The next node from `node` for `trigger`, or None at the top of the chain."""
        for edge in self.edges.get(node, ()):
            if trigger in edge.triggers and (edge.predicate is None or edge.predicate(facts)):
                return edge.to
        return None


def compile_graph(spec: dict) -> EscalationGraph:
    reached = {e.get("to") for e in spec.get("edges") or []}
    entry = next(n for n in spec["nodes"] if n not in reached)  # the first declared node no edge leads to
    edges: dict[str, list[Edge]] = {}
    in_order: list[Edge] = []
    for e in spec.get("edges") or []:
        pred = compile_condition(e["match"]) if e.get("match") else None
        edge = Edge(e["to"], tuple(e["trigger"]), pred, e["from"], e.get("match"))
        edges.setdefault(e["from"], []).append(edge)
        in_order.append(edge)
    return EscalationGraph(
        id=spec["id"],
        clause=spec["clause"],
        entry=entry,
        applies=compile_condition(spec["applies"]) if spec.get("applies") else None,
        edges={k: tuple(v) for k, v in edges.items()},
        nodes={k: dict(v or {}) for k, v in spec["nodes"].items()},
        edge_list=tuple(in_order),
    )

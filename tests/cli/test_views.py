"""engine.views: `obligo show` and `obligo graph` (mermaid, dot, svg) on the fixture and real contracts."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from runtime_fixtures.helpers import ACME, CONTRACTS, MINI, write

from engine.cli.main import main
from engine.cli.views import table, to_dot, to_mermaid, to_svg
from engine.language.escalation import compile_graph

REAL = ("adobe", "olcare", "microsoft-unified", "opentext-corefax", "progr1")
SVG = "{http://www.w3.org/2000/svg}"


def obligo(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*map(str, argv)], out, err)
    return code, out.getvalue(), err.getvalue()


def test_show_fixture_contract():
    code, out, err = obligo("show", ACME)
    # warnings (e.g. reads of undeclared attributes: the fixture has no `attributes:`) do not stop `show`
    assert code == 0 and all(": warning: " in line for line in err.splitlines())
    assert out.startswith("ACME fixture contract  [acme v1.0]\n")
    for section in ("== Calendars ==", "== Regions ==", "== Plans ==", "== Severities (most severe first) ==",
                    "== Targets (first matching entry wins) ==", "== Obligations ==", "== Exclusions ==",
                    "== Reclassification ==", "== Escalation graph chain (TST-ESC) ==",
                    "== Rules (salience, then definition order) ==", "== Parameters ==", "== Assumptions ==",
                    "== Clauses not encoded =="):
        assert section in out
    assert re.search(r"^response\s+\(all tickets\)\s+S1\s+1 hour\s+24x7\s+TST-RT$", out, re.M)
    assert re.search(r"^update\s+\(all tickets\)\s+S2\s+none\s+region\s+TST-UPD$", out, re.M)
    assert re.search(r"^agent\s+manager\s+customer_request, breach", out, re.M)


def test_graph_formats_on_the_fixture():
    code, mermaid, _ = obligo("graph", ACME)
    assert code == 0
    assert mermaid.splitlines()[:2] == ["flowchart TD", '  subgraph g0["chain (TST-ESC)"]']
    # node ids are positional (g<graph>n<node>): agent g0n0, manager g0n1, director g0n2
    assert '    g0n0 -->|"customer_request, breach"| g0n1' in mermaid.splitlines()
    assert '    g0n1 -->|"customer_request, breach"| g0n2' in mermaid.splitlines()
    code, dot, _ = obligo("graph", "--format", "dot", ACME)
    assert code == 0 and dot.startswith("digraph escalation {")
    assert '    "chain.agent" -> "chain.manager" [label="customer_request, breach"];' in dot.splitlines()
    code, svg, _ = obligo("graph", "--format", "svg", ACME)
    root = ET.fromstring(svg)
    assert code == 0 and root.tag == SVG + "svg"
    assert len(root.findall(f"{SVG}rect")) == 3 and len(root.findall(f"{SVG}line")) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "chain (TST-ESC)" in texts and "director" in texts


def test_graph_of_a_contract_without_escalation_fails(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI)
    code, out, err = obligo("graph", path)
    assert code == 1 and out == "" and "has no escalation graph" in err


def test_show_of_a_broken_contract_fails_with_diagnostics(tmp_path):
    path = write(tmp_path / "mini.yaml", MINI.replace("all: 2 hours", "all: 2 fortnights"))
    code, out, err = obligo("show", path)
    assert code == 1 and out == "" and f"{path}:" in err


def graphs(specs: list[dict]) -> list:
    """Escalation specs compiled as `obligo graph` renders them."""
    return [compile_graph(g) for g in specs]


def test_labels_with_quotes_and_markup_stay_well_formed():
    spec = graphs([{"id": "g", "clause": "X-1", "nodes": {"a": {"role": 'the "boss" & <co>'}, "b": {"role": "b"}},
             "edges": [{"from": "a", "to": "b", "trigger": ["rule"], "match": {"ticket.plan": 'say "hi"'}}]}])
    mermaid = to_mermaid(spec)
    assert mermaid.count('"') % 2 == 0 and '\\"' not in mermaid
    root = ET.fromstring(to_svg(spec))
    assert 'the "boss" & <co>' in [t.text for t in root.iter(f"{SVG}text")]


def test_dot_keeps_non_ascii_labels_readable():
    spec = graphs([{"id": "g", "clause": "X-1", "nodes": {"a": {"role": "téléassistance"}, "b": {"role": "b"}},
             "edges": [{"from": "a", "to": "b", "trigger": ["rule"]}]}])
    dot = to_dot(spec)
    assert "téléassistance" in dot and "\\u00" not in dot


def test_mermaid_node_ids_are_distinct_for_distinct_nodes():
    spec = graphs([{"id": "g", "clause": "X-1", "nodes": {"dir-ca": {"role": "one"}, "dir_ca": {"role": "two"}},
             "edges": [{"from": "dir-ca", "to": "dir_ca", "trigger": ["rule"]}]}])
    body = [line for line in to_mermaid(spec).splitlines() if line.startswith("    ") and "-->" not in line]
    ids = [line.split("[", 1)[0].strip() for line in body]
    assert len(ids) == len(set(ids)) == 2


def test_table_wraps_long_cells():
    text = table(["a", "b"], [["x", "word " * 20]], width=20)
    lines = text.splitlines()
    assert lines[0].split() == ["a", "b"] and len(lines) > 3
    assert all(len(line) <= 1 + 2 + 20 for line in lines)


needs_real = pytest.mark.skipif(not all((CONTRACTS / f"{c}.yaml").is_file() for c in REAL),
                                reason="the real contracts are absent")


@needs_real
@pytest.mark.parametrize("contract", REAL)
def test_show_real_contract(contract):
    code, out, err = obligo("show", CONTRACTS / f"{contract}.yaml")
    assert code == 0, err
    assert f"[{contract} v" in out.splitlines()[0] and "== Targets" in out and "== Rules" in out


@needs_real
@pytest.mark.parametrize("contract", REAL)
def test_graph_real_contract_in_every_format(contract):
    import yaml

    path = CONTRACTS / f"{contract}.yaml"
    graphs = yaml.safe_load(path.read_text(encoding="utf-8"))["escalation"]
    nodes = [n for g in graphs for n in g["nodes"]]
    code, mermaid, err = obligo("graph", "--format", "mermaid", path)
    assert code == 0, err
    assert mermaid.startswith("flowchart")
    assert mermaid.count("subgraph ") == len(graphs) == mermaid.count("\n  end")
    assert mermaid.count("-->") == sum(len(g["edges"]) for g in graphs)
    code, dot, _ = obligo("graph", "--format", "dot", path)
    assert code == 0 and dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == sum(len(g["edges"]) for g in graphs)
    code, svg, _ = obligo("graph", "--format", "svg", path)
    root = ET.fromstring(svg)  # well-formed XML
    assert code == 0 and root.tag == SVG + "svg"
    assert len(root.findall(f"{SVG}rect")) == len(nodes)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert all(node[:36] in texts for node in nodes)

"""The README's scenario example is a real, passing scenario (so the documentation cannot drift)."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

from engine.cli.main import main
from engine.scenarios.runner import run_paths

ROOT = Path(__file__).resolve().parent.parent


def _readme_scenario() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(contract: adobe\n.*?)```", text, re.S)
    assert match, "README lost its scenario example"
    return match.group(1)


def test_readme_scenario_passes(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    shutil.copy(ROOT / "contracts" / "adobe.yaml", tmp_path / "contracts" / "adobe.yaml")
    scenario = tmp_path / "contracts" / "readme.tests.yaml"
    scenario.write_text(_readme_scenario(), encoding="utf-8")
    results, diags, _ = run_paths([str(scenario)])
    assert [d.render() for d in diags if d.severity == "error"] == []
    assert len(results) == 1 and results[0].passed, [f.render() for f in results[0].failures]


def test_readme_scenario_fails_when_its_due_is_wrong(tmp_path: Path) -> None:
    """A changed expectation must fail, at the line of that expectation."""
    (tmp_path / "contracts").mkdir()
    shutil.copy(ROOT / "contracts" / "adobe.yaml", tmp_path / "contracts" / "adobe.yaml")
    text = _readme_scenario().replace('due: "2026-03-03T09:20:00Z"', 'due: "2026-03-03T09:30:00Z"')
    scenario = tmp_path / "contracts" / "readme.tests.yaml"
    scenario.write_text(text, encoding="utf-8")
    results, _, _ = run_paths([str(scenario)])
    failure = results[0].failures[0]
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "09:30:00Z" in line)
    assert failure.line == expected_line
    assert ">> due: expected '2026-03-03T09:30:00Z', got '2026-03-03T09:20:00Z'" in failure.render()


def test_readme_mermaid_is_what_obligo_graph_prints_for_olcare() -> None:
    import io

    from engine.cli.main import main

    contract = ROOT / "contracts" / "olcare.yaml"
    out = io.StringIO()
    assert main(["graph", str(contract)], out, io.StringIO()) == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", readme, re.S)
    assert block and block.group(1) == out.getvalue()


def test_readme_python_api_block_runs_as_written(monkeypatch, capsys) -> None:
    """The Python API example, run from the repository root as a new user would."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README lost its Python API example"
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(match.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert '"action":"start_clock"' in capsys.readouterr().out
    assert namespace["engine"].read("T-1", "state.clock.response") == "running"
    assert [(a.action, a.met) for a in namespace["result"].actions] == [("start_clock", None), ("stop_clock", True)]


def test_readme_public_api_table_names_exactly_engine_all() -> None:
    import engine

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("The public API is `engine.__all__`"):text.index("## Benchmarks")]
    named = {name for row in section.splitlines() if row.startswith("| `")
             for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert named == set(engine.__all__) and len(engine.__all__) == 17


def test_readme_layout_has_one_line_per_subpackage() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout"):]
    listed = re.findall(r"^- `(engine/[\w.]+/?)`", layout, re.M)
    packages = sorted(f"engine/{p.name}/" for p in (ROOT / "engine").iterdir()
                      if (p / "__init__.py").exists() or p.name in ("schemas", "rules"))
    assert sorted(listed) == sorted([*packages, "engine/api.py"])


def test_readme_static_checks_example_is_what_validate_prints() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Static checks"):]
    block = re.search(r"```text\n\$ obligo validate --strict (\S+)\n(.*?)```", section, re.S)
    assert block, "README lost its static checks example"
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        code = main(["validate", "--strict", block.group(1)], out, err)
    finally:
        os.chdir(cwd)
    assert code == 1
    assert out.getvalue() + err.getvalue() == block.group(2)

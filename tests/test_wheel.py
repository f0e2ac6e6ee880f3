"""The package works where users install it: a wheel in a fresh venv, run from an empty folder.

The wheel is built from a copy of the sources (so nothing is written into the checkout), installed
into a new venv outside the source tree (runtime dependencies from the package registry or pip's
cache), and the installed `obligo` and `import engine` are run in an empty temporary folder that
has no `shared/` above it, on a contract of the user's own: its own `clauses:`, a free `source`,
a standard rule document included by name, and its own scenario file. Nothing here may come from
the checkout: the test checks that `engine` was imported from the venv.

Skipped, with the reason, when the package registry cannot be reached (pip cannot fetch the
runtime dependencies). About 10 s: `pip wheel --no-deps`, a venv without pip (the outer pip
installs into it with `--python`), pip's cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip"]
COMPILED = os.environ.get("OBLIGO_EXPECT_COMPILED") == "1"  # the compiled run of the suite (tests/test_build.py)
NETWORK_SIGNS = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
                 "No matching distribution found", "Could not find a version", "Network is unreachable")

CONTRACT = """\
# A contract of one's own: nothing from shared/, clause texts written here, rules included by name.
id: helpdesk
title: Example Helpdesk support agreement
version: "2026.1"
effective_from: 2026-01-01
source: Helpdesk support agreement signed 2026-01-05 (paper copy, section 4)
clauses:
  HD-HOURS: Support is available Monday to Friday, 08:00 to 18:00 Paris time.
  HD-SEV:
    text: "Critical: the service is down. Normal: everything else."
    ref: "4.1"
  HD-RT: We respond within 1 business hour to a critical ticket and within 4 business hours to a normal one.
  HD-ESC: The customer may ask for a ticket to be escalated to the support manager.
parties:
  vendor: Example Helpdesk
  customer: Customer
calendars:
  office:
    clause: HD-HOURS
    timezone: Europe/Paris
    hours:
      mon-fri: ["08:00-18:00"]
severities:
  - {id: critical, name: critical, clause: HD-SEV, definition: the service is down}
  - {id: normal, name: normal, clause: HD-SEV, definition: everything else}
targets:
  - id: response
    clock: response
    clause: HD-RT
    calendar: office
    severities:
      critical: 1 hour
      normal: 4 hours
escalation:
  - id: chain
    clause: HD-ESC
    nodes:
      agent: {role: support agent, hours: office}
      manager: {role: support manager, contact: support-manager@example.com}
    edges:
      - {from: agent, to: manager, trigger: [customer_request]}
include:
  - rules: sla-clock
    as: response
    with: {clock: response, clause: HD-RT, start_on: [opened], stop_on: [responded, resolved]}
  - rules: escalation-on-request
    as: escalation
    with: {clause: HD-ESC}
assumptions:
  - clause: HD-HOURS
    seed: Monday to Friday, 08:00 to 18:00 Paris time
    choice: no public holidays (the agreement names none)
    parameter: office
"""

SCENARIOS = """\
contract: helpdesk
scenarios:
  - name: a critical ticket answered within the business hour
    # Mon 2026-03-02 09:00 Paris (08:00Z) + 1 business hour = 10:00 Paris = 09:00Z
    events:
      - {at: "2026-03-02T09:00:00+01:00", type: opened, attrs: {severity: critical}}
      - {at: "2026-03-02T09:30:00+01:00", type: responded}
    expect:
      - {action: start_clock, clock: response, due: "2026-03-02T09:00:00Z", clause: HD-RT}
      - {action: stop_clock, clock: response, met: true}
    absent:
      - {action: breach}
  - name: a normal ticket opened late on Monday breaches on Tuesday morning
    # Mon 16:00-18:00 Paris is 2 hours, Tue 08:00-10:00 the other 2: due Tue 10:00 Paris = 09:00Z
    events:
      - {at: "2026-03-02T16:00:00+01:00", type: opened, attrs: {severity: normal}}
    until: "2026-03-03T12:00:00+01:00"
    expect:
      - {action: start_clock, clock: response, due: "2026-03-03T09:00:00Z"}
      - {action: breach, clock: response, at: "2026-03-03T09:00:00Z", clause: HD-RT}
  - name: the customer asks for escalation
    events:
      - {at: "2026-03-02T09:00:00+01:00", type: opened, attrs: {severity: normal}}
      - {at: "2026-03-02T09:10:00+01:00", type: escalation_requested}
    expect:
      - {action: escalate, clause: HD-ESC}
"""

EVENTS = [
    {"id": "e1", "ticket": "T-1", "at": "2026-03-02T09:00:00+01:00", "type": "opened", "contract": "helpdesk",
     "attrs": {"severity": "critical"}},
    {"id": "e2", "ticket": "T-1", "at": "2026-03-02T09:30:00+01:00", "type": "responded"},
    {"id": "e3", "ticket": "T-2", "at": "2026-03-02T16:00:00+01:00", "type": "opened", "contract": "helpdesk",
     "attrs": {"severity": "normal"}},
    {"id": "e4", "ticket": "T-2", "at": "2026-03-03T11:00:00+01:00", "type": "escalation_requested"},
]


def _source_copy(dest: Path) -> Path:
    """What the wheel is built from: pyproject.toml, setup.py, buildtools/ (the build backend),
    README.md and engine/, without caches or build output."""
    dest.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, dest)
    shutil.copytree(ROOT / "buildtools", dest / "buildtools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "engine", dest / "engine", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding the wheel and its runtime dependencies. In the
    compiled run of the suite (`make test-compiled`), the wheel is the compiled one, built as a user
    builds it: `OBLIGO_COMPILE=1 pip wheel`, mypy fetched into pip's isolated build environment."""
    base = tmp_path_factory.mktemp("wheel")
    source = _source_copy(base / "src")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)  # the outer pip works in it: no ensurepip, seconds faster
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("OBLIGO_COMPILE", "PYTHONPATH")}
    if COMPILED:
        env["OBLIGO_COMPILE"] = "1"
    # built by pip running in the fresh venv, as a user's `pip install .` is: mypyc's type check then
    # sees that venv's (empty) site-packages, not this one's stubs
    built = subprocess.run([*PIP, "--python", str(python), "wheel", "--no-deps", "-q", "-w", str(base / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600, env=env)
    if built.returncode != 0 and any(sign in built.stderr for sign in NETWORK_SIGNS):
        pytest.skip(f"package registry unreachable (building the wheel needs setuptools): {built.stderr.strip()[-300:]}")
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("obligo-*.whl")
    done = subprocess.run([*PIP, "--python", str(python), "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=300, env=env)
    if done.returncode != 0 and any(sign in done.stderr for sign in NETWORK_SIGNS):
        pytest.skip(f"package registry unreachable (runtime dependencies): {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    return env_dir / "bin"


@pytest.fixture()
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty folder with the user's own contract, scenario file and events; no shared/ above it."""
    folder = tmp_path_factory.mktemp("user")
    above = [p for p in folder.parents if (p / "shared").exists()]
    assert not above, f"{above[0] / 'shared'} exists above the test folder: the test would not prove independence"
    (folder / "helpdesk.yaml").write_text(CONTRACT, encoding="utf-8")
    (folder / "helpdesk.tests.yaml").write_text(SCENARIOS, encoding="utf-8")
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return folder


def run(bin_dir: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """A command of the venv, from `cwd`, with nothing of the checkout on its path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OBLIGO_INVENTORY", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(bin_dir / argv[0]), *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_installed_obligo_validates_the_users_own_contract(installed: Path, workdir: Path) -> None:
    done = run(installed, workdir, "obligo", "validate", "helpdesk.yaml", "helpdesk.tests.yaml")
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: 2 file(s) valid\n", "")


def test_installed_obligo_reports_a_clause_the_contract_does_not_declare(installed: Path, workdir: Path) -> None:
    (workdir / "helpdesk.yaml").write_text(CONTRACT.replace("clause: HD-ESC\n    nodes", "clause: HD-ESCC\n    nodes"),
                                           encoding="utf-8")
    done = run(installed, workdir, "obligo", "validate", "helpdesk.yaml")
    assert done.returncode == 1
    assert "helpdesk.yaml:" in done.stderr and "HD-ESCC" in done.stderr and "unknown-clause" in done.stderr


def test_installed_obligo_runs_the_users_scenarios_with_coverage(installed: Path, workdir: Path) -> None:
    done = run(installed, workdir, "obligo", "test", "--require-coverage", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "3 passed, 0 failed"


def test_installed_obligo_replays_the_users_log(installed: Path, workdir: Path) -> None:
    done = run(installed, workdir, "obligo", "replay", "--contracts", "helpdesk.yaml", "events.jsonl")
    assert done.returncode == 0, done.stderr
    actions = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(a["ticket"], a["action"], a["at"], a.get("due"), a.get("met")) for a in actions] == [
        ("T-1", "start_clock", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z", None),
        ("T-1", "stop_clock", "2026-03-02T08:30:00Z", None, True),
        ("T-2", "start_clock", "2026-03-02T15:00:00Z", "2026-03-03T09:00:00Z", None),
        ("T-2", "breach", "2026-03-03T09:00:00Z", "2026-03-03T09:00:00Z", None),
        ("T-2", "escalate", "2026-03-03T10:00:00Z", None, None),
    ]
    assert {a["clause"] for a in actions} == {"HD-RT", "HD-ESC"}
    assert done.stderr.startswith("obligo replay: events 4, actions 5, rejects 0, duplicates 0")


def test_installed_obligo_replay_out_writes_the_file_and_a_summary_table(installed: Path, workdir: Path) -> None:
    done = run(installed, workdir, "obligo", "replay", "--contracts", ".", "--out", "actions.jsonl", "events.jsonl")
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert len((workdir / "actions.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    lines = done.stderr.splitlines()
    at = lines.index("breaches  response  total")
    assert lines[at + 1:at + 3] == ["helpdesk         1      1", "total            1      1"]
    assert lines[-2:] == ["rejects: 0", "actions (JSONL, 5 lines): actions.jsonl"]


def test_installed_obligo_show_and_graph(installed: Path, workdir: Path) -> None:
    shown = run(installed, workdir, "obligo", "show", "helpdesk.yaml")
    assert shown.returncode == 0, shown.stderr
    assert "HD-RT" in shown.stdout and "no public holidays" in shown.stdout
    graph = run(installed, workdir, "obligo", "graph", "helpdesk.yaml")
    assert graph.returncode == 0, graph.stderr
    assert graph.stdout.startswith("flowchart TD") and "-->|\"customer_request\"|" in graph.stdout


def test_installed_python_api(installed: Path, workdir: Path) -> None:
    script = (
        "import json, engine, engine.runtime.engine as runtime\n"
        "e = engine.Engine.load(['helpdesk.yaml'])\n"
        "acts = e.process({'id': 'e1', 'ticket': 'T-1', 'at': '2026-03-02T09:00:00+01:00', 'type': 'opened',"
        " 'contract': 'helpdesk', 'attrs': {'severity': 'critical'}})\n"
        "print(json.dumps({'file': engine.__file__, 'runtime': runtime.__file__, 'names': len(engine.__all__),"
        " 'actions': [(a.action, a.clause) for a in acts], 'clock': e.read('T-1', 'state.clock.response')}))\n"
    )
    done = run(installed, workdir, "python", "-c", script)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert Path(result["file"]).is_relative_to(installed.parent), f"engine imported from {result['file']}"
    assert result["names"] == 17
    assert result["runtime"].endswith(".so" if COMPILED else ".py"), result["runtime"]  # the build this run names
    assert result["actions"] == [["start_clock", "HD-RT"]] and result["clock"] == "running"

"""The README's "Embedding the live store" example runs as written."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_store_example_runs(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"### Embedding the live store\n.*?```python\n(.*?)```", text, re.S)
    assert match, "README lost its store example"
    (tmp_path / "contracts").symlink_to(ROOT / "contracts")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(match.group(1), "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1 0 [LineReject(line=2, code='unknown-ticket'")
    actions = [json.loads(line) for line in lines[1:-1]]
    assert [a["seq"] for a in actions] == list(range(1, len(actions) + 1))
    assert {"start_clock", "breach"} <= {a["action"] for a in actions}
    assert "'status': 'running'" in lines[-1] and (tmp_path / "live.db").exists()

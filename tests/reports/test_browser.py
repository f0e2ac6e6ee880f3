"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) renders the report of
the demo log with no console message and no failed load, and takes a screenshot. The same check as
`make report-check`, here so that `make test` (and CI) runs it; skipped where Chromium is absent."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from conftest import REPO

from engine.cli.main import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package `chromium`)")
def test_the_report_renders_in_chromium_without_a_console_message(tmp_path):
    html, png = tmp_path / "report.html", tmp_path / "report.png"
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", "--contracts", str(REPO / "contracts"), str(REPO / "bench" / "sample-events.jsonl"),
                 "--html", str(html), "--rejects", str(tmp_path / "rejects.jsonl")], out, err)
    assert code == 0, err.getvalue()
    run = subprocess.run([str(CHROMIUM), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                          "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}",
                          f"--screenshot={png}", "--window-size=1280,2000", html.as_uri()],
                         capture_output=True, text=True, timeout=120)
    problems = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "net::ERR_" in line]
    assert problems == []
    assert png.is_file() and png.stat().st_size > 20_000  # a rendered page, not a blank one

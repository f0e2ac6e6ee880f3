"""`obligo report`: summary figures, CSV header and bytes, one self-contained HTML, hashes, determinism, --expect."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from pathlib import Path

import pytest

from engine.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contracts" / "opentext-corefax.yaml"
OPENED = ('"type": "opened", "contract": "opentext-corefax", "attrs": {"plan": "standard", "timezone": "Europe/Berlin", '
          '"severity": "critical", "channel": "phone", "made_sla": %s}')
# OpenText critical: response within 1 hour, 24x7 (contracts/opentext-corefax.yaml). Four tickets, 2026-03-02 (Monday):
# A met, exported true (agree); B responded after 2 h: breached, exported true (disagree);
# C met, exported true then updated to false (last value counts: disagree); D still running at the end.
LOG = "\n".join([
    '{"id": "a1", "ticket": "A", "at": "2026-03-02T10:00:00Z", ' + OPENED % "true" + "}",
    '{"id": "b1", "ticket": "B", "at": "2026-03-02T10:00:00Z", ' + OPENED % '"true"' + "}",
    '{"id": "c1", "ticket": "C", "at": "2026-03-02T10:05:00Z", ' + OPENED % "true" + "}",
    '{"id": "a2", "ticket": "A", "at": "2026-03-02T10:30:00Z", "type": "responded"}',
    '{"id": "c2", "ticket": "C", "at": "2026-03-02T10:40:00Z", "type": "responded"}',
    '{"id": "b2", "ticket": "B", "at": "2026-03-02T12:00:00Z", "type": "responded"}',
    '{"id": "c3", "ticket": "C", "at": "2026-03-02T12:10:00Z", "type": "updated", "attrs": {"made_sla": false}}',
    '{"id": "d1", "ticket": "D", "at": "2026-03-02T12:20:00Z", ' + OPENED % "true" + "}",
    'not json',
]) + "\n"


def report(tmp: Path, *extra: str) -> tuple[int, str, str]:
    events = tmp / "events.jsonl"
    events.write_text(LOG, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", "--contracts", str(CONTRACT), str(events), *extra], out, err)
    return code, out.getvalue(), err.getvalue()


def test_summary_table_figures(tmp_path: Path) -> None:
    code, out, _ = report(tmp_path)
    assert code == 0
    assert "obligo report: events 8, actions" in out
    line = next(x for x in out.splitlines() if x.startswith("opentext-corefax"))
    assert line.split() == ["opentext-corefax", "response", "critical", "4", "2", "1", "1", "-", "66.7"]


def test_csv_header_and_rows(tmp_path: Path) -> None:
    code, _, _ = report(tmp_path, "--csv", str(tmp_path / "c.csv"))
    assert code == 0
    text = (tmp_path / "c.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:15] == ["ticket", "contract", "version", "clock", "cycle", "severity", "target", "calendar", "started",
                            "due", "stopped", "met", "breached_at", "elapsed", "paused"]
    by_ticket = {r[0]: r for r in rows[1:]}
    assert by_ticket["A"][8:15] == ["2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "2026-03-02T10:30:00Z", "true", "",
                                    "1800", "0"]
    assert by_ticket["B"][11:15] == ["false", "2026-03-02T11:00:00Z", "7200", "0"]
    assert by_ticket["D"][10:15] == ["", "", "", "", ""]
    assert [r[0] for r in rows[1:]] == ["A", "C", "B", "D"]  # closed in the order they close, then the running ones


def test_html_is_self_contained_states_hashes_and_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    report(tmp_path, "--html", str(first), "--csv", str(tmp_path / "1.csv"))
    _, out, _ = report(tmp_path, "--html", str(second), "--csv", str(tmp_path / "1.csv"))
    page = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page and "@import" not in page and "url(" not in page
    assert hashlib.sha256(CONTRACT.read_bytes()).hexdigest() in page
    assert hashlib.sha256(LOG.encode()).hexdigest() in page
    assert hashlib.sha256(LOG.encode()).hexdigest() in out
    assert "<svg" in page and "B</b>" in page  # a chart, and B's timeline
    assert "business interval counted" in page


def test_outputs_are_byte_identical_across_runs(tmp_path: Path) -> None:
    outs = []
    for _n in (1, 2):
        _, out, _ = report(tmp_path, "--csv", str(tmp_path / "c.csv"), "--expect", "made_sla", "--expect-clock", "response")
        outs.append((out, (tmp_path / "c.csv").read_bytes()))
    assert outs[0] == outs[1]


def test_expect_confusion_matrix_and_disagreements(tmp_path: Path) -> None:
    code, out, _ = report(tmp_path, "--expect", "made_sla", "--expect-clock", "response",
                          "--disagreements", str(tmp_path / "d.csv"))
    assert code == 0
    lines = out.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("made_sla \\ response")))
    assert lines[start].split() == ["made_sla", "\\", "response", "met", "breached", "running", "excluded", "no", "clock",
                                    "total"]
    assert lines[start + 1].split() == ["true", "1", "1", "1", "-", "-", "3"]
    assert lines[start + 2].split() == ["false", "1", "-", "-", "-", "-", "1"]
    assert lines[start + 3] == "agreement: 1 of 3 tickets judged by both (33.3%); disagreements: 2"
    rows = list(csv.reader((tmp_path / "d.csv").open(encoding="utf-8")))
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("B", "true", "breached"), ("C", "false", "met")]
    assert rows[1][7] == "2026-03-02T11:00:00Z"


def test_rejects_and_usage(tmp_path: Path) -> None:
    code, _, err = report(tmp_path, "--rejects", str(tmp_path / "r.jsonl"))
    assert code == 0 and '"code": "invalid-json"' in (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    out, err_io = io.StringIO(), io.StringIO()
    assert main(["report", "--contracts", str(CONTRACT), str(tmp_path / "missing.jsonl")], out, err_io) == 2
    assert "missing.jsonl" in err_io.getvalue() and "Traceback" not in err_io.getvalue()


def test_a_shuffled_log_and_standard_input_give_the_report_of_the_sorted_log(tmp_path: Path, monkeypatch) -> None:
    """The report streams its log (read as it comes, or sorted out of core, not held in memory): a
    shuffled copy, and the same bytes on standard input, give the sorted log's figures, CSV, rejects
    and HTML page (timelines included), up to the input's name and hash in the provenance."""
    import json
    import random
    import sys

    from runtime_fixtures.helpers import load_bench_generator

    from engine import Engine

    gen = load_bench_generator()
    events = gen.only_contracts(gen.generate(60, 2), Engine.load([REPO / "contracts"]).contracts)
    lines = [json.dumps(e) + "\n" for e in events]
    shuffled = list(lines)
    random.Random(1).shuffle(shuffled)
    lines, shuffled = ["not json\n", *lines], ["not json\n", *shuffled]  # the reject on line 1 of both

    def run(name: str, text: str, stdin: bool = False) -> list[bytes | str]:
        path = tmp_path / f"{name}.jsonl"
        path.write_text(text, encoding="utf-8")
        files = [tmp_path / "out.csv", tmp_path / "out.html", tmp_path / "out.rejects"]
        if stdin:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))
        out, err = io.StringIO(), io.StringIO()
        code = main(["report", "--contracts", str(REPO / "contracts"), "-" if stdin else str(path), "--csv", str(files[0]),
                     "--html", str(files[1]), "--rejects", str(files[2])], out, err)
        assert code == 0, err.getvalue()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        named = [(str(path), "LOG"), ("input - ", "input LOG "), ("input -<", "input LOG<"), (digest, "SHA")]
        shown, page = out.getvalue(), files[1].read_text(encoding="utf-8")
        for name, placeholder in named:
            shown, page = shown.replace(name, placeholder), page.replace(name, placeholder)
        return [shown, page, files[0].read_bytes(), files[2].read_bytes()]

    want = run("sorted", "".join(lines))
    assert "breaches 0," not in want[0] and "<svg" in want[1]
    assert run("shuffled", "".join(shuffled)) == want
    assert run("stdin", "".join(shuffled), stdin=True) == want


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_pipe_is_read_once_and_its_hash_is_the_one_of_its_bytes(tmp_path: Path) -> None:
    """A path that cannot be read twice (a FIFO, `<(...)` in a shell) is copied as it is read: the
    same report as the file, and the provenance states the sha256 of the bytes that came through."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(LOG, encoding="utf-8"))
    writer.start()
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", "--contracts", str(CONTRACT), str(fifo)], out, err)
    writer.join(10)
    assert code == 0, err.getvalue()
    _, want, _ = report(tmp_path)
    digest = hashlib.sha256(LOG.encode("utf-8")).hexdigest()
    assert f"input {fifo} sha256 {digest}" in out.getvalue()
    assert out.getvalue().replace(str(fifo), "LOG") == want.replace(str(tmp_path / "events.jsonl"), "LOG")


def test_an_import_gives_the_report_of_its_imported_log(tmp_path: Path) -> None:
    """`--mapping NAME INPUT` (the import's event lines kept in a temporary file and read as a log is)
    gives what `obligo import` then `obligo report` on its output gives: figures, cycles, rejects
    (the rows the mapping refused first) and the timelines, up to the provenance's input lines."""
    fixtures = REPO / "tests" / "ingest" / "fixtures"
    contracts = str(REPO / "examples" / "servicenow")
    mapping = ("--mapping", str(fixtures / "desk.yaml"), "--set", "contract=servicenow")
    log = tmp_path / "imported.jsonl"
    refused = tmp_path / "refused.jsonl"
    assert main(["import", *mapping, str(fixtures / "desk.csv"), "--out", str(log), "--rejects", str(refused)],
                io.StringIO(), io.StringIO()) == 0
    outputs = {}
    for name, source in (("imported", [str(log)]), ("mapping", [*mapping, str(fixtures / "desk.csv")])):
        out, err = io.StringIO(), io.StringIO()
        code = main(["report", "--contracts", contracts, *source, "--csv", str(tmp_path / f"{name}.csv"),
                     "--rejects", str(tmp_path / f"{name}.rej"), "--html", str(tmp_path / f"{name}.html")], out, err)
        assert code == 0, err.getvalue()
        outputs[name] = out.getvalue()
    kept = lambda text: [x for x in text.splitlines() if not x.startswith(("input ", "mapping ", "cycles (", "rejects (",  # noqa: E731
                                                                            "report (", "obligo report: events"))]
    assert kept(outputs["mapping"]) == kept(outputs["imported"])
    assert (tmp_path / "mapping.csv").read_bytes() == (tmp_path / "imported.csv").read_bytes()
    rows_refused = refused.read_text(encoding="utf-8")
    assert rows_refused and (tmp_path / "mapping.rej").read_text(encoding="utf-8") == (
        rows_refused + (tmp_path / "imported.rej").read_text(encoding="utf-8"))
    counts = lambda text: next(x for x in text.splitlines() if x.startswith("obligo report: events"))  # noqa: E731
    refused_rows = len(rows_refused.splitlines())
    assert counts(outputs["mapping"]) == counts(outputs["imported"]).replace(
        f"rejects {counts(outputs['imported']).split('rejects ')[1].split(',')[0]}",
        f"rejects {int(counts(outputs['imported']).split('rejects ')[1].split(',')[0]) + refused_rows}")
    def page(name: str) -> str:  # the HTML without the provenance table, the summary line and the files list
        text = (tmp_path / f"{name}.html").read_text(encoding="utf-8")
        text = re.sub(r'<table class="prov">.*?</table>', "", text, flags=re.S)
        text = re.sub(r"<h2>Files</h2>.*?</ul>", "", text, flags=re.S)
        return re.sub(r"\d+ rejected lines", "", text)

    assert "Breached clocks" in page("mapping") and page("mapping") == page("imported")

"""`obligo diff`: the before/after table where the change is known, --out lines equal to what replay
writes, the HTML page, determinism, errors, and the README example run as written."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.cli.main import main

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from runtime_fixtures.helpers import load_bench_generator  # noqa: E402

CORE_FAX = REPO / "contracts" / "opentext-corefax.yaml"
OPENED = ('"type": "opened", "contract": "opentext-corefax", "attrs": {"plan": "standard", "timezone": "Europe/Berlin", '
          '"severity": "%s", "channel": "phone"}')
# OpenText response targets: critical 1 hour 24x7, serious 2 hours 24x7 (contracts/opentext-corefax.yaml); the
# what-if makes critical 30 minutes. A (critical) answered in 20 min: met both; B (critical) in 45 min: met, then
# breached; C (critical) in 2 h: breached both; S (serious) in 45 min: met both, and untouched by the change.
LOG = "\n".join([
    '{"id": "a1", "ticket": "A", "at": "2026-03-02T10:00:00Z", ' + OPENED % "critical" + "}",
    '{"id": "b1", "ticket": "B", "at": "2026-03-02T10:00:00Z", ' + OPENED % "critical" + "}",
    '{"id": "c1", "ticket": "C", "at": "2026-03-02T10:00:00Z", ' + OPENED % "critical" + "}",
    '{"id": "s1", "ticket": "S", "at": "2026-03-02T10:00:00Z", ' + OPENED % "serious" + "}",
    '{"id": "a2", "ticket": "A", "at": "2026-03-02T10:20:00Z", "type": "responded"}',
    '{"id": "b2", "ticket": "B", "at": "2026-03-02T10:45:00Z", "type": "responded"}',
    '{"id": "s2", "ticket": "S", "at": "2026-03-02T10:45:00Z", "type": "responded"}',
    '{"id": "c2", "ticket": "C", "at": "2026-03-02T12:00:00Z", "type": "responded"}',
]) + "\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["diff", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(before contract, after contract, log): critical response shortened from 1 hour to 30 minutes."""
    after = tmp_path / "after" / "opentext-corefax.yaml"
    after.parent.mkdir()
    text = CORE_FAX.read_text(encoding="utf-8")
    changed = text.replace("critical: {duration: 1 hour, calendar: 24x7}", "critical: {duration: 30 minutes, calendar: 24x7}")
    assert changed != text
    after.write_text(changed, encoding="utf-8")
    log = tmp_path / "events.jsonl"
    log.write_text(LOG, encoding="utf-8")
    return CORE_FAX, after, log


def row(out: str, severity: str) -> list[str]:
    return next(x.split() for x in out.splitlines() if x.startswith("opentext-corefax") and x.split()[2] == severity)


def test_table_shows_the_known_change(small: tuple[Path, Path, Path]) -> None:
    before, after, log = small
    code, out, err = run("--contracts", str(before), "--against", str(after), str(log))
    assert code == 0, err
    assert "tickets 4, tickets whose actions differ 3" in out
    # clocks, met, breached, compliance: before then after; change in points
    assert row(out, "critical")[3:] == ["3", "3", "2", "1", "1", "2", "66.7", "33.3", "-33.3"]
    assert row(out, "serious")[3:] == ["1", "1", "1", "1", "-", "-", "100.0", "100.0", "0.0"]
    assert row(out, "all")[3:] == ["4", "4", "3", "2", "1", "2", "75.0", "50.0", "-25.0"]


def test_out_lines_are_the_differing_tickets_as_replay_writes_them(small: tuple[Path, Path, Path],
                                                                    tmp_path: Path) -> None:
    before, after, log = small
    code, _, err = run("--contracts", str(before), "--against", str(after), str(log), "--out", str(tmp_path / "d.jsonl"))
    assert code == 0, err
    lines = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["ticket"] for x in lines] == ["A", "B", "C"]  # S is not touched by the change
    assert list(lines[0]) == ["ticket", "before", "after"]
    replayed = {}
    for side, contract in (("before", before), ("after", after)):
        out, err = io.StringIO(), io.StringIO()
        assert main(["replay", "--contracts", str(contract), str(log)], out, err) == 0
        replayed[side] = [json.loads(x) for x in out.getvalue().splitlines()]
    for line in lines:
        for side in ("before", "after"):
            assert line[side] == [a for a in replayed[side] if a["ticket"] == line["ticket"]]
    b = lines[1]
    assert [a["met"] for a in b["before"] if a["action"] == "stop_clock"] == [True]
    assert [a["action"] for a in b["after"] if a["action"] in ("breach", "stop_clock")] == ["breach", "stop_clock"]


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.changed_rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]
        if tag == "tr" and "changed" in (values.get("class") or "").split():
            self.changed_rows += 1


def test_html_renders_without_script(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, after, log = small
    page = tmp_path / "d.html"
    code, out, err = run("--contracts", str(before), "--against", str(after), str(log), "--html", str(page),
                         "--tickets", "2")
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(text)
    assert "script" not in parsed.tags and not parsed.urls and "http" not in text
    assert "style" in parsed.tags
    assert parsed.changed_rows == 2  # critical and all; serious unchanged
    assert "<b>A</b>" in text and "<b>B</b>" in text and "<b>C</b>" not in text  # the first 2 differing tickets
    assert "the first 2 shown" in text
    assert "target 30 minutes" in text and "target 1 hour" in text
    assert f"what-if (HTML): {page}" in out


def test_same_inputs_same_bytes(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, after, log = small
    outputs = []
    for n in (1, 2):
        files = [tmp_path / f"d{n}.jsonl", tmp_path / f"d{n}.html"]
        code, out, _ = run("--contracts", str(before), "--against", str(after), str(log), "--out", str(files[0]),
                           "--html", str(files[1]))
        assert code == 0
        outputs.append((out.replace(f"d{n}.", "d."), files[0].read_bytes(), files[1].read_bytes()))
    assert outputs[0] == outputs[1]


def test_no_difference_when_the_sets_are_the_same(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, _, log = small
    code, out, _ = run("--contracts", str(before), "--against", str(before), str(log), "--out", str(tmp_path / "d"))
    assert code == 0
    assert "tickets whose actions differ 0" in out
    assert (tmp_path / "d").read_text(encoding="utf-8") == ""


def test_errors(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, after, log = small
    bad = tmp_path / "bad.yaml"
    bad.write_text(CORE_FAX.read_text(encoding="utf-8").replace("clock: response\n", "clock: 12\n", 1), encoding="utf-8")
    code, _, err = run("--contracts", str(before), "--against", str(bad), str(log))
    assert code == 1 and f"{bad}:" in err and "Traceback" not in err
    code, _, err = run("--contracts", str(before), "--against", str(after), str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl" in err
    code, _, err = run("--contracts", str(before), "--against", str(after))
    assert code == 2 and "missing EVENTS" in err
    code, _, _ = run("--contracts", str(before), str(log))  # no --against
    assert code == 2
    code, _, err = run("--contracts", str(before), "--against", str(after), str(log), "--out", str(tmp_path / "no" / "d"))
    assert code == 2 and "No such file" in err


def test_on_a_generated_log_only_the_changed_clock_moves(tmp_path: Path) -> None:
    gen = load_bench_generator()
    log = tmp_path / "log.jsonl"
    with log.open("w", encoding="utf-8") as stream:
        gen.write_jsonl(gen.generate(300, 3), stream)
    after = _what_if(tmp_path / "what-if")
    code, out, err = run("--contracts", str(REPO / "contracts"), "--against", str(after), str(log),
                         "--out", str(tmp_path / "d.jsonl"))
    assert code == 0, err
    lines = out.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("contract ")) + 1
    rows = [x.split() for x in lines[start:lines.index("", start)] if not x.startswith("(")]
    # the last nine cells: clocks, met, breached, compliance before/after, change (the severity may be empty)
    moved = [r for r in rows if r[-9:-1:2] != r[-8::2]]
    assert moved and {(r[0], r[1]) for r in moved} == {("progr1", "resolution")}
    total = next(r for r in rows if r[:3] == ["progr1", "resolution", "all"])
    assert int(total[8]) > int(total[7]) and int(total[6]) < int(total[5])  # more breached, fewer met
    assert float(total[11]) < 0
    differing = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()]
    assert differing and {a["contract"] for d in differing for a in d["before"] + d["after"]} == {"progr1"}


def _what_if(target: Path) -> Path:
    """contracts/ copied with PROGR1's severity-3 resolution target from 5 to 3 business days (README)."""
    shutil.copytree(REPO / "contracts", target)
    path = target / "progr1.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count('"3": 5 business days') == 1
    path.write_text(text.replace('"3": 5 business days', '"3": 3 business days'), encoding="utf-8")
    return target


def test_readme_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's console block: every output line it shows (`...` elides) is in the real output."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### What-if on history: obligo diff"):]
    section = section[:section.index("\n### ", 1)]
    blocks = [b.splitlines() for b in re.findall(r"```console\n(.*?)```", section, re.S)]
    assert len(blocks) == 2  # an edited copy (--against), then a parameter (--param)
    assert "$ python bench/generate.py --tickets 1000 --seed 1 --out /tmp/log.jsonl" in blocks[0]
    assert """$ sed -i 's/"3": 5 business days/"3": 3 business days/' /tmp/what-if/progr1.yaml""" in blocks[0]
    gen = load_bench_generator()
    with (tmp_path / "log.jsonl").open("w", encoding="utf-8") as stream:
        gen.write_jsonl(gen.generate(1000, 1), stream)
    _what_if(tmp_path / "what-if")
    monkeypatch.chdir(REPO)
    for lines in blocks:
        command = next(x for x in lines if x.startswith("$ obligo diff "))
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(command)[3:]]
        code, out, err = run(*argv)
        assert code == 0, err
        shown = out.replace(f"{tmp_path}/", "/tmp/")
        expected = [x for x in lines if x and not x.startswith(("$", "  ")) or x.startswith(("  before", "  after"))]
        expected = [x for x in expected if x != "..."]
        assert len(expected) > 4
        for line in expected:
            assert line in shown.splitlines(), line


def test_mapping_reads_an_export(tmp_path: Path) -> None:
    """--mapping NAME INPUT... as in `obligo report`: a mapping file, a CSV export, --set contract=ID."""
    after = tmp_path / "servicenow.yaml"
    text = (REPO / "examples" / "servicenow" / "servicenow.yaml").read_text(encoding="utf-8")
    assert text.count("      P3: 4 hours\n") == 1
    after.write_text(text.replace("      P3: 4 hours\n", "      P3: 5 minutes\n"), encoding="utf-8")
    fixtures = REPO / "tests" / "ingest" / "fixtures"
    code, out, err = run("--contracts", str(REPO / "examples" / "servicenow"), "--against", str(after),
                         "--mapping", str(fixtures / "desk.yaml"), "--set", "contract=servicenow",
                         str(fixtures / "desk.csv"))
    assert code == 0, err
    # the P3 ticket is answered at once: its actions name the new target, its verdict stays met
    assert "tickets 2, tickets whose actions differ 1, rows the mapping could not map 4" in out
    response = next(x.split() for x in out.splitlines() if x.startswith("servicenow  response    P3"))
    assert response[3:] == ["1", "1", "1", "1", "-", "-", "100.0", "100.0", "0.0"]


def test_standard_input_as_the_log(small: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    before, after, log = small
    _, from_file, _ = run("--contracts", str(before), "--against", str(after), str(log))
    monkeypatch.setattr(sys, "stdin", io.StringIO(LOG))
    code, from_stdin, err = run("--contracts", str(before), "--against", str(after), "-")
    assert code == 0, err
    assert from_stdin == from_file


def _generated(tmp_path: Path, tickets: int = 300, seed: int = 4) -> tuple[Path, Path]:
    """A generated log in time order, and the same lines shuffled (a log out of time order)."""
    gen = load_bench_generator()
    log = tmp_path / "sorted.jsonl"
    with log.open("w", encoding="utf-8") as stream:
        gen.write_jsonl(gen.generate(tickets, seed), stream)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    import random

    random.Random(seed).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("".join(lines) + "not an event\n", encoding="utf-8")
    return log, shuffled


def test_a_shuffled_log_on_a_file_or_standard_input_gives_the_sorted_logs_diff(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The log is read as it comes or sorted out of core (as `obligo report` reads it): a log out of
    time order, from a file or from standard input, gives the sorted log's table and differing tickets
    (and a line that is not an event is counted as a reject on both sides)."""
    log, shuffled = _generated(tmp_path)
    after = _what_if(tmp_path / "what-if")
    common = ("--contracts", str(REPO / "contracts"), "--against", str(after))
    code, want, err = run(*common, str(log), "--out", str(tmp_path / "want.jsonl"))
    assert code == 0, err
    code, got, err = run(*common, str(shuffled), "--out", str(tmp_path / "got.jsonl"))
    assert code == 0, err
    data = shuffled.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, piped, err = run(*common, "-", "--out", str(tmp_path / "piped.jsonl"))
    assert code == 0, err
    differing = (tmp_path / "want.jsonl").read_bytes()
    assert differing and (tmp_path / "got.jsonl").read_bytes() == differing == (tmp_path / "piped.jsonl").read_bytes()
    strip = lambda text: [x for x in text.splitlines() if not x.startswith(("differing tickets", "  before", "  after"))]  # noqa: E731
    assert strip(got) == strip(want) == strip(piped)
    for text in (got, piped):
        assert "rejects 1, duplicates 0" in text
    assert "rejects 0, duplicates 0" in want


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_read_once_and_its_bytes_hashed(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    import hashlib
    import os
    import threading

    before, after, log = small
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    feeder = threading.Thread(target=lambda: fifo.write_bytes(log.read_bytes()))
    feeder.start()
    code, out, err = run("--contracts", str(before), "--against", str(after), str(fifo), "--html",
                         str(tmp_path / "d.html"))
    feeder.join()
    assert code == 0, err
    assert "tickets 4, tickets whose actions differ" in out
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert hashlib.sha256(log.read_bytes()).hexdigest() in page


def _replayed(contracts: Path, log: Path, *extra: str) -> dict[str, list[dict]]:
    """`obligo replay`'s actions per ticket (what each side of a diff must equal)."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["replay", "--contracts", str(contracts), str(log), *extra], out, err) == 0, err.getvalue()
    tickets: dict[str, list[dict]] = {}
    for line in out.getvalue().splitlines():
        action = json.loads(line)
        tickets.setdefault(action["ticket"], []).append(action)
    return tickets


def _out_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_param_alone_compares_the_contracts_with_themselves_overridden(small: tuple[Path, Path, Path],
                                                                       tmp_path: Path) -> None:
    """--param without --against: the after side is --contracts with the override, no copy to edit.
    OpenText warns at 80 % (48 min of the critical hour); at 50 % the warning comes at 30 minutes."""
    before, _, log = small
    code, out, err = run("--contracts", str(before), "--param", "opentext-corefax.warn_at=[0.5]", str(log),
                         "--out", str(tmp_path / "d.jsonl"))
    assert code == 0, err
    assert f"  after  ({before} --param opentext-corefax.warn_at=[0.5]): actions" in out
    lines = _out_lines(tmp_path / "d.jsonl")
    plain, changed = _replayed(before, log), _replayed(before, log, "--param", "opentext-corefax.warn_at=[0.5]")
    assert [x["ticket"] for x in lines] == sorted(t for t in plain if plain[t] != changed.get(t))
    for line in lines:
        assert line["before"] == plain[line["ticket"]] and line["after"] == changed[line["ticket"]]
    # B answered at 45 minutes: no warning at 48, one at 30 (10:30) after; A answered at 20 minutes: none either way
    b = next(x for x in lines if x["ticket"] == "B")
    assert [a["at"] for a in b["after"] if a["action"] == "warn" and a["clock"] == "response"] == ["2026-03-02T10:30:00Z"]
    assert not [a for a in b["before"] if a["action"] == "warn" and a["clock"] == "response"]
    assert "A" not in {x["ticket"] for x in lines} or all(
        a["clock"] != "response" for a in next(x for x in lines if x["ticket"] == "A")["after"] if a["action"] == "warn")


def test_param_applies_to_the_against_side(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, after, log = small
    code, out, err = run("--contracts", str(before), "--against", str(after), "--param",
                         "opentext-corefax.warn_at=[0.5]", str(log), "--out", str(tmp_path / "d.jsonl"))
    assert code == 0, err
    changed = _replayed(after, log, "--param", "opentext-corefax.warn_at=[0.5]")
    lines = _out_lines(tmp_path / "d.jsonl")
    assert lines and all(line["after"] == changed[line["ticket"]] for line in lines)


def test_until_leaves_later_events_out_and_fires_deadlines_up_to_it(small: tuple[Path, Path, Path],
                                                                     tmp_path: Path) -> None:
    """--until as `obligo replay --until`, on both sides: at 10:30 B, C and S have not answered yet (3
    events left out); with the 30-minute target, B and C breach at 10:30 (due exactly at the end)."""
    before, after, log = small
    until = "2026-03-02T10:30:00Z"
    code, out, err = run("--contracts", str(before), "--against", str(after), "--until", until, str(log),
                         "--out", str(tmp_path / "d.jsonl"))
    assert code == 0, err
    assert f"obligo diff: events 8 (3 after --until {until}, left out), tickets 4, tickets whose actions differ 3" in out
    lines = _out_lines(tmp_path / "d.jsonl")
    sides = {"before": _replayed(before, log, "--until", until), "after": _replayed(after, log, "--until", until)}
    for line in lines:
        for side, replayed in sides.items():
            assert line[side] == replayed[line["ticket"]]
    assert {x["ticket"]: [a["at"] for a in x["after"] if a["action"] == "breach"] for x in lines} == {
        "A": [], "B": [until], "C": [until]}
    assert row(out, "critical")[3:5] == ["3", "3"]


def test_param_and_until_errors(small: tuple[Path, Path, Path]) -> None:
    before, _, log = small
    code, _, err = run("--contracts", str(before), str(log))
    assert code == 2 and "nothing to compare" in err
    code, _, err = run("--contracts", str(before), "--param", "opentext-corefax", str(log))
    assert code == 2 and "--param expects CONTRACT.NAME=VALUE" in err
    code, _, err = run("--contracts", str(before), "--param", "adobe.warn_at=[0.5]", str(log))
    assert code == 2 and "--param names contract 'adobe', which is not loaded" in err
    code, _, err = run("--contracts", str(before), "--param", "opentext-corefax.warn_at=[", str(log))
    assert code == 2 and "not a valid YAML value" in err
    code, _, err = run("--contracts", str(before), "--param", "opentext-corefax.nosuch=1", str(log))
    assert code == 1 and f"{before}:" in err and "unknown-parameter" in err and "Traceback" not in err
    code, _, err = run("--contracts", str(before), "--param", "opentext-corefax.warn_at=[0.5]", "--until", "soon",
                       str(log))
    assert code == 2 and "'--until' is not an RFC 3339 instant" in err


def test_the_html_page_names_the_parameters_and_the_end(small: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, _, log = small
    page = tmp_path / "d.html"
    code, _, err = run("--contracts", str(before), "--param", "opentext-corefax.warn_at=[0.5]", "--until",
                       "2026-03-02T11:00:00Z", str(log), "--html", str(page))
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert "<code>--param opentext-corefax.warn_at=[0.5]</code>" in text  # After: ...
    assert "<tr><th>after: parameter</th><td>opentext-corefax.warn_at=[0.5]</td></tr>" in text
    assert "<tr><th>until (both)</th><td>2026-03-02T11:00:00Z</td></tr>" in text

"""engine.ingest.import_stream: an import in bounded memory (steps grouped by ticket as they come or
sorted out of core, events sorted by time out of core) gives exactly the events, rejects and counts
of the import made in memory the plain way (`in_memory` below: every ticket's steps, every event,
one sort), for exports whose tickets' rows are together, and for exports whose rows are shuffled."""

from __future__ import annotations

import gzip
import random
from itertools import chain
from pathlib import Path

import pytest

from engine.ingest import import_stream, load_mapping
from engine.ingest.__init__ import _rows
from engine.ingest.transform import Transformer, step_order

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = {
    "servicenow": DATA / "uci-incident-log" / "incident_event_log.csv.gz",
    "bpi2014": DATA / "bpi2014" / "BPIC14_incident_log.csv.gz",
    "helpdesk": DATA / "helpdesk" / "helpdesk.csv.gz",
    "bpi2013": DATA / "bpi2013" / "bpi_challenge_2013_incidents.xes.gz",
}


def in_memory(mapping, inputs) -> tuple[list, list, int, int, dict]:
    """The import as it was made before it streamed: all steps per ticket, all events, one sort."""
    m = load_mapping(mapping)
    transformer = Transformer(m)
    tickets: dict[str, list] = {}
    for index, path in enumerate(inputs):
        for step in transformer.steps(str(path), index, _rows(m, path)):
            tickets.setdefault(step.ticket, []).append(step)
    keyed = []
    for ticket in sorted(tickets):
        keyed.extend(transformer.keyed_events(ticket, sorted(tickets[ticket], key=step_order)))
    keyed.sort(key=lambda k: k[0])
    events = [event for _, event in keyed]
    by_type: dict[str, int] = {}
    for event in events:
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1
    return events, [r.to_dict() for r in transformer.rejects], transformer.rows, len(tickets), dict(sorted(by_type.items()))


def streamed(mapping, inputs, run_size: int) -> tuple[list, list, int, int, dict]:
    stream = import_stream(mapping, inputs, run_size=run_size)
    try:
        events = list(stream.events)
    finally:
        stream.close()
    assert stream.count == len(events)
    return events, [r.to_dict() for r in stream.rejects], stream.rows, stream.tickets, stream.by_type


def shuffled_csv(source: Path, target: Path, seed: int = 3) -> Path:
    """The export's data rows in another order (header first): its tickets' rows are no longer together."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8", newline="") as handle:
        header, *rows = handle.read().splitlines(keepends=True)
    random.Random(seed).shuffle(rows)
    text = header + "".join(rows)
    if target.suffix == ".gz":
        target.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        target.write_text(text, encoding="utf-8", newline="")
    return target


@pytest.mark.parametrize("run_size", [1, 7, 100_000])
def test_the_desk_fixture_grouped_and_shuffled(tmp_path: Path, run_size: int) -> None:
    mapping = FIXTURES / "desk.yaml"
    for source in (FIXTURES / "desk.csv", shuffled_csv(FIXTURES / "desk.csv", tmp_path / "desk.csv")):
        want = in_memory(mapping, [source])
        assert want[0] and want[1]
        assert streamed(mapping, [source], run_size) == want


@pytest.mark.parametrize("name", ["bpi2014", "helpdesk"])  # the two small ones (UCI and BPI 2013 take 15-20 s each)
def test_the_bundled_exports(name: str, tmp_path: Path) -> None:
    source = EXPORTS[name]
    if not source.exists():
        pytest.skip(f"needs ../shared/data ({source.name})")
    want = in_memory(name, [source])
    assert streamed(name, [source], 5_000) == want  # spilled: tens of runs
    if name == "helpdesk":  # shuffled too (a small one: bpi2014 joins a file named after its input, UCI is large)
        again = shuffled_csv(source, tmp_path / source.name)
        assert streamed(name, [again], 5_000) == in_memory(name, [again])


def test_two_inputs_where_a_ticket_comes_back_in_the_second(tmp_path: Path) -> None:
    """A ticket's rows split over two files are not together: the inputs are read again, sorted."""
    header, *rows = (FIXTURES / "desk.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(header + "".join(rows[::2]), encoding="utf-8")
    second.write_text(header + "".join(rows[1::2]), encoding="utf-8")
    mapping = FIXTURES / "desk.yaml"
    assert streamed(mapping, [first, second], 2) == in_memory(mapping, [first, second])


def test_events_are_read_once_and_the_files_are_gone(tmp_path: Path) -> None:
    stream = import_stream(FIXTURES / "desk.yaml", [FIXTURES / "desk.csv"], run_size=1, spool_dir=str(tmp_path))
    events = list(stream.events)
    assert events and list(stream.events) == []
    assert list(chain(tmp_path.iterdir())) == []  # temporary files are unlinked as they are made

"""engine.cli.log_input: the second pass over a log for some tickets reads only the lines that may be
theirs, and gives exactly what reading every line and keeping their events gives."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from engine.cli.log_input import lines_of_tickets, of_tickets
from engine.replay.lines import iter_log

TICKETS = ["T-1", "T-2", "é-3", "T\"4", "T\\5", "ticket"]


def event(n: int, ticket: str, nested: str | None = None, escaped: bool = False) -> bytes:
    body: dict = {"id": f"e{n}", "ticket": ticket, "at": f"2026-03-02T10:{n % 60:02}:00Z", "type": "updated"}
    if nested is not None:
        body["attrs"] = {"ticket": nested, "note": "a \"ticket\": \"T-1\" in a string"}
    text = json.dumps(body, ensure_ascii=escaped)
    return text.encode("utf-8")


ODD = [b"", b"   ", b"not json", b'{"ticket": 5}', b'{"id": "x", "ticket": "T-1"}', b"\xff\xfe",
       b'{"\\u0074icket": "T-2", "id": "u", "at": "2026-03-02T10:00:00Z", "type": "updated"}',
       b'{"id":"c","ticket" :\t"T-2","at":"2026-03-02T10:00:00Z","type":"updated"}\r']


@st.composite
def logs(draw: st.DrawFn) -> bytes:
    lines = []
    for n in range(draw(st.integers(0, 40))):
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(ODD)))
        else:
            nested = draw(st.none() | st.sampled_from(TICKETS))
            lines.append(event(n, draw(st.sampled_from(TICKETS)), nested, draw(st.booleans())))
    return b"\n".join(lines) + draw(st.sampled_from([b"", b"\n"]))


@given(log=logs(), chosen=st.sets(st.sampled_from(TICKETS)))
def test_the_lines_of_some_tickets_are_what_reading_every_line_gives(log: bytes, chosen: set[str]) -> None:
    every = of_tickets(iter_log(io.BytesIO(log)), chosen)
    assert of_tickets(lines_of_tickets(io.BytesIO(log), chosen), chosen) == every


def test_other_tickets_lines_are_not_parsed() -> None:
    log = b"\n".join(event(n, f"T-{n % 5}") for n in range(50)) + b"\n"
    read = list(lines_of_tickets(io.BytesIO(log), {"T-3"}))
    assert [item[1] for item in read] == [n + 1 for n in range(50) if n % 5 == 3]  # line numbers as iter_log's

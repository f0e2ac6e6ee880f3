"""engine.reports.cycles: one row per ticket x clock cycle from hand-written action streams (structured fields only)."""

from __future__ import annotations

from engine.model.actions import Action
from engine.model.events import parse_instant
from engine.reports.cycles import COLUMNS, CycleBuilder, cycles


def t(hhmm: str, day: int = 2) -> int:
    return parse_instant(f"2026-03-{day:02d}T{hhmm}:00Z")


def act(kind: str, at: int, ticket: str = "T1", clock: str = "response", **fields) -> Action:
    base = {"severity": "P2", "target": "1 hour", "calendar": "24x7"}
    base.update(fields)
    return Action(ticket, at, kind, "acme", "acme.rule", "ACME-RT", "a reason never read", clock=clock,
                  version="2026.1", **base)


def rows(actions: list[Action]) -> list[list[str]]:
    return [c.row() for c in cycles(actions)]


def test_columns_are_interface_order() -> None:
    assert COLUMNS == ("ticket", "contract", "version", "clock", "cycle", "severity", "target", "calendar", "started",
                       "due", "stopped", "met", "breached_at", "elapsed", "paused")


def test_met_cycle_with_a_pause() -> None:
    stream = [
        act("start_clock", t("09:00"), due=t("10:00")),
        act("pause_clock", t("09:20")),
        act("resume_clock", t("09:50"), due=t("10:30")),
        act("stop_clock", t("10:10"), met=True, elapsed=3000, paused=1800),
    ]
    assert rows(stream) == [["T1", "acme", "2026.1", "response", "1", "P2", "1 hour", "24x7", "2026-03-02T09:00:00Z",
                             "2026-03-02T10:30:00Z", "2026-03-02T10:10:00Z", "true", "", "3000", "1800",
                             "ACME-RT", "false", "1"]]
    (cycle,) = list(cycles(stream))
    assert cycle.pauses == [(t("09:20"), t("09:50"))]


def test_restart_is_cycle_two_and_breach_then_stop_is_false() -> None:
    stream = [
        act("start_clock", t("09:00"), due=t("10:00")),
        act("stop_clock", t("09:30"), met=True, elapsed=1800, paused=0),
        act("start_clock", t("11:00"), due=t("12:00")),
        act("warn", t("11:48"), due=t("12:00"), elapsed_ratio=0.8),
        act("breach", t("12:00"), due=t("12:00"), elapsed=3600, paused=0),
        act("stop_clock", t("12:30"), met=False, elapsed=5400, paused=0),
    ]
    got = rows(stream)
    assert [r[4] for r in got] == ["1", "2"]
    assert got[1][8:15] == ["2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T12:30:00Z", "false",
                            "2026-03-02T12:00:00Z", "5400", "0"]


def test_reschedule_changes_severity_target_and_due() -> None:
    stream = [
        act("start_clock", t("09:00"), due=t("13:00"), severity="P3", target="4 hours"),
        act("reschedule_clock", t("09:30"), due=t("10:00"), severity="P2", target="1 hour", calendar="emea"),
        act("stop_clock", t("09:45"), met=True, elapsed=2700, paused=0, severity="P2", target="1 hour", calendar="emea"),
    ]
    (row,) = rows(stream)
    assert row[5:10] == ["P2", "1 hour", "emea", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"]
    assert row[11] == "true"


def test_excluded_is_neither_met_nor_breached() -> None:
    stream = [
        act("start_clock", t("09:00"), due=t("10:00")),
        act("stop_clock", t("09:10"), met=None, excluded=True, elapsed=600, paused=0),
    ]
    (cycle,) = list(cycles(stream))
    assert cycle.verdict == "excluded"
    assert cycle.row()[11] == "" and cycle.row()[16] == "true"


def test_running_at_end_and_breached_while_running() -> None:
    stream = [
        act("start_clock", t("09:00"), ticket="T2", due=t("10:00")),
        act("start_clock", t("09:00"), ticket="T1", clock="resolution", due=t("17:00")),
        act("breach", t("10:00"), ticket="T2", due=t("10:00"), elapsed=3600, paused=0),
        act("pause_clock", t("11:00"), ticket="T1", clock="resolution"),
    ]
    got = rows(stream)
    assert [(r[0], r[3]) for r in got] == [("T1", "resolution"), ("T2", "response")]  # open ones sorted
    assert got[0][10:15] == ["", "", "", "", ""]  # running: no stop, no verdict, no elapsed stated
    assert got[0][17] == "1"
    assert got[1][11:15] == ["false", "2026-03-02T10:00:00Z", "3600", "0"]


def test_memory_is_open_cycles_only() -> None:
    builder = CycleBuilder()
    for i in range(100):
        builder.feed(act("start_clock", t("09:00"), ticket=f"T{i}", due=t("10:00")))
        assert builder.feed(act("stop_clock", t("09:30"), ticket=f"T{i}", met=True, elapsed=1800, paused=0))
    assert builder.open_cycles == 0


def test_non_clock_actions_are_ignored() -> None:
    stream = [act("notify", t("09:00"), clock=None, to="customer"), act("pause_clock", t("09:10"))]
    assert rows(stream) == []

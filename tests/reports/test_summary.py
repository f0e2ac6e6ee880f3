"""engine.reports.summary: tallies and compliance (met / (met + breached)), excluded and running left out."""

from __future__ import annotations

from engine.reports.cycles import Cycle
from engine.reports.summary import Summary, natural_key, text_table


def cycle(severity: str, met: bool | None, breached_at: int | None = None, excluded: bool = False, clock: str = "response"):
    return Cycle("T", "acme", "1", clock, 1, severity, "1 hour", "24x7", 0, "C", met=met, breached_at=breached_at,
                 excluded=excluded)


def test_figures_and_total_rows() -> None:
    s = Summary()
    s.extend([cycle("P2", True), cycle("P2", True), cycle("P2", False), cycle("P2", None, breached_at=5),
              cycle("P2", None), cycle("P2", None, excluded=True), cycle("P10", True)])
    rows = {key: t for key, t in s.rows()}
    p2 = rows[("acme", "response", "P2")]
    assert (p2.clocks, p2.met, p2.breached, p2.running, p2.excluded) == (6, 2, 2, 1, 1)
    assert p2.compliance_text() == "50.0"
    assert [k[2] for k, _ in s.rows()] == ["P2", "P10", "all"]
    assert rows[("acme", "response", "all")].compliance_text() == "60.0"
    assert text_table(s).splitlines()[1].split() == ["acme", "response", "P2", "6", "2", "2", "1", "1", "50.0"]


def test_no_verdict_is_a_dash_and_single_severity_has_no_all_row() -> None:
    s = Summary()
    s.add(cycle("P1", None))
    assert [k for k, _ in s.rows()] == [("acme", "response", "P1")]
    assert s.rows()[0][1].compliance_text() == "-"


def test_natural_order() -> None:
    assert sorted(["P10", "P2", "P1"], key=natural_key) == ["P1", "P2", "P10"]


def test_a_contract_run_under_several_versions_gets_rows_per_version_and_one_version_keeps_its_name() -> None:
    def under(version: str, met: bool, ticket: str = "T") -> Cycle:
        return Cycle(ticket, "acme", version, "response", 1, "P2", "1 hour", "24x7", 0, "C", met=met,
                     breached_at=None, excluded=False)

    s = Summary()
    s.extend([under("2026.1", True), under("2026.1", False), under("2026.10", True), under("2026.2", True)])
    s.add(Cycle("T", "other", "1", "response", 1, "P1", "1 hour", "24x7", 0, "C", met=True))
    assert [(k, t.met, t.clocks) for k, t in s.rows()] == [
        (("acme 2026.1", "response", "P2"), 1, 2),
        (("acme 2026.2", "response", "P2"), 1, 1),
        (("acme 2026.10", "response", "P2"), 1, 1),  # versions in natural order
        (("other", "response", "P1"), 1, 1)]
    assert [(c, t.clocks) for c, _, t in s.headline()] == [("acme 2026.1", 2), ("acme 2026.2", 1), ("acme 2026.10", 1),
                                                           ("other", 1)]
    assert s.tallies[("acme", "response", "P2")].clocks == 4  # the per-contract tallies (obligo diff) stay whole
    assert s.total().clocks == 5

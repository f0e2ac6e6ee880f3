"""Differential tests: the engine against tests/reference_model.py on random ticket histories.

A synthetic contract (written to a temporary directory) gives every calendar of the five seed
contracts (contracts/*.yaml, copied with their parameters resolved) plus 24x7 as a region, two
clocks with minute, hour and business-day targets per severity, and the seed contracts'
mechanisms: rules/sla-clock.yaml (start, stop, reschedule on severity change) and
rules/pause-on-info.yaml. Hypothesis draws histories (opened at any instant, around DST switches
and holidays and exactly at openings and closings; pauses, severity changes, goal events, some
exactly at a due; a final advance) and every clock action the engine emits must equal the model's:
`due` of start/resume/reschedule, `breach` instants, `met`, and `elapsed`/`paused`/`severity`/
`target`/`calendar` where the engine emits those fields.

Bugs the property found are pinned in tests/test_oracle_regressions.py; while the engine still
has them the property leaves out the one field they affect, for the actions of that class only
(`known_bug_fields`, each a TODO naming its test; none today: both bugs found are fixed), so that
it can go on finding other bugs.
Instants are whole minutes (the model counts minutes); the test of engine.calendar alone
(`test_business_time_arithmetic_agrees_with_the_model`) also spans 2015-2040.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import reference_model as rm
import yaml
from hypothesis import event as label
from hypothesis import given, note
from hypothesis import strategies as st

from engine import Engine
from engine.calendars.business import calendar_from_spec

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "contracts"

# Seed calendars the property covers: region name of the synthetic contract -> (seed file, calendar id).
SEED_CALENDARS = {
    "adobe-americas": ("adobe.yaml", "americas"),
    "adobe-emea": ("adobe.yaml", "emea"),
    "adobe-apac": ("adobe.yaml", "apac"),
    "adobe-japan": ("adobe.yaml", "japan"),
    **{f"olcare-{r}": ("olcare.yaml", r) for r in
       ("americas", "uk", "germany", "france", "netherlands", "australia", "malaysia", "japan")},
    "microsoft-business": ("microsoft-unified.yaml", "business"),
    "opentext-business": ("opentext-corefax.yaml", "business"),
    "progr1-france": ("progr1.yaml", "france"),
}
ALWAYS_REGION = "always"
GROUPS = {
    "adobe": [r for r in SEED_CALENDARS if r.startswith("adobe-")],
    "olcare": [r for r in SEED_CALENDARS if r.startswith("olcare-")],
    "local": ["microsoft-business", "opentext-business", "progr1-france", ALWAYS_REGION],
}
SEVERITIES = ("S1", "S2", "S3", "S4")
TARGETS = {  # clock -> severity -> duration, or (duration, calendar)
    "response": {"S1": ("4 hours", "24x7"), "S2": "90 minutes", "S3": "3 business days", "S4": "15 minutes"},
    "resolution": {"S1": ("2 business days", "24x7"), "S2": "8 hours", "S3": "1 business day",
                   "S4": "5 business days"},
}
GOALS = {"response": {"responded", "closed"}, "resolution": {"resolved", "closed"}}  # sla-clock stops on close too
CLOCK_ACTIONS = {"start_clock", "pause_clock", "resume_clock", "reschedule_clock", "breach", "stop_clock"}
OPTIONAL_FIELDS = ("elapsed", "paused", "severity", "target", "calendar")  # compared when the engine emits them

CLAUSES = {  # the synthetic contract's own clauses
    "ORC-HOURS": "the seed contracts' business hours",
    "ORC-SEV": "S1 to S4",
    "ORC-RT": "response targets",
    "ORC-RES": "resolution targets",
    "ORC-PAUSE": "clocks stop while waiting on the customer",
}


def _target_rows(clock: str) -> dict[str, Any]:
    return {sev: ({"duration": row[0], "calendar": row[1]} if isinstance(row, tuple) else row)
            for sev, row in TARGETS[clock].items()}


def synthetic_contract() -> dict[str, Any]:
    """The contract document (to sit in contracts/ beside a copy of rules/): the seed calendars,
    parameters resolved and descriptions dropped."""
    calendars = {}
    for region in SEED_CALENDARS:
        spec = seed_spec(region)
        calendars[region] = {"clause": "ORC-HOURS", **{k: spec[k] for k in ("timezone", "hours", "holidays") if k in spec}}
    return {
        "id": "oracle", "title": "Oracle synthetic contract", "version": "1.0", "effective_from": "2025-01-01",
        "source": "990_0a4c1e.txt", "clauses": CLAUSES, "parties": {"vendor": "Vendor", "customer": "Customer"},
        "parameters": {"warn_at": {"value": [], "description": "no warnings"}},
        "calendars": calendars,
        "regions": {**{r: r for r in SEED_CALENDARS}, ALWAYS_REGION: "24x7"},
        "severities": [{"id": s, "name": s, "clause": "ORC-SEV", "definition": s} for s in SEVERITIES],
        "targets": [{"id": clock, "clock": clock, "clause": clause, "calendar": "region",
                     "severities": _target_rows(clock)}
                    for clock, clause in (("response", "ORC-RT"), ("resolution", "ORC-RES"))],
        "include": [
            {"rules": "sla-clock", "as": "response",
             "with": {"clock": "response", "clause": "ORC-RT", "start_on": ["opened"], "stop_on": ["responded"]}},
            {"rules": "sla-clock", "as": "resolution",
             "with": {"clock": "resolution", "clause": "ORC-RES", "start_on": ["opened"], "stop_on": ["resolved"]}},
            {"rules": "pause-on-info", "as": "info", "with": {"clause": "ORC-PAUSE"}},
        ],
    }


@dataclass(repr=False)
class Oracle:
    engine: Engine  # compiled once; each history runs on a fresh Engine over its contracts
    model: rm.ContractModel
    contract_path: Path

    def __repr__(self) -> str:
        return f"Oracle({self.contract_path})"


def build_oracle(where: Path) -> Oracle:
    """Write the synthetic contract under ``where`` (contracts/oracle.yaml beside a copy of rules/,
    including the standard rule documents by name like the seed contracts do) and load it."""
    shutil.copytree(REPO / "engine" / "rules", where / "rules")
    path = where / "contracts" / "oracle.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(synthetic_contract(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    engine = Engine.load([str(path)])
    return Oracle(engine, rm.ContractModel.read(path, GOALS), path)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    return build_oracle(tmp_path_factory.mktemp("oracle"))


# --------------------------------------------------------------------------- histories

# Dates worth starting near: DST switches of 2026/2027 (US, EU, Australia) and holiday stretches.
SPECIAL_DATES = [date.fromisoformat(d) for d in (
    "2026-03-08", "2026-11-01", "2027-03-14", "2027-11-07",  # US
    "2026-03-29", "2026-10-25", "2027-03-28", "2027-10-31",  # EU
    "2026-04-05", "2026-10-04", "2027-04-04", "2027-10-03",  # AU (Sydney, Melbourne)
    "2026-04-03", "2026-05-01", "2026-05-08", "2026-12-24", "2027-01-01", "2027-03-26", "2027-12-24",
    "2026-05-04", "2026-07-14", "2026-11-11",
)]
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles")
COUNTRIES = ("FR", "US", "JP", "GB")


@dataclass(frozen=True)
class Step:
    """One event after the previous one: when (``after`` minutes later, or ``at`` a clock's due /
    the calendar's next opening or closing) and what."""

    when: str  # "after", "due:response", "due:resolution", "opening", "closing"
    minutes: int
    kind: str  # info_requested, info_provided, updated, responded, resolved, closed
    severity: str | None = None


@dataclass(frozen=True)
class History:
    region: str
    severity: str
    attrs: tuple[tuple[str, str], ...]  # extra ticket attributes (timezone, country)
    opened: int  # epoch minute
    steps: tuple[Step, ...]
    final_minutes: int


def delays() -> st.SearchStrategy[int]:
    return st.one_of(st.just(0), st.integers(1, 120), st.integers(120, 24 * 60), st.integers(24 * 60, 5 * 24 * 60))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    kind = draw(st.sampled_from(("info_requested", "info_requested", "info_provided", "info_provided", "updated",
                                 "updated", "responded", "resolved", "closed")))
    when = draw(st.sampled_from(("after", "after", "after", "due:response", "due:resolution", "opening", "closing")))
    severity = draw(st.sampled_from(SEVERITIES)) if kind == "updated" else None
    return Step(when, draw(delays()) if when == "after" else 0, kind, severity)


@st.composite
def histories(draw: st.DrawFn, regions: list[str]) -> History:
    region = draw(st.sampled_from(regions))
    attrs: dict[str, str] = {}
    if region in ("microsoft-business", "opentext-business") and draw(st.booleans()):
        attrs["timezone"] = draw(st.sampled_from(ZONES))
    if region == "microsoft-business" and draw(st.booleans()):
        attrs["country"] = draw(st.sampled_from(COUNTRIES))
    calendar = calendar_of(region, attrs)
    day = draw(st.one_of(st.sampled_from(SPECIAL_DATES), st.dates(date(2026, 1, 1), date(2027, 12, 24))))
    day += timedelta(days=draw(st.integers(-3, 3)))
    boundaries = sorted({edge for spans in calendar.week for span in spans for edge in span})
    wall = draw(st.one_of(
        st.integers(0, 24 * 60 - 1),
        st.builds(lambda edge, d: max(0, min(edge + d, 24 * 60 - 1)),
                  st.sampled_from(boundaries or [0]), st.sampled_from((0, 0, -1, 1))),
    ))
    zone = ZoneInfo(calendar.zone or "UTC")
    local = datetime(day.year, day.month, day.day, wall // 60, wall % 60, tzinfo=zone)
    return History(region, draw(st.sampled_from(SEVERITIES)), tuple(sorted(attrs.items())),
                   int(local.timestamp()) // 60, tuple(draw(st.lists(steps(), max_size=7))), draw(delays()))


@cache
def seed_spec(region: str) -> dict:
    """The region's ``calendars:`` entry in its seed contract (read once: YAML parsing is slow)."""
    seed, name = SEED_CALENDARS[region]
    return rm.calendar_specs(SEEDS / seed)[name]


def calendar_of(region: str, attrs: dict) -> rm.Calendar:
    """The region's calendar as the model reads it from the seed contract."""
    if region == ALWAYS_REGION:
        return rm.calendar_from("24x7", rm.ALWAYS)
    return rm.calendar_from(region, seed_spec(region), attrs)


# --------------------------------------------------------------------------- driving both


def _iso(minute: int) -> str:
    return datetime.fromtimestamp(minute * rm.MINUTE, UTC).isoformat()


def next_change(calendar: rm.Calendar, t: int, to_open: bool) -> int | None:
    """The first minute after ``t`` at which the calendar opens (or closes), within two weeks."""
    for m in range(t + 1, t + 14 * rm.DAY_MINUTES):
        if rm.open_at(calendar, m) == to_open and rm.open_at(calendar, m - 1) != to_open:
            return m
    return None


def instant_of(step: Step, last: int, ticket: rm.TicketModel, calendar: rm.Calendar) -> int:
    """The minute of ``step``'s event: a due or boundary that lies before ``last`` falls back to ``last``."""
    if step.when == "after":
        return last + step.minutes
    if step.when.startswith("due:"):
        clock = ticket.clocks.get(step.when.removeprefix("due:"))
        target = clock.due if clock is not None and not clock.stopped else last
    else:
        target = next_change(calendar, last, step.when == "opening") or last
    return max(last, target)


def event(eid: str, kind: str, minute: int, attrs: dict | None = None) -> dict:
    out: dict[str, Any] = {"id": eid, "ticket": "T", "at": _iso(minute), "type": kind}
    if kind == "opened":
        out["contract"] = "oracle"
    if attrs:
        out["attrs"] = attrs
    return out


def run_both(oracle: Oracle, history: History) -> tuple[list[dict], list[dict], list[dict]]:
    """(engine clock actions, model clock actions, the events) of one history."""
    engine = Engine(oracle.engine.contracts)
    ticket = rm.TicketModel(oracle.model)
    attrs = {"region": history.region, "severity": history.severity, **dict(history.attrs)}
    calendar = calendar_of(history.region, dict(history.attrs))
    events = [event("e0", "opened", history.opened, attrs)]
    out = engine.process(events[0])
    ticket.event("opened", history.opened, attrs)
    last = history.opened
    for i, step in enumerate(history.steps, 1):
        t = instant_of(step, last, ticket, calendar)
        change = {"severity": step.severity} if step.kind == "updated" else None
        events.append(event(f"e{i}", step.kind, t, change))
        out += engine.process(events[-1])
        ticket.event(step.kind, t, change)
        last = t
    end = last + history.final_minutes
    out += engine.advance(_iso(end))
    ticket.advance(end)
    actions = [a.to_dict() for a in out]
    return [a for a in actions if a["action"] in CLOCK_ACTIONS], ticket.actions, events


def known_bug_fields(model_action: dict) -> set[str]:
    """Fields not compared (yet) because the engine has a known, pinned bug there: none today (the
    two found, a reschedule due in the past and a pause spanning a calendar change, are fixed and
    pinned in tests/test_oracle_regressions.py)."""
    return set()


def views(engine_action: dict, model_action: dict) -> tuple[dict, dict]:
    """Both actions reduced to the model's fields; the optional ones only where the engine has them."""
    skipped = known_bug_fields(model_action)
    keys = [k for k in model_action if not k.startswith("_") and k not in skipped
            and (k not in OPTIONAL_FIELDS or k in engine_action)]
    return {k: engine_action.get(k, "<absent>") for k in keys}, {k: model_action[k] for k in keys}


def label_cases(actions: list[dict]) -> None:
    """Name what a history exercised, for --hypothesis-show-statistics (how often each case ran)."""
    due = None
    for a in actions:
        label(a["action"])
        if a.get("_exceeded"):
            label("reschedule onto an exceeded target")
        if a["action"] == "stop_clock":
            label(f"stop_clock met={a['met']}" + (" exactly at due" if a["at"] == due else ""))
        if a.get("_paused_across_change") and a["action"] == "stop_clock":
            label("stopped after a target change while paused")
        due = a.get("due", due)


def check(oracle: Oracle, history: History) -> None:
    """Per clock, the engine's clock actions equal the model's, in order."""
    engine_actions, model_actions, events = run_both(oracle, history)
    for e in events:
        note(str(e))
    for clock in GOALS:
        got = [a for a in engine_actions if a["clock"] == clock]
        want = [a for a in model_actions if a["clock"] == clock]
        label_cases(want)
        pairs = [views(g, w) for g, w in zip(got, want, strict=False)]
        assert len(got) == len(want) and all(g == w for g, w in pairs), (
            f"{clock}:\n engine {got}\n model  {want}")


# --------------------------------------------------------------------------- properties


@given(history=histories(GROUPS["adobe"]))
def test_engine_agrees_with_the_model_on_adobe_calendars(oracle: Oracle, history: History) -> None:
    check(oracle, history)


@given(history=histories(GROUPS["olcare"]))
def test_engine_agrees_with_the_model_on_olcare_calendars(oracle: Oracle, history: History) -> None:
    check(oracle, history)


@given(history=histories(GROUPS["local"]))
def test_engine_agrees_with_the_model_on_customer_local_french_and_24x7(oracle: Oracle, history: History) -> None:
    check(oracle, history)


@given(region=st.sampled_from(sorted(SEED_CALENDARS)), zone=st.sampled_from((None, *ZONES)),
       day=st.one_of(st.sampled_from(SPECIAL_DATES), st.dates(date(2026, 1, 1), date(2027, 12, 24)),
                     st.dates(date(2015, 1, 1), date(2040, 12, 24))),  # far years: the engine's year caches jump
       wall=st.integers(0, 24 * 60 - 1), span=st.integers(0, 6 * 24 * 60), amount=st.integers(0, 3 * 8 * 60),
       days=st.integers(0, 7))
def test_business_time_arithmetic_agrees_with_the_model(region: str, zone: str | None, day: date, wall: int,
                                                        span: int, amount: int, days: int) -> None:
    """engine.calendar on its own (add, between, add_business_days, is_open), without the clocks
    around it: a disagreement here is calendar arithmetic (engine/calendar.py)."""
    attrs = {"timezone": zone} if zone and region in ("microsoft-business", "opentext-business") else {}
    model = calendar_of(region, attrs)
    engine = calendar_from_spec(seed_spec(region), timezone=attrs.get("timezone"))
    t = int(datetime(day.year, day.month, day.day, wall // 60, wall % 60, tzinfo=ZoneInfo(model.zone)).timestamp())
    m = t // 60
    assert engine.is_open(t) == rm.open_at(model, m)
    assert engine.between(t, t + span * 60) == rm.count_open(model, m, m + span) * 60
    assert engine.add(t, amount * 60) == rm.after_open(model, m, amount) * 60
    assert engine.add_business_days(t, days) == rm.add_business_days(model, m, days) * 60


def test_the_synthetic_contract_uses_every_seed_calendar(oracle: Oracle) -> None:
    """A seed calendar added later must be added here too, or the property would not cover it."""
    seen = set()
    for seed in SEEDS.glob("*.yaml"):
        if not seed.name.endswith(".tests.yaml"):
            seen |= {(seed.name, name) for name in rm.calendar_specs(seed)}
    assert seen == set(SEED_CALENDARS.values())
    assert set().union(*GROUPS.values()) == {*SEED_CALENDARS, ALWAYS_REGION}

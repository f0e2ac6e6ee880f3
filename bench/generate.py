"""Seeded, deterministic generator of realistic ticket histories for the five seed contracts.

`generate(n_tickets, seed)` returns docs/INTERFACE.md events (dicts), sorted by instant (stable), with
about 8 events per ticket: `opened` with each contract's real attribute values, `acknowledged`,
several `responded`, `info_requested` / `info_provided` pairs (some left unanswered), severity
`updated` both ways (with `by` / `consent` for OL Care), `escalation_requested`, some
`reclassification_requested` / `rca_requested` / `incident_declared`, `resolved`, the odd
`reopened`, and `closed`; a few tickets have an excluded category. Tickets arrive over several
weeks (more on local weekday daytime), and the gaps between a ticket's events range from
minutes to days, so clocks cross nights and weekends, pause, and sometimes breach.

Only `random.Random(seed)` is used: no wall clock, no set iteration, so the same (n, seed, start)
gives the same events on every run and machine.

    python bench/generate.py --tickets 1000 --seed 1 --out events.jsonl
    python bench/generate.py --sample bench/sample-events.jsonl    # the `make demo` input
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

MIN, HOUR, DAY = 60, 3600, 86400

CONTRACTS = ("adobe", "olcare", "microsoft-unified", "opentext-corefax", "progr1")
CONTRACT_WEIGHTS = (30, 25, 20, 15, 10)

# Severity values, most severe first (docs/INTERFACE.md), with opening weights.
SEVERITIES = {
    "adobe": (("P1", "P2", "P3", "P4"), (8, 25, 42, 25)),
    "olcare": (("P1", "P2", "P3", "P4"), (6, 20, 50, 24)),
    "microsoft-unified": (("1", "A", "B", "C"), (7, 15, 45, 33)),
    "opentext-corefax": (("critical", "serious", "normal"), (12, 28, 60)),
    "progr1": (("1", "2", "3", "4"), (7, 25, 40, 28)),
}

ADOBE_PLANS = (("expert", "ultimate", "commerce-managed"), (50, 30, 20))
ADOBE_REGIONS = (("americas", "emea", "apac", "japan"), (40, 35, 15, 10))
ADOBE_TZ = {"americas": "America/Los_Angeles", "emea": "Europe/London", "apac": "Australia/Sydney", "japan": "Asia/Tokyo"}
ADOBE_PRODUCTS = ("Experience Manager Sites", "Analytics", "Target", "Campaign", "Marketo Engage", "Workfront")

OL_REGIONS = (("americas", "uk", "germany", "france", "netherlands", "australia", "malaysia", "japan"),
              (35, 12, 12, 12, 7, 10, 6, 6))
OL_TZ = {"americas": "America/Toronto", "uk": "Europe/London", "germany": "Europe/Berlin", "france": "Europe/Paris",
         "netherlands": "Europe/Amsterdam", "australia": "Australia/Melbourne", "malaysia": "Asia/Kuala_Lumpur",
         "japan": "Asia/Tokyo"}
OL_PRODUCTS = ("OL Connect Designer", "OL Connect Workflow", "PlanetPress Connect", "PReS Connect", "Capture OnTheGo")
OL_EXCLUDED = ("misuse", "modification", "unsupported_version", "custom_code")

MS_PLANS = (("reactive", "mcs-azure", "mcs-events", "mcs-security", "rapid-response", "uer"), (45, 15, 5, 10, 10, 15))
MS_TIMEZONES = ("Europe/Paris", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata", "Australia/Sydney")
# Azure products, including some on the contract's exclusion lists (StorSimple, GitHub AE, ...).
MS_AZURE_PRODUCTS = ("Azure Virtual Machines", "Azure Kubernetes Service", "Azure SQL Database", "Azure Functions",
                     "Azure Storage", "Azure StorSimple", "GitHub AE", "Azure Communication Services",
                     "Azure Media Services", "Azure Stack HCI", "Azure US Gov Cloud", "Billing and Subscription Management")
MS_AZURE_WEIGHTS = (18, 14, 14, 10, 12, 3, 2, 3, 2, 2, 2, 3)
MS_OTHER_PRODUCTS = ("Microsoft 365", "Exchange Online", "SQL Server", "Windows Server", "Dynamics 365", "Teams",
                     "Defender for Endpoint")
MS_EXCLUDED = ("custom_code", "third_party_software")

OT_TIMEZONES = ("Europe/Paris", "Europe/Berlin", "Europe/London", "Europe/Madrid", "America/Toronto", "America/New_York")
OT_EXCLUDED = ("third_party_software", "customer_infrastructure")

P1_EXCLUDED = ("on_site", "hardware", "enhancement", "third_party_software", "integration", "custom_development",
               "custom_code", "training", "modification", "customer_infrastructure")
P1_INFO_ITEMS = ("report", "steps", "errors", "documents")

IN_SCOPE_CATEGORIES = ("incident", "defect", "question", "configuration", "performance")
CHANNELS = ("web", "email", "phone", "chat")

# Nominal first-response target per contract and severity (the contracts' own figures, roughly:
# business-day targets as 8 hours). The vendor's first response is drawn log-normally around about
# half of it, so most responses meet the target and roughly a fifth to a third breach it.
RESPONSE_TARGET = {
    "adobe": (1 * HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR),
    "olcare": (3 * HOUR, 3 * HOUR, 3 * HOUR, 3 * HOUR),
    "microsoft-unified": (45 * MIN, 1 * HOUR, 2 * HOUR, 4 * HOUR),
    "opentext-corefax": (1 * HOUR, 2 * HOUR, 4 * HOUR),
    "progr1": (2 * HOUR, 4 * HOUR, 8 * HOUR, 8 * HOUR),
}


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _pick(rng: random.Random, table: tuple[tuple, tuple]) -> str:
    values, weights = table
    return rng.choices(values, weights)[0]


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> int:
    return int(min(high, max(low, median * math.exp(rng.gauss(0.0, sigma)))))


def _activity(local: datetime) -> float:
    """Relative ticket traffic at a local time: weekday office hours busiest, nights and weekends quiet."""
    hour = local.hour
    if local.weekday() >= 5:
        return 0.12
    if 8 <= hour < 18:
        return 1.0
    if 7 <= hour < 21:
        return 0.35
    return 0.07


def _office_hours(rng: random.Random, t: int, tz: ZoneInfo) -> int:
    """Move an instant outside local weekday 08:00-19:00 to the next such morning (someone's day)."""
    local = datetime.fromtimestamp(t, tz)
    if local.weekday() < 5 and 8 <= local.hour < 19:
        return t
    day = local.replace(hour=8, minute=0, second=0, microsecond=0)
    if local.hour >= 19 or local.weekday() >= 5:
        day = datetime.fromtimestamp(day.timestamp() + DAY + 2 * HOUR, tz).replace(hour=8, minute=0, second=0)
    while day.weekday() >= 5:
        day = datetime.fromtimestamp(day.timestamp() + DAY + 2 * HOUR, tz).replace(hour=8, minute=0, second=0)
    return int(day.timestamp()) + rng.randrange(0, 150 * MIN, 60)


class _Ticket:
    """Builds one ticket's events as (instant, type, attrs); times strictly increase."""

    def __init__(self, rng: random.Random, ticket: str, contract: str, tz: str, opened_at: int):
        self.rng = rng
        self.ticket = ticket
        self.contract = contract
        self.tz = _zone(tz)
        self.t = opened_at
        self.events: list[tuple[int, str, dict]] = []
        self.severities, _ = SEVERITIES[contract]

    def index(self, severity: str) -> int:
        return self.severities.index(severity) if severity in self.severities else len(self.severities) - 1

    def rank(self, severity: str) -> int:
        """Urgency 0 (most severe) to 3, whatever the number of severity levels."""
        return min(3, self.index(severity) * 3 // (len(self.severities) - 1))

    def add(self, kind: str, gap: int, attrs: dict | None = None, office: float = 0.0) -> None:
        t = self.t + max(30, gap)
        if office and self.rng.random() < office:
            t = max(t, _office_hours(self.rng, t, self.tz))
        self.t = t
        self.events.append((t, kind, attrs or {}))


def _open_attrs(rng: random.Random, contract: str, force_excluded: bool = False) -> tuple[dict, str, bool]:
    """(attrs of `opened`, the ticket's local zone, whether its category is excluded)."""
    severity = _pick(rng, SEVERITIES[contract])
    excluded = False
    if contract == "adobe":
        plan, region = _pick(rng, ADOBE_PLANS), _pick(rng, ADOBE_REGIONS)
        channel = rng.choices(CHANNELS, (20, 10, 60, 10) if severity == "P1" else (45, 15, 20, 20))[0]
        attrs = {"plan": plan, "region": region, "severity": severity, "channel": channel,
                 "named_contact": rng.random() < 0.9}
        if plan == "commerce-managed":
            attrs["product"] = "Adobe Commerce" if rng.random() < 0.8 else rng.choice(ADOBE_PRODUCTS)
            if rng.random() < 0.25:
                attrs["term_start"] = rng.choice(("2020-06-01", "2021-09-20", "2023-01-15", "2025-04-01"))
        else:
            attrs["product"] = rng.choice(ADOBE_PRODUCTS)
        if rng.random() < 0.15:
            attrs["language"] = "ja" if region == "japan" else rng.choice(("en", "en", "fr", "de"))
        attrs["category"] = "enhancement" if rng.random() < 0.05 else rng.choice(IN_SCOPE_CATEGORIES)
        return attrs, ADOBE_TZ[region], False
    if contract == "olcare":
        region = _pick(rng, OL_REGIONS)
        attrs = {"plan": "standard", "region": region, "channel": rng.choices(CHANNELS, (45, 30, 20, 5))[0],
                 "product": rng.choice(OL_PRODUCTS), "named_contact": rng.random() < 0.85}
        if rng.random() >= 0.01:  # a few tickets arrive without a severity (OL-SEV-DEF notify)
            attrs["severity"] = severity
        excluded = force_excluded or rng.random() < 0.04
        attrs["category"] = rng.choice(OL_EXCLUDED) if excluded else rng.choice(IN_SCOPE_CATEGORIES)
        return attrs, OL_TZ[region], excluded
    if contract == "microsoft-unified":
        plan, tz = "mcs-azure" if force_excluded else _pick(rng, MS_PLANS), rng.choice(MS_TIMEZONES)
        azure = plan in ("mcs-azure", "mcs-events", "rapid-response") or rng.random() < 0.45
        product = rng.choices(MS_AZURE_PRODUCTS, MS_AZURE_WEIGHTS)[0] if azure else rng.choice(MS_OTHER_PRODUCTS)
        attrs = {"plan": plan, "timezone": tz, "severity": severity, "azure": azure, "product": product,
                 "production": rng.random() < 0.8, "channel": rng.choices(CHANNELS, (40, 15, 40, 5))[0]}
        if severity == "B" and rng.random() < 0.2:
            attrs["around_the_clock"] = True
        excluded = force_excluded or plan == "mcs-azure" and rng.random() < 0.06
        attrs["category"] = rng.choice(MS_EXCLUDED) if excluded else rng.choice(IN_SCOPE_CATEGORIES)
        return attrs, tz, excluded
    if contract == "opentext-corefax":
        tz = rng.choice(OT_TIMEZONES)
        attrs = {"plan": "standard", "timezone": tz, "severity": severity,
                 "channel": rng.choices(CHANNELS, (35, 20, 35, 10))[0], "production": rng.random() < 0.85}
        given = rng.random()
        if given < 0.5:
            attrs["info"] = {"occurred_at": "see description", "description": "faxes stuck in the outbound queue"}
        elif given < 0.8:
            attrs["info"] = {"description": "inbound faxes not delivered to e-mail"}
        roll = rng.random()
        if force_excluded or roll < 0.06:
            excluded = True
            attrs["category"] = rng.choice(OT_EXCLUDED)
        else:
            attrs["category"] = "enhancement" if roll < 0.09 else rng.choice(IN_SCOPE_CATEGORIES)
        return attrs, tz, excluded
    # progr1
    attrs = {"plan": "distributor", "region": "france", "severity": severity,
             "channel": "phone" if rng.random() < 0.85 else "email"}
    info = {item: f"{item} supplied by the distributor" for item in P1_INFO_ITEMS}
    if rng.random() < 0.4:
        for item in rng.sample(P1_INFO_ITEMS, rng.randint(1, 2)):
            if rng.random() < 0.5:
                del info[item]
            else:
                info[item] = ""
    attrs["info"] = info
    excluded = force_excluded or rng.random() < 0.04
    attrs["category"] = rng.choice(P1_EXCLUDED) if excluded else rng.choice(IN_SCOPE_CATEGORIES)
    return attrs, "Europe/Paris", excluded


def _severity_change(rng: random.Random, tk: _Ticket, current: str) -> dict | None:
    sevs = tk.severities
    if current not in sevs:
        return {"severity": sevs[-2], "by": "vendor"}
    i = sevs.index(current)
    # Raise or lower one step; a raise is more likely on the less severe tickets and vice versa.
    up = i > 0 and (i == len(sevs) - 1 or rng.random() < 0.5)
    new = sevs[i - 1] if up else sevs[i + 1] if i + 1 < len(sevs) else None
    if new is None:
        return None
    if tk.contract == "olcare":
        roll = rng.random()
        if roll < 0.45:
            return {"severity": new, "by": "vendor", "consent": True}
        if roll < 0.65:
            return {"severity": new, "by": "vendor"}  # no consent: the engine restores the severity
        return {"severity": new, "by": "customer"}
    return {"severity": new, "by": "vendor" if rng.random() < 0.7 else "customer"}


def _ticket_events(rng: random.Random, ticket: str, start: int, span: int,
                   force_excluded: bool = False) -> tuple[str, str, list[tuple[int, str, dict]]]:
    """(contract, local zone, events) of one ticket."""
    if force_excluded:  # a contract that has exclusions (Adobe has none)
        contract = rng.choice(("olcare", "microsoft-unified", "opentext-corefax", "progr1"))
    else:
        contract = rng.choices(CONTRACTS, CONTRACT_WEIGHTS)[0]
    attrs, tz_name, excluded = _open_attrs(rng, contract, force_excluded)
    tz = _zone(tz_name)
    while True:  # arrival: inhomogeneous in local time (thinning)
        opened_at = start + rng.randrange(span)
        if rng.random() < _activity(datetime.fromtimestamp(opened_at, tz)):
            break
    tk = _Ticket(rng, ticket, contract, tz_name, opened_at)
    tk.events.append((opened_at, "opened", attrs))
    severity = attrs.get("severity", tk.severities[-1])
    rank = tk.rank(severity)
    office = 0.0 if rank == 0 else 0.85  # urgent tickets are worked around the clock

    # acknowledgement: PROGR1 takes the call into account; OL Care web/e-mail auto-ack (10 min target)
    if contract == "progr1":
        tk.add("acknowledged", _lognormal(rng, 25 * MIN, 1.0, 2 * MIN, 2 * DAY), office=0.9)
    elif contract == "olcare" and attrs["channel"] in ("web", "email") and rng.random() < 0.9:
        tk.add("acknowledged", _lognormal(rng, 4 * MIN, 0.7, 30, 40 * MIN))
    elif rng.random() < 0.25:
        tk.add("acknowledged", _lognormal(rng, 15 * MIN, 1.0, MIN, 6 * HOUR), office=office)

    if contract == "progr1" and ("" in attrs["info"].values() or len(attrs["info"]) < 4) and rng.random() < 0.75:
        missing = {k: f"{k} supplied later" for k in P1_INFO_ITEMS if not attrs["info"].get(k)}
        tk.add("updated", _lognormal(rng, 5 * HOUR, 1.0, 10 * MIN, 5 * DAY), {"info": missing, "by": "customer"}, 0.8)

    # first human response
    target = RESPONSE_TARGET[contract][tk.index(severity)]
    tk.add("responded", _lognormal(rng, 0.55 * target, 0.9, 2 * MIN, 6 * DAY), office=office)

    if excluded:  # out of scope: told so, then closed
        if rng.random() < 0.8:
            tk.add("closed", _lognormal(rng, 1 * DAY, 1.0, HOUR, 10 * DAY),
                   {"consent": rng.random() < 0.7, "by": "vendor"}, office=0.9)
        return contract, tz_name, tk.events

    if contract == "adobe" and attrs.get("named_contact") is False and rng.random() < 0.6:
        tk.add("updated", _lognormal(rng, 6 * HOUR, 1.0, 10 * MIN, 4 * DAY), {"named_contact": True, "by": "customer"}, 0.7)
    if contract in ("adobe", "opentext-corefax", "microsoft-unified") and rng.random() < 0.015:
        impact = tk.t + rng.randrange(5 * MIN, 3 * HOUR, 60)
        tk.add("incident_declared", impact - tk.t + rng.randrange(0, 20 * MIN, 60),
               {"impact_determined_at": datetime.fromtimestamp(impact, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        if rng.random() < 0.7:  # the written notice to the customer, usually within the half hour
            tk.add("responded", _lognormal(rng, 12 * MIN, 0.6, 2 * MIN, 3 * HOUR))

    # the working phase: a few steps, each one to several events
    steps = rng.choices((0, 1, 2, 3, 4, 5, 6), (8, 15, 20, 21, 17, 11, 8))[0]
    open_info = False
    current = severity
    for step in range(steps):
        gap = _lognormal(rng, 5 * HOUR if rank else 50 * MIN, 1.1, 5 * MIN, 5 * DAY)
        roll = rng.random()
        if roll < 0.36:
            tk.add("responded", gap, office=office)
        elif roll < 0.62:
            access = contract == "adobe" and rng.random() < 0.3
            tk.add("info_requested", gap, {"access": True} if access else {}, office=office)
            if (step == steps - 1 and rng.random() < 0.35) or rng.random() < 0.12:
                open_info = True  # left unanswered: silence timers, obligation breaches
                break
            tk.add("info_provided", _lognormal(rng, 6 * HOUR, 1.3, 5 * MIN, 8 * DAY), office=0.6)
            if rng.random() < 0.5:
                tk.add("responded", _lognormal(rng, 2 * HOUR, 1.0, 5 * MIN, 3 * DAY), office=office)
        elif roll < 0.76:
            change = _severity_change(rng, tk, current)
            if change is None:
                continue
            tk.add("updated", gap, change, office=office)
            restored = contract == "olcare" and change["by"] == "vendor" and not change.get("consent")
            if not restored:
                current = change["severity"]
        elif roll < 0.86:
            tk.add("escalation_requested", gap, {"by": "distributor" if contract == "progr1" else "customer"}, 0.6)
            if rng.random() < 0.6:
                tk.add("responded", _lognormal(rng, 90 * MIN, 1.0, 5 * MIN, 2 * DAY), office=office)
        elif roll < 0.92:
            others = [s for s in tk.severities if s != current]
            tk.add("reclassification_requested", gap, {"severity": rng.choice(others)}, 0.6)
        elif roll < 0.96:
            tk.add("rca_requested", gap, office=0.6)
        elif contract == "opentext-corefax":
            tk.add("updated", gap, {"channel": "email", "by": "customer"} if rng.random() < 0.5 else
                   {"production": False, "by": "customer"}, office=office)
        else:
            tk.add("responded", gap, office=office)

    if open_info and rng.random() < 0.5:
        return contract, tz_name, tk.events  # still waiting on the customer at the end of the log
    if rng.random() < 0.05:
        return contract, tz_name, tk.events  # never resolved in the window: clocks keep running
    tk.add("resolved", _lognormal(rng, 10 * HOUR if rank else 2 * HOUR, 1.2, 10 * MIN, 12 * DAY), office=office)
    if rng.random() < 0.04:
        tk.add("reopened", _lognormal(rng, 1 * DAY, 1.0, HOUR, 6 * DAY), {"by": "customer"}, 0.6)
        tk.add("responded", _lognormal(rng, 3 * HOUR, 1.0, 5 * MIN, 3 * DAY), office=office)
        tk.add("resolved", _lognormal(rng, 1 * DAY, 1.0, HOUR, 6 * DAY), office=office)
    if contract == "microsoft-unified" and rng.random() < 0.05:
        tk.add("rca_requested", _lognormal(rng, 1 * DAY, 1.0, HOUR, 5 * DAY), office=0.6)
    if rng.random() < 0.93:
        closed: dict[str, object] = {"consent": rng.random() < 0.8, "by": "vendor"} if contract == "olcare" else \
            {"consent": True} if rng.random() < 0.5 else {}
        if contract == "olcare" and rng.random() < 0.2:
            closed = {"by": "customer"}
        tk.add("closed", _lognormal(rng, 2 * DAY, 1.0, HOUR, 14 * DAY), closed, office=0.9)
    return contract, tz_name, tk.events


def _format(t: int, tz: ZoneInfo | None) -> str:
    if tz is None:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(t, tz).isoformat()


def span_seconds(n_tickets: int) -> int:
    """Arrival window: two weeks for a handful of tickets, up to eight weeks for large logs."""
    days = min(56, max(14, n_tickets // 400))
    return days * DAY


def generate(n_tickets: int, seed: int, start: str = "2026-03-02T08:00:00Z") -> list[dict]:
    """`n_tickets` ticket histories as docs/INTERFACE.md events, sorted by instant (stable)."""
    rng = random.Random(seed)
    begin = int(datetime.fromisoformat(start.replace("z", "Z")).timestamp())
    span = span_seconds(n_tickets)
    rows: list[tuple[int, int, dict]] = []
    for i in range(n_tickets):
        ticket = f"t{i}"  # renumbered by arrival below
        # besides the random ones, every 30th ticket is out of scope, so small samples have a few too
        contract, tz_name, events = _ticket_events(rng, ticket, begin, span, force_excluded=i % 30 == 11)
        local = _zone(tz_name)  # a quarter of the instants are written in the ticket's local offset
        for t, kind, attrs in events:
            ev: dict = {"id": "", "ticket": ticket, "at": _format(t, local if rng.random() < 0.25 else None),
                        "type": kind}
            if kind == "opened":
                ev["contract"] = contract
            if attrs:
                ev["attrs"] = attrs
            rows.append((t, len(rows), ev))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    numbers: dict[str, str] = {}  # tickets are numbered in order of arrival
    for n, (_, _, ev) in enumerate(rows, start=1):
        ev["id"] = f"e-{n:07d}"
        ev["ticket"] = numbers.setdefault(ev["ticket"], f"T-{len(numbers) + 1:06d}")
        out.append(ev)
    return out


def only_contracts(events: list[dict], contracts) -> list[dict]:
    """The events of the tickets whose contract is in `contracts` (whole tickets, order kept)."""
    keep: dict[str, bool] = {}
    out = []
    for ev in events:
        if ev["type"] == "opened":
            keep[ev["ticket"]] = ev["contract"] in contracts
        if keep.get(ev["ticket"], False):
            out.append(ev)
    return out


def write_jsonl(events: list[dict], stream) -> None:
    for ev in events:
        stream.write(json.dumps(ev, ensure_ascii=False) + "\n")


# The demo sample (`make demo`): 40 tickets, seed 7, then three lines the replay must reject.
SAMPLE_TICKETS, SAMPLE_SEED = 40, 7
SAMPLE_BAD_LINES = (
    # invalid JSON (truncated object)
    '{"id": "bad-1", "ticket": "T-000003", "at": "2026-03-04T10:00:00Z", "type": "responded"',
    # unknown event type
    '{"id": "bad-2", "ticket": "T-000004", "at": "2026-03-05T11:30:00Z", "type": "escalated", "attrs": {"level": 2}}',
    # a ticket that was never opened
    '{"id": "bad-3", "ticket": "T-999999", "at": "2026-03-06T09:15:00+01:00", "type": "responded"}',
)


def write_sample(path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        write_jsonl(generate(SAMPLE_TICKETS, SAMPLE_SEED), fh)
        for line in SAMPLE_BAD_LINES:
            fh.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a deterministic JSONL log of ticket events.")
    parser.add_argument("--tickets", type=int, default=1000, help="number of tickets (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--start", default="2026-03-02T08:00:00Z", help="start of the arrival window (RFC 3339)")
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    parser.add_argument("--sample", metavar="FILE",
                        help=f"write the demo sample instead: {SAMPLE_TICKETS} tickets, seed {SAMPLE_SEED}, "
                             f"plus {len(SAMPLE_BAD_LINES)} lines the replay must reject")
    args = parser.parse_args(argv)
    if args.sample:
        write_sample(args.sample)
        return 0
    events = generate(args.tickets, args.seed, args.start)
    if args.out == "-":
        write_jsonl(events, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            write_jsonl(events, fh)
        print(f"{len(events)} events for {args.tickets} tickets -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""durable_rules as a differential oracle for every rule condition of every contract.

Our conditions are written in durable_rules' JSON syntax (docs/FORMAT.md "Conditions"), and
`to_durable` turns one into the form durable_rules 2.0 compiles. This test replays seeded
streams through our Engine and, at the first evaluation of each agenda (the moment the engine
matches every rule of a trigger, before any firing), asks durable_rules the same question for
every rule of the ticket's contract, with the facts our engine sees at that moment. Both must
say the same: rule matched, or not. Only that first evaluation is compared: the re-matches after a
firing see state our actions changed, which is our engine's business, not the condition language's.

Where durable_rules differs, and how the test works around it:
- State (clocks, timers, `state.open.<calendar>`, escalation...) lives in our engine: durable_rules
  cannot read it. The test reads each path a rule's condition reads with our own getters and
  posts the values as one flat message (`{"ticket.severity": "P1", "state.clock.response":
  "running"}`; a null value is left out: absent). So the oracle checks the condition language
  (operators, types, absence, `$in` expansion, event-type routing), not our state machine.
- Wall-clock timers: durable_rules' timers follow the machine's clock, ours the event time. No
  timer is used: deadlines (breach, warn, timer, obligation_breached) are our engine's agenda
  triggers, and their facts are posted like any other.
- One ruleset per rule, one session each: a rule here is one pattern and an event posted to a
  ruleset is consumed by the first rule it matches, so several rules in one ruleset would hide
  each other. Every message goes to the default session, so the 1024-open-sessions-per-ruleset
  limit (the 1025th raises MemoryError; bench/bench_engine.py) is never reached.
- A lone `$nex` makes durable_rules 2.0.28 loop forever (tests/language/test_conditions.py), and
  an empty condition is not a pattern: every pattern is ANDed with the rule's own marker field
  (`obligo.rule`) and the rule's event types, which also checks `when.event` routing.
- A value that is a mapping or list (say `ticket.info`) cannot be posted as one flat field: such
  a (rule, fact) pair is counted as not comparable and skipped; the test asserts there are few.
- durable_rules' own regex engine against our RE2: the contracts' patterns agree on the facts
  generated here (a disagreement would fail the test).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import REPO
from runtime_fixtures.helpers import load_bench_generator

from engine import Engine
from engine.language.conditions import to_durable
from engine.language.model import CompiledContract, Rule
from engine.model.events import EventError

durable = pytest.importorskip("durable.engine", reason="durable_rules is not installed (pip install durable_rules)")

CONTRACT_FILES = sorted(p for p in [*(REPO / "contracts").glob("*.yaml"), *(REPO / "examples").glob("*/*.yaml")]
                        if not p.name.endswith(".tests.yaml"))
BENCH_TICKETS, BENCH_SEED = 250, 17  # bench/generate.py: realistic tickets of the five seed contracts
SYNTHETIC_TICKETS, SYNTHETIC_SEED = 50, 23  # per contract: attribute values drawn from the conditions
EXTERNAL_TYPES = ("acknowledged", "updated", "responded", "info_requested", "info_provided", "escalation_requested",
                  "reclassification_requested", "resolved", "reopened", "closed", "rca_requested",
                  "incident_declared", "fulfilled")
SCALARS = (str, int, float, bool)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")


class Oracle:
    """One durable_rules ruleset per rule; `verdict` posts one flat fact and says whether it matched."""

    def __init__(self, contracts: dict[str, CompiledContract]):
        self.host = durable.Host()
        self.names: dict[tuple[str, str], str] = {}
        self.cache: dict[tuple[str, frozenset], bool] = {}
        self.hits: list[str] = []
        rulesets = {}
        for contract in contracts.values():
            for rule in contract.rules:
                name = f"oracle_{len(self.names)}"
                self.names[contract.id, rule.id] = name
                rulesets[name] = {"r": {"all": [{"m": self.pattern(name, rule)}], "run": self.action(name)}}
        self.host.set_rulesets(rulesets)
        self.posts = 0

    def action(self, name: str) -> Any:
        """The rule's action: note which ruleset fired (one argument: a two-argument action is
        taken by durable_rules as asynchronous, its second argument a completion callback)."""
        return lambda c: self.hits.append(name)

    @staticmethod
    def pattern(name: str, rule: Rule) -> dict:
        terms: list[dict] = [{"obligo.rule": name}]
        terms.append({"event.type": rule.events[0]} if len(rule.events) == 1
                     else {"$or": [{"event.type": e} for e in rule.events]})
        if rule.condition is not None:
            terms.append(to_durable(rule.condition))
        return {"$and": terms}

    def verdict(self, contract: str, rule: str, fact: dict) -> bool:
        name = self.names[contract, rule]
        key = (name, frozenset(fact.items()))
        if key not in self.cache:
            self.hits.clear()
            self.posts += 1
            try:
                self.host.post(name, {**fact, "obligo.rule": name})
            except durable.MessageNotHandledException:
                pass
            self.cache[key] = self.hits == [name]
        return self.cache[key]


class Recorder:
    """Wraps each agenda's `matches` so that its first evaluation is compared with the oracle."""

    def __init__(self, contracts: dict[str, CompiledContract], oracle: Oracle):
        self.oracle = oracle
        self.pairs = 0  # (rule, agenda) pairs compared
        self.agendas = 0
        self.skipped = 0  # pairs with a mapping or list value: not comparable
        self.matched: Counter[tuple[str, str]] = Counter()  # (contract, rule) -> agendas it matched in
        self.verdicts: Counter[bool] = Counter()
        self.mismatches: list[dict] = []
        for contract in contracts.values():
            agendas = {trigger: (rules, self.wrap(contract, trigger, rules, matches), affects, rescan)
                       for trigger, (rules, matches, affects, rescan) in contract.agendas.items()}
            object.__setattr__(contract, "agendas", agendas)  # frozen dataclass: a test-only patch

    def wrap(self, contract: CompiledContract, trigger: str, rules: tuple[Rule, ...], matches: Any) -> Any:
        def recorded(facts: Any) -> list:
            keys = matches(facts)
            self.compare(contract, trigger, {r.id: k is not None for r, k in zip(rules, keys, strict=True)}, facts)
            return keys
        return recorded

    def compare(self, contract: CompiledContract, trigger: str, ours: dict[str, bool], facts: Any) -> None:
        self.agendas += 1
        for rule in contract.rules:  # every rule of the contract: those of other triggers must not match
            fact: dict[str, Any] = {"event.type": trigger}
            comparable = True
            for path, getter in rule.reads:
                value = getter(facts)
                if value is None:
                    continue  # null is absent, for both
                if not isinstance(value, SCALARS):
                    comparable = False
                    break
                fact[path] = value
            if not comparable:
                self.skipped += 1
                continue
            mine = ours.get(rule.id, False)
            theirs = self.oracle.verdict(contract.id, rule.id, fact)
            self.pairs += 1
            self.verdicts[mine] += 1
            if mine:
                self.matched[contract.id, rule.id] += 1
            if mine != theirs:
                self.mismatches.append({"contract": contract.id, "rule": rule.id, "trigger": trigger, "fact": fact,
                                        "obligo": mine, "durable_rules": theirs})


# --- seeded event streams ---------------------------------------------------------------------------

def _literals(cond: Any, out: dict[str, list]) -> None:
    """The values each fact path is compared with anywhere in a condition (the interesting ones)."""
    if isinstance(cond, list):
        for c in cond:
            _literals(c, out)
        return
    if not isinstance(cond, dict):
        return
    for key, value in cond.items():
        if key in ("$and", "$or"):
            _literals(value, out)
        elif key.startswith("$") and isinstance(value, dict):
            for path, v in value.items():
                options = v if isinstance(v, list) else [v] if key not in ("$ex", "$nex", "$mt", "$imt") else []
                for o in options:
                    out.setdefault(path, []).append(o)
                    if isinstance(o, (int, float)) and not isinstance(o, bool):
                        out[path].extend([o - 1, o + 1])  # both sides of a comparison
                out.setdefault(path, [])
        elif not key.startswith("$"):
            out.setdefault(key, []).append(value)


def _pools(contract: CompiledContract) -> dict[str, list]:
    """Per fact path (ticket.x, event.attrs.x): the values to draw, declared and compared-with, plus a miss."""
    found: dict[str, list] = {}
    for rule in contract.rules:
        _literals(rule.condition, found)
    closed: dict[str, list] = {"ticket.timezone": list(ZONES)}  # values the engine checks: no miss
    for name, attr in contract.attributes.items():
        found.setdefault(f"ticket.{name}", [])
        if attr.values or attr.type == "boolean":
            closed[f"ticket.{name}"] = list(attr.values or (True, False))
    pools = {}
    for path, values in found.items():
        if not path.startswith(("ticket.", "event.attrs.")) or path == "ticket.severity":
            continue
        unique = sorted({repr(v): v for v in values if v is not None}.items())
        pools[path] = [v for _, v in unique] + ["other"]
    for path, values in closed.items():
        if path in pools:
            pools[path] = values
    pools["ticket.severity"] = list(contract.severities)
    return pools


def _put(attrs: dict, path: str, value: Any) -> None:
    """attrs["info"]["report"] = value for path ticket.info.report (or event.attrs.info.report)."""
    parts = path.split(".")[2 if path.startswith("event.attrs.") else 1:]
    for part in parts[:-1]:
        nested = attrs.setdefault(part, {})
        if not isinstance(nested, dict):
            return
        attrs = nested
    attrs[parts[-1]] = value


def _start(contract: CompiledContract) -> int:
    begin = datetime.fromisoformat(str(contract.effective_from or "2026-03-02")).replace(tzinfo=UTC)
    return int((begin + timedelta(days=40)).timestamp())


def synthetic(contract: CompiledContract, rng: random.Random, prefix: str) -> list[dict]:
    """Tickets of `contract` whose attributes and updates are drawn from what its conditions test."""
    pools = _pools(contract)
    ticket_paths = sorted(p for p in pools if p.startswith("ticket."))
    listened = sorted({e for r in contract.rules for e in r.events if e in EXTERNAL_TYPES}) or list(EXTERNAL_TYPES)
    begin, rows = _start(contract), []
    for n in range(SYNTHETIC_TICKETS):
        ticket, t = f"{prefix}-{n}", begin + rng.randrange(30 * 86400)
        attrs: dict = {}
        for path in ticket_paths:
            if rng.random() < 0.75:
                _put(attrs, path, rng.choice(pools[path]))
        rows.append((t, {"ticket": ticket, "type": "opened", "contract": contract.id, "attrs": attrs}))
        for _ in range(rng.randint(2, 9)):
            t += rng.choice((rng.randint(60, 7200), rng.randint(7200, 2 * 86400), rng.randint(2 * 86400, 12 * 86400)))
            kind = rng.choice(listened) if rng.random() < 0.8 else rng.choice(EXTERNAL_TYPES)
            update: dict = {}
            for path in rng.sample(sorted(pools), k=min(len(pools), rng.choice((0, 1, 1, 2, 3)))):
                _put(update, path, rng.choice(pools[path]))
            if kind == "fulfilled" and contract.obligations:
                update["obligation"] = rng.choice(sorted(contract.obligations))
            event = {"ticket": ticket, "type": kind}
            if update:
                event["attrs"] = update
            rows.append((t, event))
    rows.sort(key=lambda row: row[0])
    return [{"id": f"{prefix}-e{i}", "at": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **e}
            for i, (t, e) in enumerate(rows)]


def replay(contracts: dict[str, CompiledContract], events: list[dict]) -> tuple[int, int]:
    """(applied, rejected) events; pending deadlines fired to 60 days after the last one."""
    engine, applied, rejected = Engine(contracts), 0, 0
    for event in events:
        try:
            engine.process(event)
            applied += 1
        except EventError:
            rejected += 1
    if engine.now is not None:
        engine.advance(engine.now + 60 * 86400)
    return applied, rejected


@pytest.fixture(scope="module")
def compared() -> dict[str, Any]:
    contracts = Engine.load([str(p) for p in CONTRACT_FILES]).contracts
    oracle = Oracle(contracts)
    recorder = Recorder(contracts, oracle)
    gen = load_bench_generator()
    streams = [gen.only_contracts(gen.generate(BENCH_TICKETS, BENCH_SEED), contracts)]
    rng = random.Random(SYNTHETIC_SEED)
    streams += [synthetic(contract, rng, f"S{i}") for i, contract in enumerate(contracts.values())]
    applied = rejected = 0
    for events in streams:
        a, r = replay(contracts, events)
        applied, rejected = applied + a, rejected + r
    rules = sum(len(c.rules) for c in contracts.values())
    return {"contracts": contracts, "recorder": recorder, "oracle": oracle, "applied": applied,
            "rejected": rejected, "rules": rules}


def test_durable_rules_matches_the_same_rules_as_our_engine(compared):
    recorder = compared["recorder"]
    assert recorder.mismatches[:10] == [], f"{len(recorder.mismatches)} disagreement(s)"


def test_the_comparison_is_not_vacuous(compared):
    recorder, contracts = compared["recorder"], compared["contracts"]
    print(f"\ndurable_rules oracle: {len(contracts)} contracts, {compared['rules']} rules, "
          f"{compared['applied']} events applied ({compared['rejected']} rejected), {recorder.agendas} agendas, "
          f"{recorder.pairs} rule x agenda verdicts compared ({recorder.verdicts[True]} matched), "
          f"{compared['oracle'].posts} distinct facts posted, {recorder.skipped} not comparable")
    assert compared["applied"] >= 3000
    assert recorder.verdicts[True] >= 1000 and recorder.verdicts[False] >= 10_000
    assert recorder.skipped <= recorder.pairs // 100
    assert len(recorder.matched) >= compared["rules"] * 3 // 4  # most rules matched somewhere (177 of 204 today)
    for cid, contract in contracts.items():  # every contract took part, half its rules matched at least
        fired = {rule for c, rule in recorder.matched if c == cid}
        assert len(fired) >= len(contract.rules) // 2, (cid, sorted(r.id for r in contract.rules if r.id not in fired))


@pytest.mark.parametrize(("facts", "expected"), [({"ticket.category": "defect"}, True), ({}, False)])
def test_an_empty_nin_means_present_for_both_engines(facts, expected):
    """`$nin: {f: []}` (adobe's `excluded_categories` parameter is empty) once became an empty
    `$and`, on which durable_rules 2.0.28 loops or ignores the terms before it; now `$ex`."""
    cond = {"ticket.plan": "expert", "$nin": {"ticket.category": []}}
    assert to_durable(cond) == {"$and": [{"ticket.plan": "expert"}, {"$ex": {"ticket.category": 1}}]}
    rule = Rule(id="r", clause="c", salience=0, order=0, events=("opened",), condition=cond,
                reads=(), actions=())
    oracle = Oracle({})
    oracle.names["x", "r"] = "oracle_nin"
    oracle.host.set_rulesets({"oracle_nin": {"r": {"all": [{"m": Oracle.pattern("oracle_nin", rule)}],
                                                   "run": oracle.action("oracle_nin")}}})
    fact = {"event.type": "opened", "ticket.plan": "expert", **facts}
    assert oracle.verdict("x", "r", fact) is expected

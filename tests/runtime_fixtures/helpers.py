"""Shared helpers of the runtime tests: fixture paths, event builders, independent time arithmetic."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from engine import Engine

FIXTURES = Path(__file__).resolve().parent
ACME = FIXTURES / "acme.yaml"
AGENDA = FIXTURES / "agenda.yaml"
REPO = FIXTURES.parent.parent
CONTRACTS = REPO / "contracts"
SHARED_INVENTORY = REPO.parent / "shared" / "seeds" / "INVENTORY.md"  # the seed inventory, for tests comparing with it


def load(*paths: Path, overrides: dict | None = None) -> Engine:
    """An engine over the fixture contracts (default: acme)."""
    return Engine.load([str(p) for p in (paths or (ACME,))], overrides)


def ev(eid: str, ticket: str, at: str, kind: str, contract: str | None = None, **attrs: Any) -> dict:
    """One docs/INTERFACE.md event; `opened` gets contract acme unless told otherwise."""
    event: dict[str, Any] = {"id": eid, "ticket": ticket, "at": at, "type": kind}
    if kind == "opened":
        event["contract"] = contract or "acme"
    elif contract is not None:
        event["contract"] = contract
    if attrs:
        event["attrs"] = attrs
    return event


def ts(text: str) -> int:
    """RFC 3339 -> epoch seconds with the stdlib only (independent of the engine's parser)."""
    return int(datetime.fromisoformat(text).timestamp())


def dicts(actions: list) -> list[dict]:
    return [a.to_dict() for a in actions]


def pick(actions: list, *keys: str) -> list[dict]:
    """Each action reduced to `keys` (those it has), for compact exact comparisons."""
    out = []
    for a in actions:
        d = a.to_dict() if hasattr(a, "to_dict") else a
        out.append({k: d[k] for k in keys if k in d})
    return out


def run(engine: Engine, events: list[dict]) -> list:
    out = []
    for e in events:
        out.extend(engine.process(e))
    return out


MINI = """\
id: mini
title: Mini fixture contract
version: "0.1"
effective_from: 2026-01-01
source: 902_0ddba11.txt
clauses:
  MINI-HOURS: customer-local hours Mon-Fri 09:00-17:00, default Europe/Paris
  MINI-SEV: one severity
  MINI-RT: response within 2 business hours
parties: {vendor: Vendor, customer: Customer}
calendars:
  local:
    clause: MINI-HOURS
    timezone: {attr: timezone, default: Europe/Paris}
    hours: {mon-fri: ["09:00-17:00"]}
severities:
  - {id: high, name: high, clause: MINI-SEV, definition: the only one}
targets:
  - id: response
    clock: response
    clause: MINI-RT
    calendar: local
    all: 2 hours
rules:
  - id: start
    clause: MINI-RT
    when: {event: opened}
    then:
      - start_clock: {clock: response}
  - id: stop
    clause: MINI-RT
    when:
      event: responded
      match: {state.clock.response: running}
    then:
      - stop_clock: {clock: response}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*items: Any) -> str:
    """JSON Lines text; a str item is written as-is (a bad line)."""
    import json

    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items)


ATTRS_S2 = {"plan": "gold", "region": "france", "severity": "S2", "channel": "web"}

# A log with every kind of bad line, out of order. Line numbers are 1-based.
MESSY_LOG = jsonl(
    ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),                    # 1 ok (09:00Z)
    "this is not json",                                                                  # 2 invalid JSON
    {"id": "e3", "ticket": "T1", "at": "2026-03-02T10:30:00", "type": "responded"},       # 3 no offset
    ev("e4", "T2", "2026-03-02T10:10:00+01:00", "opened", contract="nosuch", **ATTRS_S2),  # 4 unknown contract
    ev("e5", "T9", "2026-03-02T11:00:00+01:00", "responded"),                            # 5 unknown ticket
    ev("e6", "T3", "2026-03-02T09:00:00+01:00", "responded"),                            # 6 before T3's opened
    ev("e7", "T3", "2026-03-02T10:30:00+01:00", "opened", **ATTRS_S2),                    # 7 ok (09:30Z)
    ev("e1", "T1", "2026-03-02T10:00:00+01:00", "opened", **ATTRS_S2),                    # 8 duplicate of 1
    ev("e9", "T1", "2026-03-02T12:00:00+01:00", "responded"),                            # 9 ok (11:00Z)
    "",                                                                                  # 10 blank: skipped
    ev("e11", "T4", "2026-03-02T10:00:00+01:00", "opened", channel="fax"),               # 11 bad channel
)


def load_bench_generator() -> ModuleType:
    """bench/generate.py as a module (bench/ is not a package): the benchmark's event generator."""
    name = "obligo_bench_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]

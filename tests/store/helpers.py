"""Shared by the store tests: the seed contracts, generated logs, `obligo replay`'s reference output."""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path

from runtime_fixtures.helpers import load_bench_generator

from engine import Engine
from engine.language.model import CompiledContract
from engine.model.jsonio import dumps
from engine.replay.log import replay
from engine.store import Store

ROOT = Path(__file__).resolve().parents[2]
gen = load_bench_generator()


@lru_cache(maxsize=1)
def contracts() -> dict[str, CompiledContract]:
    return Engine.load([ROOT / "contracts"]).contracts


@lru_cache(maxsize=8)
def log(tickets: int, seed: int) -> tuple[str, ...]:
    return tuple(json.dumps(event) for event in gen.only_contracts(gen.generate(tickets, seed), contracts()))


def reference(lines: tuple[str, ...] | list[str]) -> list[str]:
    """`obligo replay`'s actions (JSONL lines) for a log."""
    out = io.StringIO()
    replay(Engine(contracts()), list(lines), out)
    return out.getvalue().splitlines()


def outbox(store: Store) -> list[str]:
    """The store's whole outbox, each action's JSON without `seq` (as `obligo replay` prints it: compact)."""
    got: list[str] = []
    after = 0
    while chunk := store.actions(after, 1000):
        for seq, text in chunk:
            action = json.loads(text)
            assert action.pop("seq") == seq
            got.append(dumps(action))
        after = chunk[-1][0]
    return got

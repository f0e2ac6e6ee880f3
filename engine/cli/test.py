"""`obligo test [PATH...]`: the scenario files beside the contracts (engine.scenarios.runner)."""

from __future__ import annotations

import argparse
from typing import IO


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.scenarios.runner import run_cli

    return run_cli(args, out, err)

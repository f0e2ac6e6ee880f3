"""`obligo show CONTRACT`: a contract as readable tables (engine.cli.views)."""

from __future__ import annotations

import argparse
from typing import IO


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.views import show

    return show(args.contract, out, err)

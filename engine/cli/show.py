"""`obligo show PATH... [--version V]`: contracts as readable tables, versions in force first (engine.cli.views)."""

from __future__ import annotations

import argparse
from typing import IO


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.views import show

    return show(args.contract, args.version, out, err)

"""`obligo graph CONTRACT [--format mermaid|dot|svg]`: a contract's escalation graph(s) (engine.cli.views)."""

from __future__ import annotations

import argparse
from typing import IO


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.views import graph

    return graph(args.contract, args.format, out, err)

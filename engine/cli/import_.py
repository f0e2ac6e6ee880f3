"""`obligo import --mapping NAME|FILE INPUT... [--out FILE] [--rejects FILE] [--set FIELD=VALUE]`:
a ticket-system export -> INTERFACE events (JSON Lines, time order, byte-identical every run).

A bad mapping is exit 1 with its located diagnostics (`file:line:col: code: message`); a missing
or unreadable input, or a bad --set, is a usage error (exit 2); rows that cannot be mapped go to
--rejects (file, line, column, code, reason, input) and the rest goes on (exit 0). Also the place
where `replay`, `report` and `explain` turn `--mapping` arguments into event lines (`imported`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render


def parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    """`--set FIELD=VALUE` pairs; ValueError for one without '='."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects FIELD=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def imported(mapping: str, inputs: Sequence[str], sets: Sequence[str], command: str, err: IO[str]):  # noqa: ANN201
    """(ImportStream, None) or (None, exit code) with the message already written to `err`. The rows
    are all read (the rejects and counts known); the events come once, in time order, from
    temporary files (engine.ingest.import_stream: memory does not follow the export's length)."""
    from engine.ingest import MappingError, ReaderError, import_stream

    if not inputs:
        err.write(f"obligo {command}: --mapping needs at least one INPUT file\n")
        return None, EXIT_USAGE
    try:
        return import_stream(mapping, list(inputs), parse_sets(sets)), None
    except MappingError as exc:
        render(exc.diagnostics, err)
        return None, EXIT_INVALID
    except ValueError as exc:
        err.write(f"obligo {command}: {exc}\n")
        return None, EXIT_USAGE
    except ReaderError as exc:
        err.write(f"obligo {command}: {exc.code}: {exc}\n")
        return None, EXIT_USAGE
    except OSError as exc:
        err.write(f"obligo {command}: {exc.filename}: {exc.strerror}\n")
        return None, EXIT_USAGE


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    result, code = imported(args.mapping, args.inputs, args.set, "import", err)
    if result is None:
        return code
    with ExitStack() as stack:
        stack.callback(result.close)
        try:
            sink = out if not args.out else stack.enter_context(open(args.out, "w", encoding="utf-8", newline="\n"))
            rejects = stack.enter_context(open(args.rejects, "w", encoding="utf-8", newline="\n")) if args.rejects else None
        except OSError as exc:
            err.write(f"obligo import: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        for line in result.lines():
            sink.write(line + "\n")
        if rejects is not None:
            for line in result.reject_lines():
                rejects.write(line + "\n")
    kinds = ", ".join(f"{k} {v}" for k, v in result.by_type.items())
    err.write(f"obligo import: rows {result.rows}, tickets {result.tickets}, events {result.count}, "
              f"rejects {len(result.rejects)}" + (f" ({kinds})" if kinds else "") + "\n")
    if result.rejects and not args.rejects:
        err.write("obligo import: rejected rows were not kept; pass --rejects FILE to keep them\n")
    return EXIT_OK

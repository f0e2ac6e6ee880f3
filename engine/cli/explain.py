"""`obligo explain`: why each clock of one ticket was met or breached (engine.reports.explain).

    obligo explain --contracts PATH... (EVENTS | --mapping NAME INPUT...) --ticket ID
                   [--format text|json] [--until INSTANT] [--set FIELD=VALUE]

The whole log is read, as it comes (its time bounds the deadlines), but only the ticket's events
are kept and evaluated; an import (`--mapping`) is read through `import_stream`, from disk.
Text for a person, or JSON (`TicketExplanation.to_dict`, one document). Exit 0 explained; 1 invalid
contract or mapping; 2 usage error: unreadable input, bad --until, or a ticket the log does not
name (with a did-you-mean).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, Any

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only
from engine.model.errors import ObligoError
from engine.model.events import EventError, parse_instant
from engine.replay.lines import Reject


def _events(args: argparse.Namespace, stack: ExitStack) -> Iterator[Any]:
    """The log's events as they are read, its bad lines left out (a replay rejects them); explain
    keeps only the ticket's own, so memory does not follow the log's length. Raises OSError for an
    unreadable file, ObligoError/ValueError from the importer (whose rows are all read here)."""
    from engine.replay.log import iter_log

    if args.mapping:
        from engine.ingest import import_stream

        overrides = dict(pair.partition("=")[::2] for pair in args.set)
        imported = import_stream(args.mapping, args.inputs, overrides)  # events in time order, from disk
        stack.callback(imported.close)
        return iter(imported.events)
    if args.inputs[0] == "-":
        lines = getattr(sys.stdin, "buffer", sys.stdin)
    else:
        lines = stack.enter_context(open(args.inputs[0], "rb"))
    return (item[2] for item in iter_log(lines) if not isinstance(item, Reject))


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.cache import load_contracts_cached
    from engine.reports.explain import UnknownTicket, explain
    from engine.reports.explain_text import render_text

    if not args.inputs and len(args.contracts) > 1:  # `--contracts A B EVENTS`: argparse gave EVENTS to --contracts
        args.inputs = [args.contracts.pop()]
    if not args.inputs:
        err.write("obligo explain: missing EVENTS (a JSONL file, or - for standard input), or --mapping NAME INPUT...\n")
        return EXIT_USAGE
    if not args.mapping and len(args.inputs) > 1:
        err.write("obligo explain: one EVENTS file (several inputs need --mapping NAME)\n")
        return EXIT_USAGE
    bad_set = [pair for pair in args.set if "=" not in pair]
    if bad_set or (args.set and not args.mapping):
        err.write(f"obligo explain: --set expects FIELD=VALUE with --mapping, got {(bad_set or args.set)[0]!r}\n")
        return EXIT_USAGE
    try:
        until = parse_instant(args.until, "--until") if args.until else None
    except EventError as exc:
        err.write(f"obligo explain: {exc}\n")
        return EXIT_USAGE
    contracts, diags = load_contracts_cached(args.contracts)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID
    with ExitStack() as stack:
        try:
            explanation = explain(contracts, _events(args, stack), args.ticket, until=until)
        except OSError as exc:
            err.write(f"obligo explain: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        except UnknownTicket as exc:
            err.write(f"obligo explain: {exc}\n")
            return EXIT_USAGE
        except (ObligoError, ValueError) as exc:  # the importer's located errors (bad mapping, unreadable export)
            diagnostics = getattr(exc, "diagnostics", None)
            if diagnostics:
                render(diagnostics, err)
                return EXIT_INVALID
            err.write(f"obligo explain: {exc}\n")
            return EXIT_USAGE
    if args.format == "json":
        out.write(json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render_text(explanation))
    return EXIT_OK

"""`obligo` command line: `main(argv) -> int`, the parser and the dispatch to one module per command.

Each command is `engine.cli.<command>.run(args, out, err) -> int` (validate, replay, test, show,
graph), imported only when it runs. Diagnostics are rendered here (`render`) and only here.

Exit codes: 0 success; 1 invalid contract or failing scenario (a missing contract file is a
diagnostic too); 2 usage error (bad option, unreadable events file, bad --param or --until, no
files to check); 3 `replay --strict` with rejected events; 70 internal error (a bug in obligo,
reported in one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import IO

from engine.model.diagnostics import Diagnostic

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERNAL = 0, 1, 2, 3, 70


def render(diags: Sequence[Diagnostic], stream: IO[str], fmt: str = "text") -> None:
    if fmt == "json":
        stream.write(json.dumps([d.to_dict() for d in diags], ensure_ascii=False, indent=2) + "\n")
        return
    for d in diags:
        stream.write(d.render() + "\n")


def _positive_int(text: str) -> int:
    """argparse type for --jobs: a usage error (exit 2), not a traceback, for 0, -1 or 'two'."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 process, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="obligo", description="Support contracts as testable rule documents.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="schema- and graph-check contract, rule and scenario files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too, not only on errors (docs/FORMAT.md)")
    p.set_defaults(command_module="engine.cli.validate")

    p = sub.add_parser("replay", help="replay a JSONL event log and print the actions as JSONL")
    p.add_argument("events", metavar="EVENTS", nargs="?", help="JSONL file, or - for standard input")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="contract files or directories")
    p.add_argument("--until", help="fire pending deadlines up to this RFC 3339 instant (default: the last event)")
    p.add_argument("--out", help="write actions here instead of standard output")
    p.add_argument("--rejects", help="write rejected lines here, one JSON object each with line and reason")
    p.add_argument("--trace", help="write the decision log (one line per fired rule) here")
    p.add_argument("--strict", action="store_true", help="exit 3 when any line was rejected")
    p.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                   help="evaluate on a local Dask cluster of N processes, the log partitioned by ticket; "
                        "same output (default 1; needs obligo[dask]; docs/SCALE.md)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="evaluate on this existing Dask cluster (partitions: --jobs, or one per worker thread)")
    p.add_argument("--spool", metavar="DIR",
                   help="temporary files here (default: the system's temporary directory); with --scheduler, "
                        "a directory every worker sees at the same path")
    p.add_argument("--param", action="append", default=[], metavar="CONTRACT.NAME=VALUE",
                   help="override a contract parameter (YAML value)")
    p.add_argument("--retain", metavar="DAYS", help="keep a finished ticket in memory this many days of event time, "
                   "then on disk until an event names it (default 30; 'forever' keeps every ticket in memory): "
                   "docs/INTERFACE.md \"Replay at scale\"")
    p.add_argument("--mapping", metavar="NAME|FILE", help="EVENTS are export file(s) read through this import mapping")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="with --mapping: import override, e.g. contract=ID")
    p.add_argument("more_inputs", nargs="*", metavar="INPUT", help=argparse.SUPPRESS)
    p.set_defaults(command_module="engine.cli.replay")

    p = sub.add_parser("test", help="run the scenario files that sit next to the contracts")
    p.add_argument("paths", nargs="*", metavar="PATH", default=["contracts"])
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--coverage", action="store_true", help="list, per clause of the contract, the scenarios exercising it")
    p.add_argument("--require-coverage", action="store_true", help="fail when an encoded clause has no scenario")
    p.set_defaults(command_module="engine.cli.test")

    p = sub.add_parser("show", help="print a contract as readable tables (with its versions in force)")
    p.add_argument("contract", metavar="PATH", nargs="+", help="contract files or folders")
    p.add_argument("--version", metavar="V", help="the version to show of a contract with several (default: the latest)")
    p.set_defaults(command_module="engine.cli.show")

    p = sub.add_parser("graph", help="draw a contract's escalation graph(s)")
    p.add_argument("contract", metavar="CONTRACT", help="contract file")
    p.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    p.set_defaults(command_module="engine.cli.graph")

    p = sub.add_parser("schema", help="print a JSON Schema (contract, rules, scenario, event...) for editors")
    p.add_argument("name", metavar="NAME", help="contract, rules, scenario, event, action or mapping")
    p.set_defaults(command_module="engine.cli.schema")

    p = sub.add_parser("import", help="turn a ticket-system export (CSV, XES) into JSONL events through a mapping")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="export file(s): csv, csv.gz, xes or xes.gz")
    p.add_argument("--mapping", required=True, metavar="NAME|FILE", help="a built-in mapping name or a mapping file")
    p.add_argument("--out", help="write the events here instead of standard output")
    p.add_argument("--rejects", help="write the rows that could not be mapped here (JSONL: file, line, column, code, reason)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override, e.g. contract=ID or timezone=UTC")
    p.set_defaults(command_module="engine.cli.import_")

    p = sub.add_parser("explain", help="why each clock of one ticket was met or breached")
    p.add_argument("inputs", metavar="EVENTS", nargs="*", help="JSONL file (or -); with --mapping, the export file(s)")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="contract files or directories")
    p.add_argument("--ticket", required=True, metavar="ID", help="the ticket to explain")
    p.add_argument("--mapping", metavar="NAME", help="read the inputs through this import mapping (name or file)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="import override, e.g. contract=ID")
    p.add_argument("--until", help="fire pending deadlines up to this RFC 3339 instant (default: the last event)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(command_module="engine.cli.explain")

    p = sub.add_parser("report", help="compliance summary, cycle CSV and self-contained HTML report of a log")
    p.add_argument("inputs", metavar="EVENTS", nargs="*", help="JSONL file (or -); with --mapping, the export file(s)")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="contract files or directories")
    p.add_argument("--mapping", metavar="NAME", help="read the inputs through this import mapping (name or file)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="import override, e.g. contract=ID")
    p.add_argument("--html", metavar="FILE", help="write the self-contained HTML report here")
    p.add_argument("--csv", metavar="FILE", help="write one row per ticket x clock cycle here")
    p.add_argument("--expect", metavar="ATTRIBUTE", help="compare with the outcome the export records (e.g. made_sla)")
    p.add_argument("--expect-clock", default="resolution", metavar="CLOCK", help="the clock --expect judges (resolution)")
    p.add_argument("--disagreements", metavar="FILE", help="with --expect: write the disagreeing tickets here (CSV)")
    p.add_argument("--rejects", metavar="FILE", help="write rejected rows and lines here (JSONL)")
    p.add_argument("--timelines", type=_positive_int, default=200, metavar="N",
                   help="full timelines in the HTML for the first N breached tickets (default 200)")
    p.set_defaults(command_module="engine.cli.report")

    p = sub.add_parser("diff", help="what-if on history: one log replayed under two sets of contracts, compared")
    p.add_argument("inputs", metavar="EVENTS", nargs="*", help="JSONL file (or -); with --mapping, the export file(s)")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="the contracts before (files or directories)")
    p.add_argument("--against", nargs="+", metavar="PATH",
                   help="the contracts after (same ids as a rule; default: --contracts again, with --param)")
    p.add_argument("--param", action="append", default=[], metavar="CONTRACT.NAME=VALUE",
                   help="override a contract parameter on the after side (YAML value), e.g. progr1.warn_at=[0.5]")
    p.add_argument("--until", help="fire pending deadlines up to this RFC 3339 instant and leave later events out "
                                   "(default: the last event), on both sides")
    p.add_argument("--mapping", metavar="NAME", help="read the inputs through this import mapping (name or file)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="import override, e.g. contract=ID")
    p.add_argument("--out", metavar="FILE", help="write one JSON line per ticket whose actions differ (ticket, before, after)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML page: the table and the differing tickets")
    p.add_argument("--tickets", type=_positive_int, default=100, metavar="N",
                   help="differing tickets whose actions the HTML page shows (default 100)")
    p.set_defaults(command_module="engine.cli.diff")

    p = sub.add_parser("serve", help="the live service: post events, read actions over HTTP (docs/SERVICE.md)")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="contract files or directories")
    p.add_argument("--db", required=True, metavar="FILE", help="the SQLite database (created when missing)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    p.add_argument("--token-file", metavar="FILE", help="bearer token file, mode 0600 (default: FILE.token beside --db, created)")
    p.add_argument("--tick", default="30", metavar="SECONDS|off", help="advance to the wall clock every SECONDS (default 30)")
    p.add_argument("--tick-lag", type=int, default=0, metavar="SECONDS",
                   help="the ticker advances to the wall clock minus SECONDS, so events arriving that late are not late")
    p.add_argument("--max-body", type=_positive_int, default=16 * 1024 * 1024, metavar="BYTES",
                   help="largest request body (default 16 MB; larger: 413)")
    p.set_defaults(command_module="engine.cli.serve")

    p = sub.add_parser("post", help="post a JSONL event log to obligo serve in batches (retried, idempotent)")
    p.add_argument("events", metavar="EVENTS", help="JSONL file, or - for standard input")
    p.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8787")
    p.add_argument("--token-file", required=True, metavar="FILE")
    p.add_argument("--batch", type=int, default=500, metavar="N", help="events per request (default 500)")
    p.add_argument("--max-bytes", type=int, default=8 * 1024 * 1024, metavar="BYTES", help="bytes per request (default 8 MB)")
    p.add_argument("--retries", type=int, default=20, metavar="N", help="retries of an unanswered batch (default 20)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--until", metavar="INSTANT", help="then POST /advance to this instant")
    p.add_argument("--rejects", metavar="FILE", help="write rejected lines here (JSONL: line, code, reason)")
    p.add_argument("--strict", action="store_true", help="exit 3 when any line was rejected")
    p.set_defaults(command_module="engine.cli.post")

    p = sub.add_parser("tail", help="follow the outbox of obligo serve as JSONL, resumable by seq")
    p.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8787")
    p.add_argument("--token-file", required=True, metavar="FILE")
    p.add_argument("--after", type=int, default=0, metavar="SEQ", help="start after this seq (default 0)")
    p.add_argument("--limit", type=int, default=1000, metavar="N", help="actions per request")
    p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS", help="long-poll wait per request")
    p.add_argument("--retries", type=int, default=20, metavar="N")
    p.add_argument("--once", action="store_true", help="stop at the outbox head instead of following")
    p.set_defaults(command_module="engine.cli.tail")
    return parser


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        return import_module(args.command_module).run(args, out, err)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours, not the user's: one line, no traceback
        err.write(f"obligo: internal error: {type(exc).__name__}: {exc} (please report it with the command you ran)\n")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

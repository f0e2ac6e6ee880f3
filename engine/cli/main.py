"""`obligo` command line: `main(argv) -> int` over one testable function per subcommand.

Diagnostics are rendered here and only here. Exit codes: 0 success; 1 invalid contract or failing
scenario (a missing contract file is a diagnostic too); 2 usage error (bad option, unreadable
events file, bad --param or --until); 3 `replay --strict` with rejected events;
70 internal error (a bug in obligo, reported in one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from typing import IO, Any

from engine.model.diagnostics import Diagnostic, errors_only
from engine.model.events import EventError, parse_instant

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERNAL = 0, 1, 2, 3, 70


def render(diags: Sequence[Diagnostic], stream: IO[str], fmt: str = "text") -> None:
    if fmt == "json":
        stream.write(json.dumps([d.to_dict() for d in diags], ensure_ascii=False, indent=2) + "\n")
        return
    for d in diags:
        stream.write(d.render() + "\n")


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.loader import check_files, validated_files

    n = len(validated_files(args.paths))
    if n == 0:
        err.write(f"obligo validate: no contract files found in {', '.join(args.paths)} (expected *.yaml or *.yml "
                  "contract, rule or scenario files)\n")
        return EXIT_USAGE
    diags = check_files(args.paths)
    render(diags, out if args.format == "json" else err, args.format)
    errors = errors_only(diags)
    if args.format == "text":
        if errors:
            bad = len({d.file for d in errors})
            err.write(f"{len(errors)} error(s) in {bad} of {n} file(s)\n")
        else:
            out.write(f"ok: {n} file(s) valid\n")
    return EXIT_INVALID if errors else EXIT_OK


def _positive_int(text: str) -> int:
    """argparse type for --jobs: a usage error (exit 2), not a traceback, for 0, -1 or 'two'."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 process, got {value}")
    return value


def _overrides(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`--param CONTRACT.NAME=VALUE` pairs; each VALUE read as one YAML value under the contract
    files' limits (engine.load.load_value: no alias bomb, no RecursionError from 600 `[`)."""
    from engine.language.load import load_value

    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        contract, dot, name = key.partition(".")
        if not sep or not dot or not contract or not name:
            raise ValueError(f"--param expects CONTRACT.NAME=VALUE, got {pair!r}")
        parsed, problems = load_value(value, f"--param {key}")
        if problems:
            raise ValueError(f"--param {key}: the value is not a valid YAML value ({problems[0].message})")
        out.setdefault(contract, {})[name] = parsed
    return out


def cmd_replay(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.loader import load_contracts
    from engine.replay.collector import collector_paused
    from engine.replay.log import replay
    from engine.runtime.engine import Engine
    from engine.runtime.trace import JsonlTracer

    try:
        overrides = _overrides(args.param)
        until = parse_instant(args.until, "--until") if args.until else None
    except (ValueError, EventError) as exc:
        err.write(f"obligo replay: {exc}\n")
        return EXIT_USAGE
    if args.events is None:  # `--contracts A B EVENTS`: argparse gave EVENTS to --contracts
        if len(args.contracts) < 2:
            err.write("obligo replay: missing EVENTS (a JSONL file, or - for standard input)\n")
            return EXIT_USAGE
        args.events = args.contracts.pop()
    contracts, diags = load_contracts(args.contracts, overrides)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID
    unknown = sorted(set(overrides) - set(contracts))
    if unknown:
        from engine.model.diagnostics import did_you_mean

        err.write(f"obligo replay: --param names contract '{unknown[0]}', which is not loaded"
                  f"{did_you_mean(unknown[0], contracts)}\n")
        return EXIT_USAGE
    with ExitStack() as stack:
        try:
            # bytes, decoded line by line in read_log: a line that is not UTF-8 is a reject, not the whole log
            source = _stdin_bytes() if args.events == "-" else stack.enter_context(open(args.events, "rb"))
            sink = out if not args.out else stack.enter_context(open(args.out, "w", encoding="utf-8"))
            rejects = stack.enter_context(open(args.rejects, "w", encoding="utf-8")) if args.rejects else None
            trace = stack.enter_context(open(args.trace, "w", encoding="utf-8")) if args.trace else None
        except OSError as exc:
            err.write(f"obligo replay: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        engine = Engine(contracts, JsonlTracer(trace) if trace else None)
        with collector_paused():  # a batch holding the whole log: see engine.collector
            stats = replay(engine, source, sink, rejects, until, args.jobs)
    for problem in engine.problems:
        err.write(f"obligo replay: {problem}\n")
    if args.out:  # the terminal is free: a table a person reads (engine.cli.summary)
        from engine.cli.summary import summary_table

        err.write(summary_table(stats, args.out, args.rejects))
        return EXIT_REJECTS if args.strict and stats.rejects else EXIT_OK
    err.write(f"obligo replay: {stats.summary()}\n")
    if stats.rejects and not args.rejects:
        err.write("obligo replay: rejected lines were not kept; pass --rejects FILE to keep them\n")
    return EXIT_REJECTS if args.strict and stats.rejects else EXIT_OK


def _stdin_bytes() -> IO[bytes] | IO[str]:
    """Standard input as bytes; a replaced sys.stdin without a byte buffer (a test's StringIO) as it is."""
    return getattr(sys.stdin, "buffer", sys.stdin)


def cmd_test(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.scenarios.runner import run_cli

    return run_cli(args, out, err)


def cmd_show(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.views import show

    return show(args.contract, out, err)


def cmd_graph(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.views import graph

    return graph(args.contract, args.format, out, err)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="obligo", description="Support contracts as testable rule documents.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="schema- and graph-check contract, rule and scenario files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("replay", help="replay a JSONL event log and print the actions as JSONL")
    p.add_argument("events", metavar="EVENTS", nargs="?", help="JSONL file, or - for standard input")
    p.add_argument("--contracts", nargs="+", required=True, metavar="PATH", help="contract files or directories")
    p.add_argument("--until", help="fire pending deadlines up to this RFC 3339 instant (default: the last event)")
    p.add_argument("--out", help="write actions here instead of standard output")
    p.add_argument("--rejects", help="write rejected lines here, one JSON object each with line and reason")
    p.add_argument("--trace", help="write the decision log (one line per fired rule) here")
    p.add_argument("--strict", action="store_true", help="exit 3 when any line was rejected")
    p.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                   help="evaluate in N processes, the log partitioned by ticket; same output (default 1)")
    p.add_argument("--param", action="append", default=[], metavar="CONTRACT.NAME=VALUE",
                   help="override a contract parameter (YAML value)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("test", help="run the scenario files that sit next to the contracts")
    p.add_argument("paths", nargs="*", metavar="PATH", default=["contracts"])
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--coverage", action="store_true", help="list, per clause of the contract, the scenarios exercising it")
    p.add_argument("--require-coverage", action="store_true", help="fail when an encoded clause has no scenario")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("show", help="print a contract as readable tables")
    p.add_argument("contract", metavar="CONTRACT", help="contract file")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("graph", help="draw a contract's escalation graph(s)")
    p.add_argument("contract", metavar="CONTRACT", help="contract file")
    p.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    p.set_defaults(func=cmd_graph)
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
        return args.func(args, out, err)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours, not the user's: one line, no traceback
        err.write(f"obligo: internal error: {type(exc).__name__}: {exc} (please report it with the command you ran)\n")
        return EXIT_INTERNAL



if __name__ == "__main__":
    sys.exit(main())

"""`obligo replay --contracts PATH... EVENTS`: a JSONL log through the engine, actions out as JSONL.

Usage problems (bad --param, --until, unreadable files) are exit 2 with one line; an invalid
contract is exit 1 with its diagnostics; otherwise the stream is processed (exit 0, or 3 with
`--strict` and rejects). Actions go to stdout, or to `--out FILE`, in which case stderr gets the
summary table of engine.cli.summary instead of the one-line counts.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from typing import IO, Any

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_REJECTS, EXIT_USAGE, render
from engine.cli.params import parse_overrides, unknown_contract
from engine.model.diagnostics import errors_only
from engine.model.events import EventError, parse_instant


def _retention(days: str | None) -> int | None:
    """`--retain DAYS` as seconds of event time (None: keep every ticket); DEFAULT_RETENTION if not given."""
    from engine.runtime.engine import DAY, DEFAULT_RETENTION

    if days is None:
        return DEFAULT_RETENTION
    if days.strip().lower() == "forever":
        return None
    try:
        value = float(days)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 36_500:  # NaN fails too
        raise ValueError(f"--retain expects a number of days from 0 to 36500 or 'forever', got {days!r}")
    return round(value * DAY)


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.cache import load_contracts_cached
    from engine.replay.collector import collector_paused
    from engine.replay.log import replay
    from engine.runtime.engine import Engine
    from engine.runtime.spill import SpillError
    from engine.runtime.trace import JsonlTracer

    cluster_errors: tuple[type[Exception], ...] = ()  # none unless Dask is asked for
    if args.jobs > 1 or args.scheduler:
        from engine.replay.distributed import ClusterError, dask_missing

        if dask_missing():
            flag = f"--jobs {args.jobs}" if args.jobs > 1 else "--scheduler"
            err.write(f"obligo replay: {flag} needs the optional Dask extra: pip install 'obligo[dask]'\n")
            return EXIT_USAGE
        cluster_errors = (ClusterError,)
    try:
        overrides = parse_overrides(args.param)
        until = parse_instant(args.until, "--until") if args.until else None
        retention = _retention(getattr(args, "retain", None))
    except (ValueError, EventError) as exc:
        err.write(f"obligo replay: {exc}\n")
        return EXIT_USAGE
    if args.spool is not None and not os.path.isdir(args.spool):
        err.write(f"obligo replay: --spool {args.spool}: no such directory\n")
        return EXIT_USAGE
    if args.events is None:  # `--contracts A B EVENTS`: argparse gave EVENTS to --contracts
        if len(args.contracts) < 2:
            err.write("obligo replay: missing EVENTS (a JSONL file, or - for standard input)\n")
            return EXIT_USAGE
        args.events = args.contracts.pop()
    more = list(getattr(args, "more_inputs", None) or [])
    mapping = getattr(args, "mapping", None)
    if more and not mapping:
        err.write(f"obligo replay: one EVENTS log expected, got {len(more) + 1} (several inputs need --mapping)\n")
        return EXIT_USAGE
    imported = None
    if mapping:  # EVENTS are export files: the importer gives the event lines (engine.cli.import_)
        from engine.cli.import_ import imported as import_inputs

        imported, code = import_inputs(mapping, [args.events, *more], args.set, "replay", err)
        if imported is None:
            return code
    contracts, diags = load_contracts_cached(args.contracts, overrides)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID
    unknown = unknown_contract(overrides, contracts)
    if unknown is not None:
        err.write(f"obligo replay: {unknown}\n")
        return EXIT_USAGE
    with ExitStack() as stack:
        try:
            # bytes, decoded line by line in read_log: a line that is not UTF-8 is a reject, not the whole log
            source = (imported.lines() if imported is not None
                      else _stdin_bytes() if args.events == "-" else stack.enter_context(open(args.events, "rb")))
            sink = out if not args.out else stack.enter_context(open(args.out, "w", encoding="utf-8"))
            rejects = stack.enter_context(open(args.rejects, "w", encoding="utf-8")) if args.rejects else None
            trace = stack.enter_context(open(args.trace, "w", encoding="utf-8")) if args.trace else None
        except OSError as exc:
            err.write(f"obligo replay: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        if imported is None and args.events != "-":  # a bar on a terminal's stderr, nothing elsewhere
            source = _with_progress(stack, source, err, args.events)
        if imported is not None and rejects is not None:  # the rows the mapping refused, then the events the engine refused
            for line in imported.reject_lines():
                rejects.write(line + "\n")
        engine = Engine(contracts, JsonlTracer(trace) if trace else None, retention, spill_dir=args.spool)
        stack.callback(engine.close)  # its file of evicted tickets
        try:
            with collector_paused():  # a batch holding the whole log: see engine.collector
                stats = replay(engine, source, sink, rejects, until, args.jobs, spool_dir=args.spool,
                               scheduler=args.scheduler, ordered=True if imported is not None else None)
        except cluster_errors as exc:
            err.write(f"obligo replay: {exc}\n")
            return EXIT_USAGE
        except SpillError as exc:  # the temporary directory is full or gone: say what to do
            err.write(f"obligo replay: {exc}; free space, pass --spool DIR elsewhere, or --retain forever to keep "
                      "every ticket in memory\n")
            return EXIT_USAGE
    if imported is not None:  # the summary counts the rows the mapping refused among the rejects
        stats.rejects += len(imported.rejects)
        for reject in imported.rejects:
            stats.by_reject[reject.code] = stats.by_reject.get(reject.code, 0) + 1
        err.write(f"obligo replay: imported rows {imported.rows}, tickets {imported.tickets}, events {imported.count}, "
                  f"rejects {len(imported.rejects)} (rows the mapping could not map"
                  f"{'; in ' + args.rejects if args.rejects else ''})\n")
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


def _with_progress(stack: ExitStack, source: Any, err: IO[str], path: str) -> Any:
    """`source` reporting to a progress bar on `err` when it is a terminal (percent of both passes: see
    engine.cli.progress_file), else `source` itself."""
    import os

    from engine.cli.progress_file import ProgressFile
    from engine.reports.progress import progress_bar

    size = os.path.getsize(path)
    update = stack.enter_context(progress_bar(err, 2 * size, "reading", "obligo replay", count=False))
    return source if update is None else ProgressFile(source, update)


def _stdin_bytes() -> IO[bytes] | IO[str]:
    """Standard input as bytes; a replaced sys.stdin without a byte buffer (a test's StringIO) as it is."""
    return getattr(sys.stdin, "buffer", sys.stdin)

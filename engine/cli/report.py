"""`obligo report`: compliance figures, the cycle CSV and a self-contained HTML report from one log.

    obligo report --contracts PATH... (EVENTS | --mapping NAME INPUT...) [--html FILE] [--csv FILE]
                  [--expect ATTRIBUTE [--expect-clock CLOCK] [--disagreements FILE]] [--rejects FILE]

The engine runs over the events (a JSONL log, or an export through an import mapping) and the
report keeps what it needs (engine.reports.audit). stdout gets the summary table (contract x clock x
severity), the --expect confusion matrix, the provenance (sha256 of every contract file and input,
obligo's version) and the files written; stderr a progress bar when it is a terminal. Same inputs,
same bytes, in every output. Exit 0 when the log was processed (rejects do not change it), 1 for an
invalid contract or mapping, 2 for a usage error (missing or unreadable file).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from contextlib import ExitStack
from typing import IO, Any

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only
from engine.model.paths import is_file


def _read_events(args: argparse.Namespace, err: IO[str]) -> tuple[Any, list[Any], list[str], dict[str, str], str | None]:
    """(time-sorted events, log rejects, import reject lines, input digests, mapping shown) or raises OSError."""
    from engine.replay.log import read_events, read_log

    if args.mapping:
        from engine.ingest import import_events

        overrides = dict(pair.partition("=")[::2] for pair in args.set)
        result = import_events(args.mapping, args.inputs, overrides)
        events, rejects = read_events(result.events)
        return events, rejects, list(result.reject_lines()), {}, _mapping_shown(args.mapping)
    path = args.inputs[0]
    if path == "-":
        data = getattr(sys.stdin, "buffer", sys.stdin).read()
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        events, rejects = read_log(data.splitlines())
        return events, rejects, [], {"-": hashlib.sha256(data).hexdigest()}, None
    with open(path, "rb") as handle:
        events, rejects = read_log(handle)
    return events, rejects, [], {}, None


def _mapping_shown(name: str) -> str:
    """The mapping as the report states it: its name or path and the sha256 of its file."""
    from pathlib import Path

    from engine.ingest.registry import builtin_names, builtin_path
    from engine.reports.provenance import sha256_file

    path = builtin_path(name) if name in builtin_names() and not is_file(name) else Path(name)
    kind = "built-in " if name in builtin_names() and not is_file(name) else ""
    return f"{kind}{name} sha256 {sha256_file(path)}"


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.loader import contract_files, load_contracts

    if not args.inputs and len(args.contracts) > 1:  # `--contracts A B EVENTS`: argparse gave EVENTS to --contracts
        args.inputs = [args.contracts.pop()]
    if not args.inputs:
        err.write("obligo report: missing EVENTS (a JSONL file, or - for standard input), or --mapping NAME INPUT...\n")
        return EXIT_USAGE
    if not args.mapping and len(args.inputs) > 1:
        err.write("obligo report: one EVENTS file (several inputs need --mapping NAME)\n")
        return EXIT_USAGE
    bad_set = [pair for pair in args.set if "=" not in pair]
    if bad_set:
        err.write(f"obligo report: --set expects FIELD=VALUE, got {bad_set[0]!r}\n")
        return EXIT_USAGE
    if args.disagreements and not args.expect:
        err.write("obligo report: --disagreements needs --expect ATTRIBUTE\n")
        return EXIT_USAGE
    contracts, diags = load_contracts(args.contracts)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID
    try:
        events, log_rejects, import_rejects, digests, mapping = _read_events(args, err)
    except OSError as exc:
        err.write(f"obligo report: {exc.filename}: {exc.strerror}\n")
        return EXIT_USAGE
    except Exception as exc:  # the importer's located errors (bad mapping, unreadable export)
        from engine.model.errors import ObligoError

        if not isinstance(exc, ObligoError | ValueError):
            raise
        diagnostics = getattr(exc, "diagnostics", None)
        if diagnostics:
            render(diagnostics, err)
        else:
            err.write(f"obligo report: {exc}\n")
        return EXIT_INVALID if diagnostics else EXIT_USAGE
    return _report(args, contracts, contract_files(args.contracts), events, log_rejects, import_rejects, digests,
                   mapping, out, err)


def _report(args: argparse.Namespace, contracts: Any, paths: Any, events: Any, log_rejects: Any,
            import_rejects: list[str], digests: dict[str, str], mapping: str | None, out: IO[str], err: IO[str]) -> int:
    from engine.language.versions import version_rows
    from engine.reports import html
    from engine.reports.audit import run_audit, timelines
    from engine.reports.csvout import CycleCsv
    from engine.reports.expect import compare, matrix_text, write_disagreements
    from engine.reports.explain import explain_tickets
    from engine.reports.progress import progress_bar
    from engine.reports.provenance import provenance
    from engine.reports.summary import COMPLIANCE_DEFINITION, text_table

    try:
        prov = provenance(paths, args.inputs, mapping, digests)
    except OSError as exc:
        err.write(f"obligo report: {exc.filename}: {exc.strerror}\n")
        return EXIT_USAGE
    written: list[tuple[str, str]] = []
    with ExitStack() as stack:
        try:
            csv_file = stack.enter_context(open(args.csv, "w", encoding="utf-8", newline="")) if args.csv else None
            rejects_file = stack.enter_context(open(args.rejects, "w", encoding="utf-8")) if args.rejects else None
            html_file = stack.enter_context(open(args.html, "w", encoding="utf-8")) if args.html else None
            disagree_file = (stack.enter_context(open(args.disagreements, "w", encoding="utf-8", newline=""))
                             if args.disagreements else None)
        except OSError as exc:
            err.write(f"obligo report: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        writer = CycleCsv(csv_file) if csv_file else None
        with progress_bar(err, len(events)) as update:
            audit = run_audit(contracts, events, log_rejects, writer.write if writer else None, update,
                              args.expect, args.expect_clock)
        comparison = compare(audit, args.expect, args.expect_clock) if args.expect else None
        if rejects_file is not None:
            for line in import_rejects:
                rejects_file.write(line + "\n")
            for reject in audit.rejects:
                rejects_file.write(reject.to_json() + "\n")
        if writer is not None:
            written.append((f"cycles (CSV, {writer.rows} rows)", args.csv))
        if disagree_file is not None and comparison is not None:
            write_disagreements(comparison, audit, disagree_file)
            written.append((f"disagreements (CSV, {len(comparison.disagreements)} rows)", args.disagreements))
        if html_file is not None:
            chosen = html.choose_timelines(audit, args.timelines)
            entries, cycles = timelines(contracts, events, chosen, audit.end, audit.skipped_lines)
            explained = explain_tickets(contracts, [e for _, _, e, _ in events], chosen, until=audit.end)
            page = html.render(audit, prov, html.build_timelines(entries, cycles, explained), comparison, written,
                               args.timelines, version_rows(contracts))
            html_file.write(page)
            written.append(("report (HTML)", args.html))
    if args.rejects:
        written.append((f"rejects (JSONL, {len(import_rejects) + len(audit.rejects)} lines)", args.rejects))
    c = audit.counts
    out.write(f"obligo report: events {c.events}, actions {c.actions}, breaches {c.breaches}, "
              f"rejects {c.rejects + len(import_rejects)}, duplicates {c.duplicates}\n\n")
    out.write(text_table(audit.summary))
    out.write(f"({COMPLIANCE_DEFINITION})\n")
    if comparison is not None:
        out.write("\n" + matrix_text(comparison))
    out.write("\n" + "\n".join(prov.lines()) + "\n")
    for problem in audit.problems:
        err.write(f"obligo report: {problem}\n")
    if written:
        out.write("\n" + "".join(f"{what}: {path}\n" for what, path in written))
    if (c.rejects or import_rejects) and not args.rejects:
        err.write("obligo report: rejected lines were not kept; pass --rejects FILE to keep them\n")
    return EXIT_OK


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
from contextlib import ExitStack
from typing import IO, Any

from engine.cli.log_input import LogInput, read_input
from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.cache import load_contracts_cached
    from engine.language.files import contract_files

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
    contracts, diags = load_contracts_cached(args.contracts)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID
    with ExitStack() as stack:
        try:
            log = read_input(args, err, stack, "report")
        except OSError as exc:
            err.write(f"obligo report: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        if isinstance(log, int):
            return log
        return _report(args, contracts, contract_files(args.contracts), log, out, err)


def _report(args: argparse.Namespace, contracts: Any, paths: Any, log: LogInput, out: IO[str], err: IO[str]) -> int:
    from engine.language.versions import version_rows
    from engine.reports import html
    from engine.reports.audit import run_audit, timelines
    from engine.reports.csvout import CycleCsv
    from engine.reports.expect import compare, matrix_text, write_disagreements
    from engine.reports.explain import explain_tickets
    from engine.reports.progress import progress_bar
    from engine.reports.provenance import provenance
    from engine.reports.summary import COMPLIANCE_DEFINITION, text_table
    from engine.runtime.engine import DEFAULT_RETENTION
    from engine.runtime.spill import SpillError

    import_rejects = log.import_rejects
    try:
        prov = provenance(paths, args.inputs, log.mapping, log.digests)
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
        try:
            with log.reading, progress_bar(err, log.count or 0) as update:  # one bar: bytes read, or events
                audit = run_audit(contracts, log.entries, log.rejects, writer.write if writer else None, update,
                                  args.expect, args.expect_clock, retention=DEFAULT_RETENTION,
                                  keep_breached=bool(args.html or args.disagreements))  # their only readers
        except SpillError as exc:  # the temporary directory is full or gone
            err.write(f"obligo report: {exc}; free space, or set TMPDIR to a directory with room\n")
            return EXIT_USAGE
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
            theirs = log.of_tickets(set(chosen))
            entries, cycles = timelines(contracts, theirs, chosen, audit.end, audit.skipped_lines)
            explained = explain_tickets(contracts, [e for _, _, e, _ in theirs], chosen, until=audit.end)
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


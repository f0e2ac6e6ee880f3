"""`obligo diff`: what-if on history, one log replayed under two sets of contracts (engine.reports.diff).

    obligo diff --contracts A... (--against B... | --param CONTRACT.NAME=VALUE...)
                (EVENTS | --mapping NAME INPUT...) [--until INSTANT] [--out FILE] [--html FILE [--tickets N]]

stdout: the counts, then per contract x clock x severity the clocks, met, breached and compliance %
before (--contracts) and after (--against, else --contracts again; either way with the `--param`
overrides), and the change in points. `--until`: both sides fire their deadlines up to it and leave
the later events out, as `obligo replay --until` does. `--out`: one JSON line per
ticket whose actions differ, `{"ticket", "before", "after"}`, the actions exactly as `obligo replay`
writes them, tickets in natural id order. `--html`: a self-contained page in the style of the
auditor report. Same inputs, same bytes. Exit 0 processed, 1 invalid contract or mapping, 2 usage.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import IO, Any

from engine.cli.log_input import LogInput, read_input
from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only
from engine.model.paths import is_dir


def _looks_like_contracts(path: str) -> bool:
    return is_dir(path) or path.endswith((".yaml", ".yml"))


def _split_inputs(args: argparse.Namespace) -> None:
    """`--against B... EVENTS`: argparse gave the inputs to the last option list (--against, or
    --contracts when it comes last); take back its trailing paths that are not contracts (a directory
    or a .yaml/.yml file): one, or every one with --mapping; at least one contract path stays."""
    for paths in (args.against or [], args.contracts):
        while not args.inputs or args.mapping:
            if len(paths) < 2 or _looks_like_contracts(paths[-1]):
                break
            args.inputs.insert(0, paths.pop())
        if args.inputs:
            return


def after_label(against: list[str] | None, contracts: list[str], params: list[str]) -> list[str]:
    """How the after side is named (the summary, the HTML page): its paths, then its overrides."""
    return [*(against or contracts), *(f"--param {pair}" for pair in params)]


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.params import parse_overrides, unknown_contract
    from engine.language.cache import load_contracts_cached
    from engine.language.files import contract_files
    from engine.model.events import EventError, parse_instant

    _split_inputs(args)
    if not args.against and not args.param:
        err.write("obligo diff: nothing to compare: give the contracts after with --against PATH..., "
                  "or a change with --param CONTRACT.NAME=VALUE\n")
        return EXIT_USAGE
    try:
        overrides = parse_overrides(args.param)
        until = parse_instant(args.until, "--until") if args.until else None
    except (ValueError, EventError) as exc:
        err.write(f"obligo diff: {exc}\n")
        return EXIT_USAGE
    if not args.inputs:
        err.write("obligo diff: missing EVENTS (a JSONL file, or - for standard input), or --mapping NAME INPUT...\n")
        return EXIT_USAGE
    if not args.mapping and len(args.inputs) > 1:
        err.write("obligo diff: one EVENTS file (several inputs need --mapping NAME)\n")
        return EXIT_USAGE
    bad_set = [pair for pair in args.set if "=" not in pair]
    if bad_set:
        err.write(f"obligo diff: --set expects FIELD=VALUE, got {bad_set[0]!r}\n")
        return EXIT_USAGE
    before, diags = load_contracts_cached(args.contracts)
    after, more = load_contracts_cached(args.against or args.contracts, overrides)
    if args.against is None:  # the same files twice: their own findings once, the overrides' too
        seen = set(diags)
        more = [d for d in more if d not in seen]
    render([*diags, *more], err)
    if errors_only(diags) or errors_only(more):
        return EXIT_INVALID
    unknown = unknown_contract(overrides, after)
    if unknown is not None:
        err.write(f"obligo diff: {unknown}\n")
        return EXIT_USAGE
    with ExitStack() as stack:
        try:
            log = read_input(args, err, stack, "diff")
        except OSError as exc:
            err.write(f"obligo diff: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        if isinstance(log, int):
            return log
        prov = None
        if args.html:
            from engine.reports.provenance import provenance

            try:
                prov = (provenance(contract_files(args.contracts), args.inputs, log.mapping, log.digests),
                        provenance(contract_files(args.against or args.contracts), []))
            except OSError as exc:
                err.write(f"obligo diff: {exc.filename}: {exc.strerror}\n")
                return EXIT_USAGE
        return _diff(args, before, after, log, prov, until, out, err)


def _diff(args: argparse.Namespace, before: Any, after: Any, log: LogInput, prov: Any, until: int | None,
          out: IO[str], err: IO[str]) -> int:
    from engine.reports import diff as whatif
    from engine.reports.progress import progress_bar
    from engine.reports.summary import COMPLIANCE_DEFINITION
    from engine.runtime.engine import DEFAULT_RETENTION
    from engine.runtime.spill import SpillError

    try:
        with log.reading, progress_bar(err, log.count or 0, command="obligo diff") as update:
            result = whatif.run_diff(before, after, log.entries, log.rejects, retention=DEFAULT_RETENTION,
                                     progress=update, until=until)
    except SpillError as exc:  # the temporary directory is full or gone
        err.write(f"obligo diff: {exc}; free space, or set TMPDIR to a directory with room\n")
        return EXIT_USAGE
    table = whatif.rows(result)
    after_paths = after_label(args.against, args.contracts, args.param)
    written: list[tuple[str, str]] = []
    with ExitStack() as stack:
        try:
            out_file = stack.enter_context(open(args.out, "w", encoding="utf-8")) if args.out else None
            html_file = stack.enter_context(open(args.html, "w", encoding="utf-8")) if args.html else None
        except OSError as exc:
            err.write(f"obligo diff: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        shown: list[tuple[str, list[str], list[str]]] = []
        if out_file is not None or html_file is not None:
            limit = None if out_file is not None else args.tickets
            for ticket, lines_a, lines_b in whatif.differing_actions(result, before, after, log.of_tickets, limit):
                if out_file is not None:
                    out_file.write(whatif.out_line(ticket, lines_a, lines_b) + "\n")
                if html_file is not None and len(shown) < args.tickets:
                    shown.append((ticket, lines_a, lines_b))
        if out_file is not None:
            written.append((f"differing tickets (JSONL, {len(result.differing)} lines)", args.out))
        if html_file is not None:
            html_file.write(whatif.render_html(result, table, shown, args.contracts, after_paths, args.tickets, prov,
                                                 args.param, args.until))
            written.append(("what-if (HTML)", args.html))
    a, b = result.before.counts, result.after.counts
    refused = len(log.import_rejects)
    later = f" ({result.after_until} after --until {args.until}, left out)" if until is not None else ""
    out.write(f"obligo diff: events {result.events}{later}, tickets {result.tickets}, tickets whose actions differ "
              f"{len(result.differing)}" + (f", rows the mapping could not map {refused}" if refused else "") + "\n")
    out.write(f"  before ({' '.join(args.contracts)}): actions {a.actions}, breaches {a.breaches}, "
              f"rejects {a.rejects}, duplicates {a.duplicates}\n")
    out.write(f"  after  ({' '.join(after_paths)}): actions {b.actions}, breaches {b.breaches}, "
              f"rejects {b.rejects}, duplicates {b.duplicates}\n\n")
    out.write(whatif.text_table(table))
    out.write(f"({COMPLIANCE_DEFINITION}; change: after minus before, in points)\n")
    for side, found in (("before", result.before.problems), ("after", result.after.problems)):
        for problem in found:
            err.write(f"obligo diff: {side}: {problem}\n")
    if written:
        out.write("\n" + "".join(f"{what}: {path}\n" for what, path in written))
    return EXIT_OK

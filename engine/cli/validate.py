"""`obligo validate PATH...`: schema, semantic and static checks of contract, rule and scenario files.

Every problem of every file in one run, located; a summary line in text mode. Exit 0 when all
files are valid, 1 when any has an error (or, with `--strict`, a warning: the static checks of
docs/FORMAT.md "Static checks"), 2 when the paths hold no file to check. Notes (e.g. a target
space too large to enumerate) never fail.
"""

from __future__ import annotations

import argparse
from typing import IO

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.loader import check_files, validated_files

    n = len(validated_files(args.paths))
    if n == 0:
        err.write(f"obligo validate: no contract files found in {', '.join(args.paths)} (expected *.yaml or *.yml "
                  "contract, rule or scenario files)\n")
        return EXIT_USAGE
    diags = check_files(args.paths)
    render(diags, out if args.format == "json" else err, args.format)
    errors = errors_only(diags)
    warnings = [d for d in diags if d.severity == "warning"]
    strict = getattr(args, "strict", False)
    if args.format == "text":
        if errors:
            bad = len({d.file for d in errors})
            err.write(f"{len(errors)} error(s) in {bad} of {n} file(s)\n")
        elif warnings and strict:
            bad = len({d.file for d in warnings})
            err.write(f"{len(warnings)} warning(s) in {bad} of {n} file(s) (--strict)\n")
        else:
            out.write(f"ok: {n} file(s) valid\n")
    return EXIT_INVALID if errors or (strict and warnings) else EXIT_OK

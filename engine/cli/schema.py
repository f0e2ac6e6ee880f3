"""`obligo schema NAME`: print one JSON Schema as a single self-contained document.

For editors: `obligo schema contract > contract.schema.json`, then the header line
`# yaml-language-server: $schema=./contract.schema.json` in a contract file makes the YAML
language server validate and complete it as one types (docs/FORMAT.md "Editors"). The packaged
schemas reference each other; an editor given one file cannot follow those references, hence
the bundling (engine.language.schema.bundled). Exit 0, or 2 for an unknown name.
"""

from __future__ import annotations

import argparse
import json
from typing import IO

from engine.cli.main import EXIT_OK, EXIT_USAGE


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.schema import BUNDLE_KINDS, bundled
    from engine.model.diagnostics import did_you_mean

    if args.name not in BUNDLE_KINDS:
        hint = did_you_mean(args.name, BUNDLE_KINDS)
        close = hint if hint.startswith("; did you mean") else ""
        err.write(f"obligo schema: unknown schema '{args.name}'{close}; expected one of: {', '.join(BUNDLE_KINDS)}\n")
        return EXIT_USAGE
    out.write(json.dumps(bundled(args.name), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK

"""`obligo tail --url URL --token-file F [--after SEQ]`: follow the outbox of `obligo serve` as JSON Lines.

Each line is an action plus its `seq`; restart with `--after` the last `seq` you kept to resume
exactly there (nothing lost, nothing repeated). Long polls `/actions` (`--wait` seconds each);
connection problems are retried. `--once` stops when the outbox is read to its head. Exit 0, 1 when
the server refuses (bad token) or retries are exhausted, 2 usage.
"""

from __future__ import annotations

import argparse
import json
from typing import IO

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.client import ClientError, client, token_from, with_retries

    if args.after < 0 or args.limit < 1 or args.wait < 0:
        err.write("obligo tail: --after and --wait must be 0 or more, --limit at least 1\n")
        return EXIT_USAGE
    try:
        token = token_from(args.token_file)
    except ClientError as exc:
        err.write(f"obligo tail: {exc}\n")
        return EXIT_USAGE
    after = args.after
    wait = 0 if args.once else args.wait
    with client(args.url, token, timeout=wait + 30) as http:
        try:
            while True:
                params: dict[str, str | int | float] = {"after": after, "limit": args.limit, "wait": wait}
                response = with_retries("obligo tail", lambda params=params: http.get("/actions", params=params),  # type: ignore[misc]
                                        args.retries, err)
                lines = [line for line in response.text.split("\n") if line]
                for line in lines:
                    out.write(line + "\n")
                out.flush()
                if lines:
                    after = int(json.loads(lines[-1])["seq"])
                elif args.once:
                    return EXIT_OK
        except ClientError as exc:
            err.write(f"{exc}\n")
            err.write(f"obligo tail: resume with --after {after}\n")
            return EXIT_INVALID

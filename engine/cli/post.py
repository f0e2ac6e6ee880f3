"""`obligo post --url URL --token-file F EVENTS|-`: post a JSONL log to `obligo serve` in batches.

A batch whose answer did not arrive (connection lost, timeout, 502/503/504) is posted again, as it
is: event ids already applied count as duplicates and change nothing, so a retry is always safe.
Rejected lines are reported with their line number in the input (stderr, or `--rejects FILE` as
JSON Lines). Exit: 0 every batch answered, 1 a batch refused or given up on (retries exhausted),
2 usage, 3 `--strict` and some line was rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, BinaryIO

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_REJECTS, EXIT_USAGE


def batches(source: BinaryIO, size: int, max_bytes: int) -> Iterator[tuple[int, list[bytes]]]:
    """(first line number, lines) of at most `size` lines and about `max_bytes` bytes each."""
    batch: list[bytes] = []
    first, used = 1, 0
    for number, raw in enumerate(source, start=1):
        line = raw.rstrip(b"\r\n")
        if batch and (len(batch) >= size or used + len(line) + 1 > max_bytes):
            yield first, batch
            batch, used = [], 0
        if not batch:
            first = number
        batch.append(line)
        used += len(line) + 1
    if batch:
        yield first, batch


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.cli.client import ClientError, client, token_from, with_retries

    if args.batch < 1 or args.retries < 0 or args.max_bytes < 1:
        err.write("obligo post: --batch and --max-bytes must be at least 1, --retries at least 0\n")
        return EXIT_USAGE
    until = None
    if args.until:
        from engine.model.events import EventError, parse_instant

        try:
            parse_instant(args.until, "--until")
        except EventError as exc:
            err.write(f"obligo post: {exc}\n")
            return EXIT_USAGE
        until = args.until
    accepted = duplicates = rejected = posted = 0
    with ExitStack() as stack:
        try:
            token = token_from(args.token_file)
            source: BinaryIO = (sys.stdin.buffer if args.events == "-"
                                else stack.enter_context(open(args.events, "rb")))
            rejects = stack.enter_context(open(args.rejects, "w", encoding="utf-8")) if args.rejects else None
        except ClientError as exc:
            err.write(f"obligo post: {exc}\n")
            return EXIT_USAGE
        except OSError as exc:
            err.write(f"obligo post: {exc.filename}: {exc.strerror}\n")
            return EXIT_USAGE
        http = stack.enter_context(client(args.url, token, args.timeout))
        try:
            for first, lines in batches(source, args.batch, args.max_bytes):
                body = b"".join(line + b"\n" for line in lines)
                last = first + len(lines) - 1
                response = with_retries(f"obligo post: lines {first}-{last}",
                                        lambda body=body: http.post("/events", content=body,  # type: ignore[misc]
                                                                    headers={"Content-Type": "application/x-ndjson"}),
                                        args.retries, err)
                answer = response.json()
                posted += 1
                accepted += answer["accepted"]
                duplicates += answer["duplicates"]
                for reject in answer["rejected"]:
                    rejected += 1
                    record = {"line": first + reject["line"] - 1, "code": reject["code"], "reason": reject["reason"]}
                    if rejects is not None:
                        rejects.write(json.dumps(record, ensure_ascii=False) + "\n")
                    else:
                        err.write(f"obligo post: line {record['line']}: {record['code']}: {record['reason']}\n")
            if until is not None:
                with_retries("obligo post: advance", lambda: http.post("/advance", json={"until": until}),
                             args.retries, err)
        except ClientError as exc:
            err.write(f"{exc}\n")
            err.write(f"obligo post: batches {posted}, accepted {accepted}, duplicates {duplicates}, "
                      f"rejected {rejected} before the failure\n")
            return EXIT_INVALID
    err.write(f"obligo post: batches {posted}, accepted {accepted}, duplicates {duplicates}, rejected {rejected}\n")
    return EXIT_REJECTS if args.strict and rejected else EXIT_OK

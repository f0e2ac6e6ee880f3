"""`obligo serve --contracts PATH... --db FILE`: the live service (engine.service over engine.store, on uvicorn).

Exit: 0 after a clean stop (SIGINT/SIGTERM: in-flight requests finish, the store is closed), 1
invalid contract or a database that cannot be used (foreign, corrupt, read-only...), 2 usage (bad
--tick or --max-body, a token file that is missing, empty or readable by others).
"""

from __future__ import annotations

import argparse
from typing import IO

from engine.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, render
from engine.model.diagnostics import errors_only
from engine.model.errors import ObligoError


def parse_tick(text: str) -> float | None:
    if text.strip().lower() in ("off", "0", "none", "no"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--tick expects a number of seconds or 'off', got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"--tick expects a positive number of seconds or 'off', got {text!r}")
    return value


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from engine.language.cache import load_contracts_cached
    from engine.service import create_app
    from engine.service.token import ensure_token, read_token

    try:
        tick = parse_tick(args.tick)
    except ValueError as exc:
        err.write(f"obligo serve: {exc}\n")
        return EXIT_USAGE
    if args.tick_lag < 0:
        err.write(f"obligo serve: --tick-lag must be 0 or more seconds, got {args.tick_lag}\n")
        return EXIT_USAGE
    if args.max_body < 1:
        err.write(f"obligo serve: --max-body must be at least 1 byte, got {args.max_body}\n")
        return EXIT_USAGE
    try:
        if args.token_file:
            token_path, token, created = args.token_file, read_token(args.token_file), False
        else:
            path, token, created = ensure_token(args.db)
            token_path = str(path)
    except ObligoError as exc:
        err.write(f"obligo serve: {exc}\n")
        return EXIT_USAGE
    contracts, diags = load_contracts_cached(args.contracts)
    render(diags, err)
    if errors_only(diags):
        return EXIT_INVALID

    from engine.store import Store

    db = args.db
    app = create_app(lambda: Store.open(db, contracts), token, max_body=args.max_body, tick=tick,
                     tick_lag=args.tick_lag)
    try:
        app.state.runner.open_now()
    except ObligoError as exc:
        err.write(f"obligo serve: {db}: {exc} ({getattr(exc, 'code', 'error')})\n")
        return EXIT_INVALID

    import uvicorn

    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=10, server_header=False)
    server = uvicorn.Server(config)
    tick_text = f"every {tick:g} s, lag {args.tick_lag} s" if tick else "off"
    err.write(f"obligo serve: http://{args.host}:{args.port} database {db}, "
              f"token {'created in' if created else 'from'} {token_path}, tick {tick_text}\n")
    err.flush()
    server.run()
    if not server.started:  # could not bind, or the startup failed: uvicorn said why
        return EXIT_INVALID
    return EXIT_OK

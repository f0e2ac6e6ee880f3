"""The ASGI application of `obligo serve` (Starlette): routes over one Store, auth, limits, long poll.

The store is not thread-safe and SQLite connections belong to the thread that opened them, so every
store call (the open too) runs in one dedicated worker thread (`StoreRunner`): the calls are
serialised and the event loop never blocks on an fsync. Long-poll readers of `/actions` wait on an
asyncio.Condition that every commit notifies, not in a polling loop.

Errors are data: a store error is 503 `{"code", "reason"}` with the StoreError's code, any other
failure 500 `{"code": "internal", ...}`; no traceback reaches a response body.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.model.errors import ObligoError
from engine.model.events import EventError, format_instant, parse_instant

T = TypeVar("T")

DEFAULT_MAX_BODY = 16 * 1024 * 1024
MAX_WAIT = 60.0  # seconds a long poll may be held
MAX_LIMIT = 10_000  # actions per /actions answer
QUERY_TOKEN_NAMES = frozenset({"token", "access_token", "auth", "authorization", "bearer", "api_key", "apikey", "key"})


class StoreLike(Protocol):
    """What the service needs of engine.store.Store (docs/SERVICE.md)."""

    def post(self, lines: Sequence[str | bytes]) -> Any: ...
    def advance(self, until: int) -> Any: ...
    def actions(self, after: int, limit: int = 1000) -> list[tuple[int, str]]: ...
    def head(self) -> int: ...
    def ticket(self, ticket: str) -> dict | None: ...
    def metrics(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class StoreRunner:
    """One worker thread that owns the store: opens it, runs every call on it in turn, closes it."""

    def __init__(self, opener: Callable[[], StoreLike]):
        self._opener = opener
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="obligo-store")
        self.store: StoreLike | None = None

    async def start(self) -> None:
        if self.store is None:
            self.store = await self.call_raw(self._opener)

    def open_now(self) -> None:
        """Open the store before serving (in its own thread), so that a foreign or corrupt database
        file is a clear message at start, not a failed request."""
        if self.store is None:
            self.store = self._pool.submit(self._opener).result()

    async def call_raw(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def call(self, fn: Callable[[StoreLike], T]) -> T:
        store = self.store
        if store is None:
            raise ServiceError("store-closed", "the store is not open")
        return await self.call_raw(lambda: fn(store))

    async def stop(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            await self.call_raw(store.close)
        self._pool.shutdown(wait=True)


class ServiceError(ObligoError):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code


class HttpError(Exception):
    """A client mistake answered with `status` and `{"code", "reason"}`."""

    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def error(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"code": code, "reason": reason}, status_code=status)


class _StoreCollector(Collector):
    """The store's own counts (persistent across restarts), read at each scrape."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def collect(self) -> Any:
        v = self.values
        for name, key, doc in (("obligo_events_accepted", "accepted", "events applied"),
                               ("obligo_events_duplicate", "duplicates", "events whose id was already seen"),
                               ("obligo_events_rejected", "rejected", "event lines rejected"),
                               ("obligo_actions", "actions", "actions appended to the outbox")):
            c = CounterMetricFamily(name, doc)
            c.add_metric([], float(v.get(key, 0)))
            yield c
        yield GaugeMetricFamily("obligo_open_tickets", "tickets not closed", value=float(v.get("open_tickets", 0)))
        yield GaugeMetricFamily("obligo_outbox_head_seq", "seq of the last committed action",
                                value=float(v.get("head", 0)))


@dataclass
class ServiceState:
    runner: StoreRunner
    token: str
    max_body: int
    max_wait: float
    head: int = 0
    cond: asyncio.Condition | None = None
    registry: CollectorRegistry | None = None
    latency: Histogram | None = None
    collector: _StoreCollector | None = None

    async def committed(self, head: int) -> None:
        assert self.cond is not None
        async with self.cond:
            if head > self.head:
                self.head = head
            self.cond.notify_all()

    async def write(self, fn: Callable[[StoreLike], Any]) -> Any:
        """A store write (post or advance): timed, then long-poll readers are woken."""
        started = time.perf_counter()
        result = await self.runner.call(fn)
        if self.latency is not None:
            self.latency.observe(time.perf_counter() - started)
        await self.committed(int(result.head))
        return result

    async def advance(self, until: int) -> Any:
        return await self.write(lambda store: store.advance(until))


class AuthMiddleware:
    """Bearer token on every route but /health, checked before anything of the body is read; a
    token in the query string is refused (it would end up in logs and proxies)."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/health":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        names = {part.split("=", 1)[0].lower() for part in query.split("&") if part}
        if names & QUERY_TOKEN_NAMES:
            await error(400, "token-in-query", "a token in the query string is refused; send "
                        "'Authorization: Bearer <token>'")(scope, receive, send)
            return
        given = b""
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                given = value
                break
        scheme, _, credential = given.partition(b" ")
        ok = scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self.token)
        if not ok:
            response = error(401, "unauthorized", "missing or wrong token: send 'Authorization: Bearer <token>'")
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ErrorMiddleware:
    """Innermost safety net: a store error is 503 with its code, anything else 500; never a traceback."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # answered as data; the server log keeps the detail
            if started:
                raise
            await error_response(exc)(scope, receive, send)


def error_response(exc: BaseException) -> JSONResponse:
    """An exception as an answer: a client mistake with its status, a store error 503 with the
    store's code, anything else 500 (the detail goes to the server's stderr, not to the client)."""
    if isinstance(exc, HttpError):
        return error(exc.status, exc.code, exc.reason)
    if isinstance(exc, ObligoError):
        return error(503, getattr(exc, "code", "store-error"), _short(str(exc)))
    print(f"obligo serve: internal error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return error(500, "internal", f"internal error ({type(exc).__name__}); see the server log")


async def _handler(request: Request, exc: Exception) -> Response:
    return error_response(exc)


def _short(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise HttpError(413, "too-large", f"body of {declared} bytes is over the limit of {limit} bytes")
        except ValueError:
            raise HttpError(400, "bad-request", "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "too-large", f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _int_param(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise HttpError(400, "bad-request", f"'{name}' must be a whole number, got {text!r}") from None
    if value < low:
        raise HttpError(400, "bad-request", f"'{name}' must be at least {low}, got {value}")
    return min(value, high) if high is not None else value


def _float_param(request: Request, name: str, default: float, high: float) -> float:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise HttpError(400, "bad-request", f"'{name}' must be a number of seconds, got {text!r}") from None
    if not value >= 0:  # also NaN
        raise HttpError(400, "bad-request", f"'{name}' must be 0 or more seconds, got {text!r}")
    return min(value, high)


def split_lines(body: bytes) -> list[bytes]:
    """The body's JSON Lines, numbered from 1 by position (a final newline adds no line)."""
    if not body:
        return []
    lines = body.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def create_app(opener: Callable[[], StoreLike], token: str, *, max_body: int = DEFAULT_MAX_BODY,
               max_wait: float = MAX_WAIT, tick: float | None = None, tick_lag: int = 0,
               now: Callable[[], float] = time.time) -> ServiceApp:
    """The service over the store `opener()` returns (called in the store's thread at startup).
    `tick` (seconds) starts the ticker, the only reader of the wall clock (`now`): every `tick`
    seconds it advances the stream to `now() - tick_lag` (the lag leaves room for events that reach
    the service a little after their instant: an event earlier than the stream's clock is late)."""
    if not token:
        raise ValueError("the token is empty")
    state = ServiceState(StoreRunner(opener), token, max_body, max_wait)

    async def post_events(request: Request) -> Response:
        body = await read_body(request, state.max_body)
        lines = split_lines(body)
        result = await state.write(lambda store: store.post(lines))
        return JSONResponse({"accepted": result.accepted, "duplicates": result.duplicates,
                             "rejected": [{"line": r.line, "code": r.code, "reason": r.reason} for r in result.rejected],
                             "head": result.head})

    async def post_advance(request: Request) -> Response:
        body = await read_body(request, state.max_body)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise HttpError(400, "bad-request", 'the body must be JSON: {"until": "2026-03-02T16:50:00Z"}') from None
        if not isinstance(payload, dict) or "until" not in payload:
            raise HttpError(400, "bad-request", 'the body must be {"until": INSTANT}')
        try:
            until = parse_instant(payload["until"], "until")
        except EventError as exc:
            raise HttpError(400, exc.code, str(exc)) from None
        result = await state.advance(until)
        return JSONResponse({"until": format_instant(until), "head": result.head})

    async def get_actions(request: Request) -> Response:
        after = _int_param(request, "after", 0, 0)
        limit = _int_param(request, "limit", 1000, 1, MAX_LIMIT)
        wait = _float_param(request, "wait", 0.0, state.max_wait)
        if wait > 0 and state.head <= after:
            assert state.cond is not None
            try:
                async with state.cond:
                    await asyncio.wait_for(state.cond.wait_for(lambda: state.head > after), timeout=wait)
            except TimeoutError:
                pass
        rows = await state.runner.call(lambda store: store.actions(after, limit)) if state.head > after else []
        text = "".join(line + "\n" for _, line in rows)
        headers = {"X-Obligo-Head": str(state.head)}
        if rows:
            headers["X-Obligo-Last-Seq"] = str(rows[-1][0])
        return Response(text, media_type="application/x-ndjson", headers=headers)

    async def get_ticket(request: Request) -> Response:
        ticket_id = request.path_params["ticket"]
        found = await state.runner.call(lambda store: store.ticket(ticket_id))
        if found is None:
            raise HttpError(404, "unknown-ticket", f"no ticket {ticket_id!r}")
        return JSONResponse(found)

    async def get_health(request: Request) -> Response:
        if state.runner.store is None:
            return error(503, "store-closed", "the store is not open")
        return JSONResponse({"status": "ok"})

    async def get_metrics(request: Request) -> Response:
        assert state.collector is not None and state.registry is not None
        state.collector.values = await state.runner.call(lambda store: store.metrics())
        return Response(generate_latest(state.registry), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def ticker(seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await state.advance(int(now()) - tick_lag)
            except Exception as exc:  # a failed tick is retried at the next one
                print(f"obligo serve: tick failed: {getattr(exc, 'code', type(exc).__name__)}: {_short(str(exc))}",
                      file=sys.stderr, flush=True)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.cond = asyncio.Condition()
        state.registry = CollectorRegistry()
        state.collector = _StoreCollector()
        state.registry.register(state.collector)
        state.latency = Histogram("obligo_commit_seconds", "time to apply and commit one batch or advance",
                                  registry=state.registry,
                                  buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        await state.runner.start()
        state.head = await state.runner.call(lambda store: store.head())
        task = asyncio.create_task(ticker(tick)) if tick else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            await state.runner.stop()

    routes = [
        Route("/events", post_events, methods=["POST"]),
        Route("/advance", post_advance, methods=["POST"]),
        Route("/actions", get_actions, methods=["GET"]),
        Route("/tickets/{ticket:path}", get_ticket, methods=["GET"]),
        Route("/health", get_health, methods=["GET"]),
        Route("/metrics", get_metrics, methods=["GET"]),
    ]
    inner = Starlette(routes=routes, lifespan=lifespan,
                      exception_handlers={HttpError: _handler, ObligoError: _handler, Exception: _handler})
    app: ASGIApp = ErrorMiddleware(inner)
    app = AuthMiddleware(app, token)
    return ServiceApp(app, inner, state)


class ServiceApp:
    """The ASGI app: lifespan messages go straight to Starlette (the middlewares only wrap HTTP);
    `state.runner` is the store's thread."""

    def __init__(self, app: ASGIApp, inner: Starlette, state: ServiceState):
        self.app, self.inner, self.state = app, inner, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.inner(scope, receive, send)
        else:
            await self.app(scope, receive, send)


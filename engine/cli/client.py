"""What `obligo post` and `obligo tail` share: the token, the HTTP client and its retry policy."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, TypeVar

import httpx

T = TypeVar("T")

RETRY_STATUS = frozenset({502, 503, 504})


class ClientError(Exception):
    """A failure the client does not retry (bad token, refused request): one line for the user."""


def token_from(path: str) -> str:
    from engine.service.token import read_token

    try:
        return read_token(path)
    except Exception as exc:
        raise ClientError(str(exc)) from None


def client(url: str, token: str, timeout: float) -> httpx.Client:
    return httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
                        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))


def with_retries(what: str, call: Callable[[], httpx.Response], retries: int, err: IO[str],
                 sleep: Callable[[float], None] = time.sleep) -> httpx.Response:
    """`call()` until it gives an answer that is not a server-side hiccup: connection refused or
    reset, timeout, 502/503/504 are retried (`retries` times, backing off 0.25 s doubling to 5 s);
    any other non-2xx status is a ClientError with the server's code and reason."""
    delay = 0.25
    attempt = 0
    while True:
        try:
            response = call()
            if response.status_code not in RETRY_STATUS:
                break
            problem = f"HTTP {response.status_code} {_reason(response)}"
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        attempt += 1
        if attempt > retries:
            raise ClientError(f"{what}: gave up after {retries} retries ({problem})")
        err.write(f"{what}: {problem}; retrying in {delay:g} s\n")
        err.flush()
        sleep(delay)
        delay = min(delay * 2, 5.0)
    if response.status_code // 100 != 2:
        raise ClientError(f"{what}: HTTP {response.status_code} {_reason(response)}")
    return response


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('code')}: {body.get('reason')}"
    except Exception:
        return response.text[:200].strip()

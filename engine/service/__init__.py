"""`obligo serve`: the live service over engine.store (Starlette app served by uvicorn; docs/SERVICE.md)."""

from engine.service.app import DEFAULT_MAX_BODY, StoreLike, create_app

__all__ = ["DEFAULT_MAX_BODY", "StoreLike", "create_app"]

"""The durable live store: a stream's state and action outbox in one SQLite file (engine.store.sqlite)."""

from engine.store.sqlite import APPLICATION_ID, MAGIC, SCHEMA, BatchResult, LineReject, Store, StoreError

__all__ = ["APPLICATION_ID", "MAGIC", "SCHEMA", "BatchResult", "LineReject", "Store", "StoreError"]

"""Pausing Python's cyclic garbage collector around a batch of engine work.

The engine makes no reference cycles: refcounting frees everything it drops, so the cyclic
collector only ever re-traverses what is alive. In a batch (a replay holding a whole log, a
partition keeping every action until it writes them) that is ~10^5..10^6 objects traversed
again and again for nothing (about 9 % of a replay). Used at the edges that own the process (the
CLI, `engine.replay.partition.evaluate`, a partition's task on a Dask worker), never inside `Engine`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector, then restore its previous state.

    Objects alive at entry are frozen: as the Python docs advise around fork, a forked child's
    collections then leave their pages alone (no copy-on-write of every page). Objects made
    meanwhile and still alive at exit (the actions a caller keeps) join the oldest generation in
    one step (freeze, then unfreeze: two list splices) instead of being traversed by a young
    collection as soon as the collector runs again, and by a middle one after that. A host
    program that froze objects itself keeps its freeze untouched (nothing is frozen or unfrozen).
    """
    enabled, host_froze = gc.isenabled(), gc.get_freeze_count() > 0
    gc.disable()
    if not host_froze:
        gc.freeze()
    try:
        yield
    finally:
        if not host_froze:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


__all__ = ["collector_paused"]

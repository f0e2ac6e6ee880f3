"""A progress bar on stderr for long reports, only when stderr is a terminal (silent otherwise).

Uses `rich` (its Progress draws and clears the bar in place and is well kept); a pipe, a file or a
test's StringIO gets nothing, so output captured by scripts stays byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO


@contextmanager
def progress_bar(stream: IO[str], total: int, what: str = "events", command: str = "obligo report",
                 count: bool = True) -> Iterator[Callable[[int], None] | None]:
    """Yields `update(done)`, or None when `stream` is not a terminal. `count`: show done/total
    (events); otherwise a percentage (bytes, whose counts fill a narrow terminal)."""
    isatty = getattr(stream, "isatty", None)
    if not callable(isatty) or not isatty() or total < 1:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    done_column = MofNCompleteColumn() if count else TaskProgressColumn()
    with Progress(TextColumn(f"{command}: {what}"), BarColumn(), done_column, TimeElapsedColumn(),
                  console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)

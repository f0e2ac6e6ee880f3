"""Which version of a contract is in force when: docs/INTERFACE.md "Contract versions and what-if".

Several files may carry one contract `id` with different `version`s. A version is in force from
the start of its `effective_from` day until the end of its `effective_to` day, or until the next
version's `effective_from`, whichever comes first; days are read in the zone of the contract's
first calendar that names one (a 24x7 calendar names none; UTC if no calendar does). A ticket is
evaluated for its whole life under the version in force at its `opened` instant.

The loaded contracts are keyed by `id` when an id has one version, by `id@version` when it has
several (`contract_keys`), so what holds one version (snapshots, the live store, tests) keeps
its keys. Pure functions over compiled contracts: the loader checks overlaps with them, the
engine looks versions up with them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from engine.calendars.business import load_zone
from engine.language.model import CompiledContract
from engine.model.events import FIRST_YEAR, LAST_YEAR, MAX_INSTANT, MIN_INSTANT


@dataclass(frozen=True)
class Window:
    """One version's time in force: [start, end) in epoch seconds (None: unbounded on that side)."""

    key: str  # its key in the loaded contracts
    version: str
    start: int | None
    end: int | None
    ends_by: str  # why it ends: "effective_to", "next version" or "open-ended"

    def holds(self, at: int) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)


def contract_key(contract: CompiledContract, versions_of_id: int) -> str:
    """The key of a loaded contract: its id alone when the id has one version, else `id@version`."""
    return contract.id if versions_of_id == 1 else f"{contract.id}@{contract.version}"


def contract_keys(contracts: Iterable[CompiledContract]) -> dict[str, CompiledContract]:
    """Loaded contracts by key (`contract_key`), in the order given."""
    listed = list(contracts)
    counts: dict[str, int] = {}
    for contract in listed:
        counts[contract.id] = counts.get(contract.id, 0) + 1
    return {contract_key(c, counts[c.id]): c for c in listed}


def loaded_key(contracts: Mapping[str, CompiledContract], key: str, version: str) -> str | None:
    """Where `contracts` holds the contract saved (in a snapshot, a store) under `key` at `version`:
    `key` itself, or the key that version has now (`x` became `x@1` when a second version of `x`
    was loaded, and back). None when that version is not loaded."""
    here = contracts.get(key)
    if here is not None and here.version == version:
        return key
    cid = key.partition("@")[0]
    return next((k for k, c in contracts.items() if c.id == cid and c.version == version), None)


def zone_of(contract: CompiledContract) -> str:
    """The zone its effective dates are read in: the first calendar (definition order) naming one."""
    for calendar in contract.calendars.values():
        if calendar.timezone:
            return calendar.timezone
    return "UTC"


def day_start(day: str, zone: str) -> int:
    """The first instant of a calendar day (YYYY-MM-DD) in a zone, as epoch seconds."""
    d = date.fromisoformat(day)
    return int(datetime(d.year, d.month, d.day, tzinfo=load_zone(zone)).timestamp())


def _own_window(contract: CompiledContract) -> tuple[int | None, int | None]:
    """[start, end) of a version by its own dates alone (end: the day after `effective_to`). A date
    outside the years events may have (1900-2199) is a bound no event can cross: before them, a
    start is none and an end is at once; after them, the reverse (and no date arithmetic overflows)."""
    zone = zone_of(contract)
    start = end = None
    if contract.effective_from:
        first = date.fromisoformat(contract.effective_from)
        if first.year > LAST_YEAR:
            start = MAX_INSTANT + 1  # never in force
        elif first.year >= FIRST_YEAR:
            start = day_start(first.isoformat(), zone)
    if contract.effective_to:
        last = date.fromisoformat(contract.effective_to)
        if last.year < FIRST_YEAR:
            end = MIN_INSTANT  # ended before any event
        elif last.year <= LAST_YEAR:
            end = day_start((last + timedelta(days=1)).isoformat(), zone)
    return start, end


def _by_id(contracts: Mapping[str, CompiledContract]) -> dict[str, list[tuple[str, CompiledContract]]]:
    out: dict[str, list[tuple[str, CompiledContract]]] = {}
    for key, contract in contracts.items():
        out.setdefault(contract.id, []).append((key, contract))
    return out


@dataclass(frozen=True)
class Overlap:
    """Two versions of one id in force on a same day (a validation error: `version-overlap`)."""

    contract: str
    earlier: CompiledContract
    later: CompiledContract
    earlier_end: int | None  # the end of the earlier's own window (None: open-ended, no effective_to)


def _spans(versions: list[tuple[str, CompiledContract]]) -> list[tuple[int | None, int | None, str, CompiledContract]]:
    """(own start, own end, key, contract) of each version of one id, by start (unbounded first), then key."""
    spans = [(*_own_window(c), key, c) for key, c in versions]
    return sorted(spans, key=lambda s: (s[0] is not None, s[0] or 0, s[2]))


def overlaps(contracts: Mapping[str, CompiledContract]) -> list[Overlap]:
    """Each pair of consecutive versions (by start) whose own windows overlap: the earlier has an
    `effective_to` on or after the later's `effective_from`, or they start the same day. An
    earlier version without `effective_to` simply ends where the next begins."""
    found = []
    for cid, versions in sorted(_by_id(contracts).items()):
        for (a_start, a_end, _, a), (b_start, _, _, b) in pairwise(_spans(versions)):
            if a_start == b_start or (a_end is not None and (b_start is None or a_end > b_start)):
                found.append(Overlap(cid, a, b, a_end))
    return found


def windows(contracts: Mapping[str, CompiledContract]) -> dict[str, tuple[Window, ...]]:
    """Per contract id, its versions' windows in time order (each ends at its own `effective_to`
    or the next version's start, whichever comes first). Assumes `overlaps` found none."""
    out: dict[str, tuple[Window, ...]] = {}
    for cid, versions in _by_id(contracts).items():
        spans = _spans(versions)
        listed = []
        for i, (start, end, key, contract) in enumerate(spans):
            nxt = spans[i + 1][0] if i + 1 < len(spans) else None
            if nxt is not None and (end is None or nxt < end):
                end, why = nxt, "next version"
            else:
                why = "effective_to" if end is not None else "open-ended"
            listed.append(Window(key, contract.version, start, end, why))
        out[cid] = tuple(listed)
    return out


@dataclass(frozen=True)
class VersionRow:
    """One version of a contract with several, as `obligo show` and the report list them."""

    contract: str
    version: str
    start: str  # its effective_from, or "always"
    until: str  # "end of <effective_to>", "the next version" or "open-ended"
    zone: str  # the zone its days are read in
    file: str


def version_rows(contracts: Mapping[str, CompiledContract]) -> list[VersionRow]:
    """The versions of every contract id loaded with several, by id then time in force."""
    rows = []
    for cid, versions in sorted(windows(contracts).items()):
        if len(versions) < 2:
            continue
        for w in versions:
            c = contracts[w.key]
            until = {"effective_to": f"end of {c.effective_to}", "next version": "the next version",
                     "open-ended": "open-ended"}[w.ends_by]
            rows.append(VersionRow(cid, c.version, c.effective_from or "always", until, zone_of(c), c.file))
    return rows


def in_force(versions: tuple[Window, ...], at: int) -> Window | None:
    """The version in force at `at`, or None (before the first, in a gap, after the last)."""
    if len(versions) == 1:
        return versions[0] if versions[0].holds(at) else None
    starts = [w.start if w.start is not None else -(1 << 62) for w in versions]
    i = bisect.bisect_right(starts, at) - 1
    return versions[i] if i >= 0 and versions[i].holds(at) else None


__all__ = ["Overlap", "VersionRow", "Window", "contract_key", "contract_keys", "day_start", "in_force", "loaded_key", "overlaps",
           "version_rows", "windows", "zone_of"]

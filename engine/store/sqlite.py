"""The durable store: a stream's state and its action outbox in one SQLite file, exactly-once.

One `post` (a batch of JSON Lines) or `advance` is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`
in WAL mode with `synchronous=FULL`): once it returns, the batch is on disk; if it raises, nothing
of it is. Memory and restart time are bounded by what a batch touches, not by the database: each
call builds a fresh `Engine` and restores into it, lazily, only the tickets it needs (the ticket of
each event, and every ticket with a pending deadline due by the batch's latest instant, loaded in a
few chunked queries), then writes back the tickets whose state or deadlines changed.

A bounded cache keeps the parsed state of the last tickets used (10,000) between calls, so a busy
ticket is not parsed from JSON at every batch. The database stays the truth: a cached state is used
only while the row still holds the exact text it was saved with, a call takes its tickets out of
the cache while it runs, and they go back only once its commit succeeded (a failed call, or another
process writing the file, leaves no stale state behind).

Tables (schema version `SCHEMA`, `PRAGMA application_id` = `APPLICATION_ID`, and a `meta` row with
`MAGIC`, so a foreign file is refused before anything is written to it):

- `meta(key, value)`: `magic`, `schema`.
- `stream(id=0, now, gen, accepted, duplicates, rejected, open_tickets)`: the stream's clock (the
  greatest instant applied), the engine's generation counter (timers, obligations) and counters.
- `contracts(id, version)`: every contract a ticket of the database was opened under; opening the
  store with another version of one of them, or without it, is `store-contracts`.
- `tickets(ticket, contract, closed, quarantined, state)`: `state` is the ticket's lossless JSON
  (`engine.runtime.snapshot.ticket_to_dict`).
- `deadlines(instant, ticket, name, ord, gen, kind, ratio)`: the ticket's entries of the engine's
  deadline queue (warn, breach, timer, obligation), indexed on `instant`, so only what is due is read.
  Entries that can never fire again (an older generation of a clock, timer or obligation) are dropped.
- `seen(id)`: every event id applied (duplicates are counted and change nothing).
- `outbox(seq, id UNIQUE, action)`: the actions in commit order; `seq` is the rowid (never reused:
  rows are never deleted), the deterministic action `id` is unique so an action is stored once.

Late events: an event earlier than the stream's clock is rejected with code `late-event` and a
reason, never reordered (as `Engine.process` does). Within a batch, events apply in the order given.
"""

from __future__ import annotations

import heapq
import sqlite3
import struct
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.language.model import CompiledContract
from engine.language.versions import loaded_key
from engine.model.actions import Action
from engine.model.errors import ObligoError
from engine.model.events import EventError, format_instant
from engine.model.jsonio import dumps, loads
from engine.model.paths import exists
from engine.replay.log import read_log
from engine.runtime.deadlines import Deadline
from engine.runtime.engine import DuplicateEvent, Engine
from engine.runtime.errors import SnapshotError
from engine.runtime.snapshot import CalendarRef, ticket_from_dict, ticket_to_dict
from engine.runtime.state import TicketState

APPLICATION_ID = 0x4F424C47  # "OBLG" in the SQLite header (offset 68)
MAGIC = "obligo-store"
SCHEMA = 1
_SQLITE_HEADER = b"SQLite format 3\x00"
_CHUNK = 500  # bound parameters per IN (...) query
# ticket states and outbox lines: the compact JSON of every line Obligo writes (orjson where exact)
_dumps = _dumps_action = dumps
_loads = loads
CACHE_TICKETS = 10_000  # ticket states kept between calls (LRU); the database stays the truth

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE stream (
  id INTEGER PRIMARY KEY CHECK (id = 0), now INTEGER, gen INTEGER NOT NULL,
  accepted INTEGER NOT NULL, duplicates INTEGER NOT NULL, rejected INTEGER NOT NULL, open_tickets INTEGER NOT NULL);
CREATE TABLE contracts (id TEXT PRIMARY KEY, version TEXT);
CREATE TABLE tickets (
  ticket TEXT PRIMARY KEY, contract TEXT NOT NULL, closed INTEGER NOT NULL, quarantined TEXT, state TEXT NOT NULL);
CREATE TABLE deadlines (
  instant INTEGER NOT NULL, ticket TEXT NOT NULL, name TEXT NOT NULL, ord INTEGER NOT NULL, gen INTEGER NOT NULL,
  kind TEXT NOT NULL, ratio REAL NOT NULL, PRIMARY KEY (ticket, instant, name, ord, gen)) WITHOUT ROWID;
CREATE INDEX deadlines_by_instant ON deadlines (instant);
CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, action TEXT NOT NULL);
"""


class StoreError(ObligoError):
    """The database cannot be used or written. `code`: `store-foreign` (not an obligo database; left
    untouched), `store-corrupt`, `store-readonly`, `store-full`, `store-contracts` (the contracts
    given differ from those its tickets were opened under), `store-busy` (another writer holds the
    file), `store-io` (another I/O error), `store-closed`."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LineReject:
    """A line of a batch that was not applied: its number (from 1), a stable code, the reason."""

    line: int
    code: str
    reason: str


@dataclass(frozen=True)
class BatchResult:
    """What one committed `post` or `advance` did; `head` is the last outbox seq after the commit."""

    accepted: int
    duplicates: int
    rejected: list[LineReject] = field(default_factory=list)
    head: int = 0


def _db_error(exc: sqlite3.Error, path: Path) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(f"{path}: the database is read-only ({text}); nothing of the batch was written",
                          "store-readonly")
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return StoreError(f"{path}: the disk or database is full ({text}); nothing of the batch was written",
                          "store-full")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StoreError(f"{path}: the database file is corrupt ({text})", "store-corrupt")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(f"{path}: another process is writing the database ({text})", "store-busy")
    return StoreError(f"{path}: {text}", "store-io")


def _check_header(path: Path) -> None:
    """Refuse (without writing) a non-empty file that is not an obligo database."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}", "store-io") from None
    if not header.startswith(_SQLITE_HEADER):
        raise StoreError(f"{path}: not an obligo database (not an SQLite file); left untouched", "store-foreign")
    if len(header) < 100:
        raise StoreError(f"{path}: truncated SQLite header", "store-corrupt")
    (app_id,) = struct.unpack(">I", header[68:72])
    (user_version,) = struct.unpack(">I", header[60:64])
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path}: an SQLite database of another application (application_id {app_id:#x}), "
                         "not an obligo store; left untouched", "store-foreign")
    if user_version != SCHEMA:
        raise StoreError(f"{path}: obligo store schema version {user_version}; this obligo reads version {SCHEMA}",
                         "store-foreign")


def _live(entry: Deadline, state: TicketState) -> bool:
    """False for a queue entry that can never fire again: an older generation of its clock (clock
    generations only grow, a restarted clock continues its predecessor's), or a timer or obligation
    entry whose generation (from the engine's global counter, never reused) is not the pending one's."""
    kind = entry.kind
    if kind == "timer":
        timer = (state.timers or {}).get(entry.name[len("timer:"):])
        return timer is not None and timer.gen == entry.gen
    if kind == "obligation":
        ob = (state.obligations or {}).get(entry.name)
        return ob is not None and ob.gen == entry.gen
    clock = state.clocks.get(entry.name)
    return clock is None or entry.gen >= clock.gen


@dataclass
class _Row:
    text: str | None  # the state as stored (None: not in the database)
    quarantined: str | None
    closed: bool
    deadlines: list[tuple]


class _Batch:
    """One transaction's engine: tickets restored lazily from the database, written back if changed."""

    def __init__(self, store: Store):
        self.store = store
        self.db = store._db
        self.engine = Engine(store.contracts)
        self.engine.now = store._now
        self.engine._seq = store._gen
        self.rows: dict[str, _Row | None] = {}  # ticket -> as loaded (None: not in the database)
        self.due_loaded: int | None = None  # every ticket with a stored deadline <= this is loaded
        self._dirty_heap = False  # entries appended to the engine's queue: heapify before it runs
        self.new_contracts: set[str] = set()
        self.cached: list[tuple[str, str, TicketState]] = []  # (ticket, text, state) to cache after COMMIT

    def load(self, ticket: str) -> None:
        if ticket not in self.rows:
            self.load_many([ticket])

    def load_many(self, tickets: Iterable[str]) -> None:
        """Restore the tickets not yet loaded: their states and deadlines in one query each per
        `_CHUNK` tickets (not one round trip per ticket)."""
        rows = self.rows
        wanted = [t for t in dict.fromkeys(tickets) if t not in rows]
        if not wanted:
            return
        db, contracts, cache = self.db, self.store.contracts, self.store._cache
        engine = self.engine
        queue = engine._queue
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found = {row[0]: row for row in db.execute(
                f"SELECT ticket, state, quarantined, closed FROM tickets WHERE ticket IN ({marks})", chunk)}
            by_ticket: dict[str, list[tuple]] = {}
            if found:
                present = [t for t in chunk if t in found]
                marks = ",".join("?" * len(present))
                for entry in db.execute(
                        f"SELECT instant, ticket, name, ord, gen, kind, ratio FROM deadlines WHERE ticket IN ({marks}) "
                        "ORDER BY ticket, instant, name, ord, gen", present):
                    by_ticket.setdefault(entry[1], []).append(entry)
            for ticket in chunk:
                row = found.get(ticket)
                if row is None:
                    rows[ticket] = None
                    continue
                _, text, quarantined, closed = row
                # A cached state is taken out (the engine will change it) and used only when the
                # database still holds the text it was cached with; otherwise restored from the row.
                hit = cache.pop(ticket, None)
                if hit is not None and hit[0] == text:
                    state = hit[1]
                else:
                    try:
                        state = ticket_from_dict(_loads(text), contracts, self.store._keys)
                    except (SnapshotError, ValueError) as exc:
                        raise StoreError(f"{self.store.path}: the stored state of ticket {ticket!r} cannot be "
                                         f"read: {exc}", "store-corrupt") from None
                deadlines = by_ticket.get(ticket, [])
                rows[ticket] = _Row(text, quarantined, bool(closed), deadlines)
                engine.tickets[ticket] = state
                if quarantined is not None:
                    engine.quarantined[ticket] = quarantined
                for entry in deadlines:
                    queue.append(Deadline(*entry))
                if deadlines:
                    self._dirty_heap = True

    def load_due(self, instant: int) -> None:
        """Restore every ticket with a stored deadline due at or before `instant` (one range query)."""
        if self.due_loaded is not None and instant <= self.due_loaded:
            return
        if self.due_loaded is None:
            rows = self.db.execute("SELECT DISTINCT ticket FROM deadlines WHERE instant <= ?", (instant,))
        else:
            rows = self.db.execute("SELECT DISTINCT ticket FROM deadlines WHERE instant > ? AND instant <= ?",
                                   (self.due_loaded, instant))
        self.load_many([ticket for (ticket,) in rows.fetchall()])
        self.due_loaded = instant

    def preload(self, tickets: Iterable[str], until: int | None) -> None:
        """Restore, before the batch runs, every ticket it can touch: its events' tickets and those
        with a deadline due by its latest instant. The engine holding more tickets than an event
        needs changes nothing (replay holds them all); `prepare` then finds them loaded."""
        self.load_many(tickets)
        if until is not None:
            self.load_due(until)

    def prepare(self, ticket: str | None, instant: int) -> None:
        if ticket is not None:
            self.load(ticket)
        self.load_due(instant)
        if self._dirty_heap:
            heapq.heapify(self.engine._queue)
            self._dirty_heap = False

    def write(self, actions: list[Action], accepted: int, duplicates: int, rejected: int) -> None:
        """Write back what changed, the seen ids and the actions; update the stream row (in the transaction)."""
        engine, db, store = self.engine, self.db, self.store
        by_ticket: dict[str, list[tuple]] = {}
        for entry in engine._queue:
            state = engine.tickets.get(entry.ticket)
            if state is not None and _live(entry, state):
                by_ticket.setdefault(entry.ticket, []).append(tuple(entry))
        refs: dict[str, dict[int, CalendarRef]] = {}
        upserts: list[tuple] = []
        drop: list[tuple[str]] = []
        inserts: list[tuple] = []
        open_delta = 0
        new_contracts: set[str] = set()
        contracts, known, quarantined_of = store.contracts, store._known_contracts, engine.quarantined
        cached = self.cached
        for ticket, state in engine.tickets.items():
            row = self.rows.get(ticket)
            text = _dumps(ticket_to_dict(state, contracts, refs))
            quarantined = quarantined_of.get(ticket)
            cached.append((ticket, text, state))
            if row is None:
                upserts.append((ticket, state.contract, int(state.closed), quarantined, text))
                open_delta += 0 if state.closed else 1
                if state.contract not in known:
                    new_contracts.add(state.contract)
            elif text != row.text or quarantined != row.quarantined:
                upserts.append((ticket, state.contract, int(state.closed), quarantined, text))
                open_delta += int(row.closed) - int(state.closed)
            entries = by_ticket.get(ticket)
            if entries:
                entries.sort()
            if row is None:
                if entries:
                    inserts.extend(entries)
            elif entries != (sorted(row.deadlines) if row.deadlines else None):
                drop.append((ticket,))
                if entries:
                    inserts.extend(entries)
        if drop:
            db.executemany("DELETE FROM deadlines WHERE ticket = ?", drop)
        if inserts:
            db.executemany("INSERT INTO deadlines (instant, ticket, name, ord, gen, kind, ratio) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", inserts)
        if upserts:
            db.executemany(
                "INSERT INTO tickets (ticket, contract, closed, quarantined, state) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (ticket) DO UPDATE SET contract = excluded.contract, closed = excluded.closed, "
                "quarantined = excluded.quarantined, state = excluded.state", upserts)
        if new_contracts:
            db.executemany("INSERT OR IGNORE INTO contracts (id, version) VALUES (?, ?)",
                           [(cid, store.contracts[cid].version) for cid in sorted(new_contracts)])
        if engine._seen_ids:
            db.executemany("INSERT OR IGNORE INTO seen (id) VALUES (?)", [(eid,) for eid in engine._seen_ids])
        if actions:
            rows = []
            for action in actions:  # the id once (Action.id and to_json would each hash the cause)
                data = action.to_dict()
                rows.append((data.get("id"), _dumps_action(data)))
            db.executemany("INSERT OR IGNORE INTO outbox (id, action) VALUES (?, ?)", rows)
        db.execute("UPDATE stream SET now = ?, gen = ?, accepted = accepted + ?, duplicates = duplicates + ?, "
                   "rejected = rejected + ?, open_tickets = open_tickets + ? WHERE id = 0",
                   (engine.now, engine._seq, accepted, duplicates, rejected, open_delta))
        self.new_contracts = new_contracts


class Store:
    """A stream's state and action outbox in one SQLite file. Used from one thread at a time."""

    def __init__(self, path: Path, db: sqlite3.Connection, contracts: dict[str, CompiledContract]):
        self.path = path
        self.contracts = contracts
        self._db: sqlite3.Connection = db
        self._closed = False
        self._now: int | None = None
        self._gen = 0
        self._known_contracts: set[str] = set()
        self._keys: dict[str, str] = {}  # contract key in the database -> the key of that version now
        self._counters: dict[str, int] = {}
        # ticket -> (its state text as committed, the TicketState after that commit): saves the JSON
        # load and restore of recently used tickets. Entries leave it while a call uses them and come
        # back only after its COMMIT, so a failed call leaves nothing of its changes here.
        self._cache: OrderedDict[str, tuple[str, TicketState]] = OrderedDict()

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, contracts: dict[str, CompiledContract]) -> Store:
        """Open the store at `path`, creating it when the file is missing or empty. Raises StoreError
        (`store-foreign` for a file that is not an obligo database, which is never written to;
        `store-contracts` when `contracts` lack one its tickets use, or have another version of it)."""
        path = Path(path)
        fresh = not exists(path) or path.stat().st_size == 0  # exists: False for a name the file system refuses
        if not fresh:
            _check_header(path)
        try:
            db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _db_error(exc, path) from None
        store = cls(path, db, contracts)
        try:
            if fresh:
                store._create()
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            store._check()
        except sqlite3.Error as exc:
            db.close()
            raise _db_error(exc, path) from None
        except StoreError:
            db.close()
            raise
        return store

    def _create(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA}")
            for statement in _DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("magic", MAGIC), ("schema", str(SCHEMA))])
            db.execute("INSERT INTO stream VALUES (0, NULL, 0, 0, 0, 0, 0)")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _check(self) -> None:
        db = self._db
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: not an obligo store ({exc})", "store-corrupt") from None
        if meta.get("magic") != MAGIC or meta.get("schema") != str(SCHEMA):
            raise StoreError(f"{self.path}: not an obligo store (meta table: {meta})", "store-foreign")
        problems = []
        for cid, version in db.execute("SELECT id, version FROM contracts ORDER BY id"):
            key = loaded_key(self.contracts, cid, version)
            if key is not None:  # the key of that version now (x <-> x@1 as versions are added)
                self._keys[cid] = key
                self._known_contracts.add(key)
                continue
            name = cid.partition("@")[0]
            loaded = sorted(c.version for c in self.contracts.values() if c.id == name)
            if not loaded:
                problems.append(f"contract {name!r} (version {version}) is not loaded")
            else:
                problems.append(f"contract {name!r} is at version {', '.join(loaded)}; its tickets were opened "
                                f"under version {version}")
        if problems:
            raise StoreError(f"{self.path}: the database's tickets need other contracts: {'; '.join(problems)}",
                             "store-contracts")
        self._load_stream()

    def _load_stream(self) -> None:
        row = self._db.execute("SELECT now, gen, accepted, duplicates, rejected, open_tickets FROM stream "
                               "WHERE id = 0").fetchone()
        if row is None:
            raise StoreError(f"{self.path}: the stream row is missing", "store-corrupt")
        self._now, self._gen = row[0], row[1]
        self._counters = {"accepted": row[2], "duplicates": row[3], "rejected": row[4], "open_tickets": row[5]}

    # --- writing ----------------------------------------------------------------------------
    def post(self, lines: Sequence[str | bytes]) -> BatchResult:
        """Apply a batch of JSON Lines, in the order given, in one transaction. Bad lines are in
        `rejected` (the codes of `obligo replay`'s rejects, plus `late-event` for an event earlier
        than the stream's clock); an event id already seen is a duplicate and changes nothing."""
        self._open()
        good, rejects = read_log(lines)
        good.sort(key=lambda item: item[1])  # the order given
        rejected = [LineReject(r.line, r.code, r.reason) for r in rejects]
        accepted = duplicates = 0
        out: list[Action] = []

        def work(batch: _Batch) -> tuple[int, int, int]:
            nonlocal accepted, duplicates
            seen = self._seen([event.id for _, _, event, _ in good])
            engine = batch.engine
            fresh = [(at, event.ticket) for at, _, event, _ in good if event.id not in seen]
            if fresh:
                batch.preload([t for _, t in fresh if t is not None], max(at for at, _ in fresh))
            for at, number, event, _text in good:
                if event.id in seen:
                    duplicates += 1
                    continue
                batch.prepare(event.ticket, at)
                try:
                    out.extend(engine.process(event))
                    accepted += 1
                except DuplicateEvent:
                    duplicates += 1
                except EventError as exc:
                    rejected.append(LineReject(number, exc.code, str(exc)))
                    if engine._carry:  # deadline actions fired before the event failed: owed now
                        out.extend(engine._carry)
                        engine._carry = []
            return accepted, duplicates, len(rejected)

        head = self._transaction(work, out)
        rejected.sort(key=lambda r: r.line)
        return BatchResult(accepted, duplicates, rejected, head)

    def advance(self, until: int) -> BatchResult:
        """Fire every pending deadline due at or before `until` (event time, epoch seconds) in one
        transaction; the stream's clock moves to `until` if it is later."""
        self._open()
        out: list[Action] = []

        def work(batch: _Batch) -> tuple[int, int, int]:
            batch.prepare(None, int(until))
            out.extend(batch.engine.advance(int(until)))
            return 0, 0, 0

        head = self._transaction(work, out)
        return BatchResult(0, 0, [], head)

    def _transaction(self, work: Any, out: list[Action]) -> int:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _db_error(exc, self.path) from None
        try:
            batch = _Batch(self)
            accepted, duplicates, rejected = work(batch)
            batch.write(out, accepted, duplicates, rejected)
            db.execute("COMMIT")
        except BaseException as exc:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise _db_error(exc, self.path) from None
            raise
        self._known_contracts |= batch.new_contracts
        cache = self._cache
        for ticket, text, state in batch.cached:
            cache[ticket] = (text, state)
            cache.move_to_end(ticket)
        while len(cache) > CACHE_TICKETS:
            cache.popitem(last=False)
        self._load_stream()
        return self.head()

    def _seen(self, ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(ids))
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i:i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self._db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", chunk))
        return found

    # --- reading ----------------------------------------------------------------------------
    def actions(self, after: int, limit: int = 1000) -> list[tuple[int, str]]:
        """(seq, the action's JSON with `"seq"` first) for seq > `after`, in seq order, at most `limit`."""
        self._open()
        try:
            rows = self._db.execute("SELECT seq, action FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (int(after), max(0, int(limit)))).fetchall()
        except sqlite3.Error as exc:
            raise _db_error(exc, self.path) from None
        return [(seq, f'{{"seq":{seq},{text[1:]}' if len(text) > 2 else f'{{"seq":{seq}}}') for seq, text in rows]

    def head(self) -> int:
        """The last outbox seq (0 when empty)."""
        self._open()
        try:
            row = self._db.execute("SELECT max(seq) FROM outbox").fetchone()
        except sqlite3.Error as exc:
            raise _db_error(exc, self.path) from None
        return int(row[0] or 0)

    def ticket(self, ticket: str) -> dict[str, Any] | None:
        """The ticket's state for people and APIs: attributes, clocks (status, due while running,
        elapsed and paused business seconds at the stream's clock), timers, open obligations,
        pending deadlines; None for a ticket the store does not hold."""
        self._open()
        try:
            row = self._db.execute("SELECT state, quarantined FROM tickets WHERE ticket = ?", (ticket,)).fetchone()
            if row is None:
                return None
            deadlines = self._db.execute("SELECT instant, name, kind FROM deadlines WHERE ticket = ? "
                                         "ORDER BY instant, name, ord, gen", (ticket,)).fetchall()
        except sqlite3.Error as exc:
            raise _db_error(exc, self.path) from None
        try:
            state = ticket_from_dict(_loads(row[0]), self.contracts, self._keys)
        except (SnapshotError, ValueError) as exc:
            raise StoreError(f"{self.path}: the stored state of ticket {ticket!r} cannot be read: {exc}",
                             "store-corrupt") from None
        now = self._now if self._now is not None else state.opened_at
        view = state.to_dict()
        view["contract"] = self.contracts[state.contract].id  # its key is `id@version` when several are loaded
        view["version"] = self.contracts[state.contract].version
        view["now"] = format_instant(now)
        for name, clock in state.clocks.items():
            view["clocks"][name]["elapsed"] = clock.elapsed(now) if clock.status != "stopped" else clock.used
            view["clocks"][name]["paused"] = clock.paused_seconds(now)
            view["clocks"][name]["paused_now"] = clock.status == "paused"
        view["obligations"] = {
            name: {"due": format_instant(ob.due) if ob.due is not None else None, "party": ob.party,
                   "clause": ob.clause, "rule": ob.rule}
            for name, ob in sorted((state.obligations or {}).items())}
        view["quarantined"] = row[1]
        view["deadlines"] = [{"at": format_instant(at), "name": name, "kind": kind} for at, name, kind in deadlines]
        return view

    def metrics(self) -> dict[str, int]:
        """accepted, duplicates, rejected (events, since the database was created), actions (outbox
        rows), open_tickets (opened and not closed), head (last seq)."""
        head = self.head()
        return {**self._counters, "actions": head, "head": head}

    @property
    def now(self) -> int | None:
        """The stream's clock: the greatest instant applied (None before the first event)."""
        return self._now

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self._db.close()
            except sqlite3.Error:
                pass

    def _open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed", "store-closed")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["APPLICATION_ID", "BatchResult", "LineReject", "MAGIC", "SCHEMA", "Store", "StoreError"]

"""`obligo serve` refusals before it serves (token file, database file, options) and the token it
creates; `obligo post` / `tail` usage errors and giving up on an unreachable server. No traceback."""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.language.loader import load_contracts
from engine.service.token import ensure_token

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = str(REPO / "contracts")


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = main(list(argv), io.StringIO(), err)
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


def test_token_file_readable_by_others_is_refused(tmp_path):
    token = tmp_path / "token"
    token.write_text("abc\n")
    token.chmod(0o644)
    code, err = run("serve", "--contracts", CONTRACTS, "--db", str(tmp_path / "x.db"), "--token-file", str(token))
    assert code == 2
    assert "accessible by group or others (mode 0644)" in err and f"chmod 600 {token}" in err
    assert not (tmp_path / "x.db").exists()


def test_missing_or_empty_token_file(tmp_path):
    code, err = run("serve", "--contracts", CONTRACTS, "--db", str(tmp_path / "x.db"), "--token-file",
                    str(tmp_path / "nope"))
    assert code == 2 and "No such file" in err
    empty = tmp_path / "empty"
    empty.touch(mode=0o600)
    code, err = run("serve", "--contracts", CONTRACTS, "--db", str(tmp_path / "x.db"), "--token-file", str(empty))
    assert code == 2 and "is empty" in err


def test_token_created_beside_the_database_with_mode_0600(tmp_path):
    path, token, created = ensure_token(tmp_path / "obligo.db")
    assert created and path == tmp_path / "obligo.db.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 40 and path.read_text().strip() == token
    assert ensure_token(tmp_path / "obligo.db") == (path, token, False)


def _text_file(path: Path) -> None:
    path.write_bytes(b"my precious notes, not a database\n" * 10)


def _other_sqlite_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (x)")
    db.execute("INSERT INTO notes VALUES ('precious')")
    db.commit()
    db.close()


def _truncated_sqlite_header(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 10)


def _corrupt_obligo_store(path: Path) -> None:
    from engine.store import Store

    contracts, _ = load_contracts([CONTRACTS])
    with Store.open(path, contracts) as store:
        store.post([json.dumps({"id": "e1", "ticket": "T-1", "at": "2026-03-02T16:50:00Z", "type": "opened",
                                "contract": "adobe", "attrs": {"plan": "ultimate", "region": "emea",
                                                               "severity": "P2", "channel": "web"}})])
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[page:] = b"\xa5" * (len(data) - page)  # every page but the header's
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, codes", [
    (_text_file, {"store-foreign"}),
    (_other_sqlite_database, {"store-foreign"}),
    (_truncated_sqlite_header, {"store-foreign", "store-corrupt"}),
    (_corrupt_obligo_store, {"store-corrupt"}),
], ids=["text", "other-sqlite", "truncated-header", "corrupt-store"])
def test_foreign_or_corrupt_database_file_is_refused_and_kept(tmp_path, make, codes):
    """At start, before serving: exit 1, one line naming the file and the store's code, the file
    byte for byte as it was and no -wal/-shm left beside it."""
    db = tmp_path / "data.db"
    make(db)
    before = db.read_bytes()
    token = tmp_path / "token"
    fd = os.open(token, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"t\n")
    os.close(fd)
    listing = sorted(p.name for p in tmp_path.iterdir())
    code, err = run("serve", "--contracts", CONTRACTS, "--db", str(db), "--token-file", str(token), "--tick", "off")
    assert code == 1
    assert err.startswith(f"obligo serve: {db}: ") and err.count("\n") == 1, err
    assert any(f"({c})" in err for c in codes), err
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_bad_options(tmp_path):
    for tick in ("soon", "-1", "nan"):
        code, err = run("serve", "--contracts", CONTRACTS, "--db", str(tmp_path / "x.db"), "--tick", tick)
        assert code == 2 and "--tick" in err


def test_post_and_tail_give_up_on_an_unreachable_server(tmp_path):
    token = tmp_path / "token"
    fd = os.open(token, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"t\n")
    os.close(fd)
    events = tmp_path / "events.jsonl"
    events.write_text('{"id": "e1"}\n')
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    code, err = run("post", "--url", url, "--token-file", str(token), "--retries", "1", str(events))
    assert code == 1 and "gave up after 1 retries" in err
    code, err = run("tail", "--url", url, "--token-file", str(token), "--retries", "0", "--after", "5")
    assert code == 1 and "resume with --after 5" in err
    code, err = run("post", "--url", url, "--token-file", str(tmp_path / "none"), str(events))
    assert code == 2

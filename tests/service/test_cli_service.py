"""`obligo serve` refusals before it serves (token file, database file, options) and the token it
creates; `obligo post` / `tail` usage errors and giving up on an unreachable server. No traceback."""

from __future__ import annotations

import io
import os
import socket
import stat
from pathlib import Path

from engine.cli.main import main
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


def test_foreign_database_file_is_refused_and_kept(tmp_path):
    db = tmp_path / "notes.db"
    db.write_bytes(b"my precious notes, not a database\n" * 10)
    before = db.read_bytes()
    code, err = run("serve", "--contracts", CONTRACTS, "--db", str(db), "--tick", "off")
    assert code == 1 and "store-" in err
    assert db.read_bytes() == before


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

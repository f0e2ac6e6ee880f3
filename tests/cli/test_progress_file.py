"""`obligo replay`'s progress bar: a seekable file counting its bytes over both passes; a bar on
a terminal only, the output the same with or without it."""

from __future__ import annotations

import io
from pathlib import Path

from engine.cli.main import main
from engine.cli.progress_file import EVERY, ProgressFile

ROOT = Path(__file__).resolve().parents[2]


def test_it_counts_both_passes_forward_and_stays_seekable(tmp_path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"".join(b"%d\n" % i for i in range(2 * EVERY + 5)))
    size = path.stat().st_size
    seen: list[int] = []
    with path.open("rb") as handle:
        wrapped = ProgressFile(handle, seen.append)
        assert wrapped.seekable()
        first = list(wrapped)
        wrapped.seek(0)
        assert list(wrapped) == first
    assert seen == sorted(seen) and seen[-1] == 2 * size
    assert len(seen) == 6  # every EVERY lines and at the end of each pass


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_the_actions_are_the_same(tmp_path) -> None:
    log = ROOT / "bench" / "sample-events.jsonl"
    outputs = []
    for err in (io.StringIO(), _Terminal()):
        out = tmp_path / "out.jsonl"
        assert main(["replay", "--contracts", str(ROOT / "contracts"), str(log), "--out", str(out)],
                    io.StringIO(), err) == 0
        outputs.append((out.read_text(encoding="utf-8"), err.getvalue()))
    (plain_out, plain_err), (tty_out, tty_err) = outputs
    assert plain_out == tty_out
    assert "obligo replay: reading" not in plain_err
    assert "obligo replay: reading" in tty_err and "%" in tty_err

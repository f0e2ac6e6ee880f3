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


def test_the_replay_reads_it_in_blocks_as_it_reads_a_file(tmp_path) -> None:
    """A binary stream: iter_log and the order check take it block by block (one bar update a
    block), with the very items of the plain file."""
    from engine.replay.lines import iter_log
    from engine.replay.sort import in_time_order

    log = ROOT / "bench" / "sample-events.jsonl"
    size = log.stat().st_size
    seen: list[int] = []
    with log.open("rb") as plain, log.open("rb") as handle:
        wrapped = ProgressFile(handle, seen.append)
        assert isinstance(wrapped, io.BufferedIOBase)
        assert in_time_order(wrapped) == in_time_order(plain)
        plain.seek(0)
        wrapped.seek(0)
        assert [_item(i) for i in iter_log(wrapped)] == [_item(i) for i in iter_log(plain)]
    assert seen == sorted(seen) and seen[-1] == 2 * size
    assert len(seen) <= 2 * (size // (1 << 20) + 2)  # a few updates a pass, not one a line


def _item(item):
    return item if not isinstance(item, tuple) else (item[0], item[1], item[3])


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

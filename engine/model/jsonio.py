"""JSON in and out on the hot paths, with orjson where it gives exactly what the json module would.

orjson parses a log line about 3x and writes an action about 7x faster than the json module
(bench: 3.1 -> 1.0 us per event, 4.2 -> 0.6 us per action), which is a tenth of a replay end to
end. Two of its behaviours differ from the json module's, and both are handled here so that what
is accepted and the values read never depend on which library did the work:
- it reads an integer beyond 64 bits as a float (silently): a text holding a run of 19 digits or
  more is read by the json module instead;
- it refuses to write an integer beyond 64 bits: such a value is written by the json module
  instead, in the same compact format.
Everything it refuses to read (NaN, 1e999, a lone surrogate escape, deep nesting) the caller
reads again with the json module, whose errors carry the reasons users see (engine.model.events).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import orjson

# A run of 19 ASCII digits (`[0-9]{19}`), found as 19 zeros in the bytes with every digit made a
# zero: a table translation and a substring search, both in C, 0.3 us a line where the regex took
# 1.5 (and 20 times less over a block of lines: the regex has no literal to skip ahead with).
_DIGITS_TO_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_ZEROS: Final = b"0" * 19
_ORJSON_DUMPS: Final = orjson.dumps  # a C static in the compiled build: no module attribute look-up per action
_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# A JSON text, or a log line, as callers hand it over. bytearray is named because the compiled
# build (setup.py) checks declared types at run time, and callers of replay pass bytearray lines.
Text = str | bytes | bytearray


def fast_loads(text: Text, fallback: Callable[[Any], Any]) -> Any:
    """`text` decoded by orjson when its value is certain to equal the json module's; otherwise
    (a long digit run, or anything orjson refuses) by `fallback`, which raises the user's reason."""
    if not has_long_number(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return fallback(text)


def has_long_number(data: bytes | bytearray) -> bool:
    """Whether `data` holds a run of 19 ASCII digits or more, where orjson's reading of a number may
    not be the json module's (in UTF-8, no byte of another character is an ASCII digit)."""
    return _NINETEEN_ZEROS in data.translate(_DIGITS_TO_ZERO)


def loads(text: str | bytes) -> Any:
    """Our own stored JSON (ticket states) back to values: exact, like `json.loads`."""
    return fast_loads(text, json.loads)


def dumps(value: Any) -> str:
    """Compact JSON text (no spaces, UTF-8 characters as they are): the format of every JSONL line
    Obligo writes. Keys in the dict's order, so output is byte-stable."""
    try:
        return _ORJSON_DUMPS(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, or a type orjson does not know
        return _COMPACT.encode(value)


__all__ = ["dumps", "fast_loads", "has_long_number", "loads"]

"""engine.model.jsonio: orjson where its answer is the json module's, the json module elsewhere."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model.events import EventError, parse_json
from engine.model.jsonio import dumps, has_long_number, loads

# JSON values as users send them: big integers, floats, any text (no lone surrogates: not JSON text)
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_scalars = st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) \
    | st.floats(allow_nan=False, allow_infinity=False) | _text
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                       max_leaves=20)


@given(_values)
def test_loads_equals_the_json_module_whatever_the_value(value) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert loads(text) == json.loads(text)
    assert loads(text.encode("utf-8")) == json.loads(text)


@given(_values)
def test_dumps_is_compact_json_that_reads_back_to_the_same_value(value) -> None:
    text = dumps(value)
    assert json.loads(text) == value
    # no space after separators, characters as they are (orjson and the fallback write the same format)
    if not any(isinstance(x, float) for x in _leaves(value)):
        assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_an_integer_beyond_64_bits_stays_an_exact_integer_in_and_out() -> None:
    big = 123456789012345678901234567890
    assert loads(f'{{"n": {big}}}') == {"n": big}  # orjson alone would give a float
    assert parse_json(f'{{"n": {big}}}') == {"n": big}
    assert dumps({"n": big}) == f'{{"n":{big}}}'  # orjson alone refuses to write it


@pytest.mark.parametrize(("line", "reason"), [
    ('{"a": NaN}', "NaN is not a JSON number"),
    ('{"a": 1e999}', "1e999 is too large for a number"),
    ('{"a": "\\ud800"}', "lone surrogate U+D800"),
    ('{"a": 1,}', "invalid JSON: Expecting property name enclosed in double quotes at column 9"),
])
def test_what_orjson_refuses_gets_the_json_modules_reason(line: str, reason: str) -> None:
    with pytest.raises(EventError) as caught:
        parse_json(line)
    assert caught.value.code == "invalid-json"
    assert reason in str(caught.value)


@given(st.text(alphabet=st.sampled_from("0123456789٣ 1a\u0660\ud800"), max_size=60))
def test_a_long_number_is_a_run_of_19_ascii_digits(text: str) -> None:
    expected = re.search(r"[0-9]{19}", text) is not None
    assert has_long_number(text.encode("utf-8", "surrogatepass")) is expected
    assert has_long_number(b"x" + b"1234567890" * 2) and not has_long_number(b"123456789012345678 1")

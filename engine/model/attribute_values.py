"""What values an event may give a declared attribute: the one check shared by validation and runtime.

`engine.language.attributes` uses it to check the literals a contract compares attributes with;
the compiled contract (`engine.language.model`) uses it to reject an event giving a declared
attribute a value of the wrong type or outside its `values` (`invalid-attribute`). It lives in the
model layer so that evaluation checks events without importing the YAML front end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from engine.model.events import EventError, parse_instant

TYPE_TEXT = {"string": "a string", "boolean": "true or false", "integer": "an integer", "number": "a number",
             "object": "an object", "instant": "an RFC 3339 instant with an offset"}


class Declared(Protocol):
    """What a check reads of a declaration: AttributeSpec (validation) or model.Attribute (compiled)."""

    @property
    def type(self) -> str: ...
    @property
    def values(self) -> tuple | None: ...


def value_problem(spec: Declared, value: Any) -> str | None:
    """Why `value` is not allowed for the attribute `spec` declares (None when it is); None (unset)
    is always allowed."""
    if value is None:
        return None
    if not has_type(value, spec.type):
        return f"expected {TYPE_TEXT.get(spec.type, spec.type)}, got {show_value(value)}"
    if spec.values is not None and not any(same_value(value, v) for v in spec.values):
        return f"expected one of {', '.join(show_value(v) for v in spec.values)}, got {show_value(value)}"
    return None


def has_type(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "instant":
        try:
            parse_instant(value)
        except EventError:
            return False
        return True
    return True


def same_value(a: Any, b: Any) -> bool:
    """Equal, and a boolean never equals a number (True == 1 in Python)."""
    return a == b and (type(a) is bool) == (type(b) is bool)


def show_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def event_attribute_problem(specs: Mapping[str, Declared], attrs: Mapping[str, Any]) -> tuple[str, str] | None:
    """(`invalid-attribute`, reason) for the first declared attribute `attrs` gives a value its
    declaration does not allow; None when every declared one is fine (undeclared ones are free)."""
    for name, value in attrs.items():
        spec = specs.get(name)
        if spec is not None:
            problem = value_problem(spec, value)
            if problem is not None:
                return "invalid-attribute", f"attrs.{name}: {problem} (declared under the contract's `attributes:`)"
    return None

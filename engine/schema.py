"""JSON Schema validation (draft 2020-12) of loaded documents, reported as located diagnostics."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from .diagnostics import Diagnostic, did_you_mean
from .load import Document

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
_BASE = "https://obligo.dev/schemas/"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator for one document kind: contract, rules, event, action, scenario."""
    schema = _registry().contents(f"{_BASE}{kind}.schema.json")
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "a valid value"
    if "description" in schema:
        return schema["description"]
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if "pattern" in schema:
        return f"text matching {schema['pattern']}"
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return " or ".join(kinds)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_expected(s) for s in schema[key])
    return "a valid value"


def _message(error: ValidationError) -> tuple[str, tuple, bool]:
    """(message, json path, point-at-key) for one schema error, in words a contract author reads."""
    path = tuple(error.absolute_path)
    field = path[-1] if path else "the top level"
    if error.validator == "additionalProperties":
        allowed = list((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        if extra and allowed:
            name = extra[0]
            return f"unknown field '{name}'{did_you_mean(name, allowed)}", (*path, name), True
        if extra:
            return f"field '{extra[0]}' is not allowed here", (*path, extra[0]), True
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field '{missing}' in '{field}'", path, False
    if error.validator in ("anyOf", "oneOf") and error.context:
        deeper = best_match(error.context)
        if deeper is not None and deeper.validator not in ("type", "const", "pattern", "enum"):
            return _message(deeper)
        return f"'{field}' is {_describe(error.instance)}; expected {_expected(error.schema)}", path, False
    if error.validator == "enum":
        return (f"'{field}' is {_describe(error.instance)}{did_you_mean(error.instance, map(str, error.validator_value))}",
                path, False)
    if error.validator in ("type", "pattern", "const", "format"):
        return f"'{field}' is {_describe(error.instance)}; expected {_expected(error.schema)}", path, False
    if error.validator in ("minProperties", "minItems"):
        return f"'{field}' is empty; expected at least {error.validator_value} item(s)", path, False
    if error.validator == "maxProperties":
        return f"'{field}' must hold exactly one key (one action per list item), got {len(error.instance)}", path, False
    if error.validator == "propertyNames":
        return f"'{field}' has an invalid key: {error.message}", path, False
    return f"'{field}': {error.message}", path, False


def schema_diagnostics(doc: Document, kind: str) -> list[Diagnostic]:
    """Every schema violation of `doc` as a `schema` diagnostic at its line/column."""
    out = []
    seen = set()
    errors = sorted(validator(kind).iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        message, path, key = _message(error)
        if (message, path) in seen:
            continue
        seen.add((message, path))
        out.append(doc.diag("schema", message, path, key=key))
    out.sort(key=lambda d: (d.line or 0, d.col or 0))
    return out


def instance_errors(instance: Any, kind: str) -> list[str]:
    """Schema problems of a plain value (an event line), as short sentences."""
    out = []
    for error in sorted(validator(kind).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
        message, path, _ = _message(error)
        where = ".".join(str(p) for p in path)
        out.append(message if not where or where in message else f"{where}: {message}")
    return out

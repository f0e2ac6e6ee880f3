"""JSON Schema validation (draft 2020-12) of loaded documents, reported as located diagnostics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from engine.language.load import Document
from engine.language.resources import SCHEMAS
from engine.model.diagnostics import Diagnostic, did_you_mean

_BASE = "https://obligo.dev/schemas/"


@cache
def _registry() -> Registry:
    resources = []
    for entry in sorted(SCHEMAS.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".schema.json"):
            continue
        schema = json.loads(entry.read_text(encoding="utf-8"))
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


_TYPES = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number", "number": "a number",
          "boolean": "true or false", "null": "null"}
_FORMATS = {"date": "a date YYYY-MM-DD", "date-time": "an RFC 3339 date-time"}


def _show(value: Any) -> str:
    """A value as the author writes it in YAML/JSON (true, null), not as Python prints it."""
    return value if isinstance(value, str) else json.dumps(value)


def _expected(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "a valid value"
    if "description" in schema:
        return schema["description"]
    if "enum" in schema:
        return "one of " + ", ".join(_show(v) for v in schema["enum"])
    if "const" in schema:
        return f"'{_show(schema['const'])}'"
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return f"text matching {schema['pattern']}"
    if "type" in schema:
        kinds: list[str] = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return " or ".join(_TYPES.get(k, k) for k in kinds)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_expected(s) for s in schema[key])
    return "a valid value"


def _fits(error: ValidationError) -> bool:
    """False when an anyOf/oneOf branch rejects the value for its kind (wrong type, not the constant)."""
    if error.relative_path:
        return True
    if error.validator in ("type", "const", "enum"):
        return False
    if error.validator in ("anyOf", "oneOf") and error.context:
        return bool(_fitting(error))
    return True


def _fitting(error: ValidationError) -> list[ValidationError]:
    """The errors of the branches of an anyOf/oneOf that fit the kind of value written."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return [sub for group in branches.values() if all(_fits(e) for e in group) for sub in group]


def _one_of_keys(schema: Mapping[str, Any]) -> list[str] | None:
    """['severities', 'all'] for `oneOf: [{required: [severities]}, {required: [all]}]`, else None."""
    branches = schema.get("oneOf") or []
    if branches and all(isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches):
        return [b["required"][0] for b in branches]
    return None


def _quote_hint(error: ValidationError) -> str:
    """`version: 2026.1` is a number to YAML: say how to make it text."""
    value = error.instance
    kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    if error.validator == "type" and "string" in kinds and isinstance(value, (int, float)) and value is not None:
        return f"; write it in quotes: \"{_show(value)}\""
    return ""


def _field(path: tuple) -> str:
    """The name to show for the value at `path`: its key, or `key[i]` for a list item."""
    if not path:
        return "the top level"
    if isinstance(path[-1], int) and len(path) > 1:
        return f"{path[-2]}[{path[-1]}]"
    return str(path[-1])


def _message(error: ValidationError) -> tuple[str, tuple, bool]:
    """(message, json path, point-at-key) for one schema error, in words a contract author reads."""
    path = tuple(error.absolute_path)
    field = _field(path)
    # the (sub)schema that failed: a mapping for every keyword error (only a `false` schema is a bool)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties":
        allowed = list((schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        if extra and allowed:
            name = extra[0]
            if name.startswith("$") and "patternProperties" in schema:  # a condition: fields or operators
                operators = [k for k in allowed if k.startswith("$")]
                hint = did_you_mean(name, operators) or f"; expected one of: {', '.join(operators)}"
                if name == "$eq":
                    hint = "; equality is written {field: value}, e.g. {ticket.severity: P1}"
                return f"unknown operator '{name}'{hint}", (*path, name), True
            return f"unknown field '{name}'{did_you_mean(name, allowed)}", (*path, name), True
        if extra:
            return f"field '{extra[0]}' is not allowed here", (*path, extra[0]), True
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field '{missing}' in '{field}'", path, False
    if error.validator == "oneOf" and (keys := _one_of_keys(schema)) is not None:
        given = [k for k in keys if isinstance(error.instance, dict) and k in error.instance]
        names = " or ".join(f"'{k}'" for k in keys)
        if given:
            return f"'{field}' has both {' and '.join(repr(k) for k in given)}; give only one of {names}", path, False
        return f"'{field}' needs one of {names}", path, False
    if error.validator in ("anyOf", "oneOf") and error.context:
        # explain the branch that fits what was written (an object -> the object branch), not the
        # first alternative: `{duration: 2 hrs}` is a bad duration, not "expected a string"
        candidates = _fitting(error)
        # a misspelled key explains the "missing" one it was meant to be: name it first
        candidates = [e for e in candidates if e.validator == "additionalProperties"] or candidates
        deeper = best_match(candidates) if candidates else None
        if deeper is not None and (deeper.relative_path or deeper.validator not in ("type", "const", "pattern", "enum")):
            return _message(deeper)
        return f"'{field}' is {_describe(error.instance)}; expected {_expected(error.schema)}", path, False
    if "propertyNames" in error.relative_schema_path:  # the instance is the offending key
        name = str(error.instance)
        return f"'{field}' has an invalid key '{name}'; expected {_expected(error.schema)}", (*path, name), True
    if error.validator == "enum":
        options = error.validator_value if isinstance(error.validator_value, list) else []  # `enum` is a list
        return (f"'{field}' is {_describe(error.instance)}{did_you_mean(error.instance, map(_show, options))}",
                path, False)
    if error.validator in ("type", "pattern", "const", "format"):
        return f"'{field}' is {_describe(error.instance)}; expected {_expected(error.schema)}{_quote_hint(error)}", path, False
    if error.validator in ("minProperties", "minItems"):
        return f"'{field}' is empty; expected at least {error.validator_value} item(s)", path, False
    if error.validator == "maxProperties" and isinstance(error.instance, Mapping):  # only an object has properties
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


# --- one self-contained document per kind (`obligo schema`, for editors) ----------------------------

BUNDLE_KINDS = ("action", "contract", "event", "mapping", "rules", "scenario")  # common.schema.json is a library


def bundled(kind: str) -> dict[str, Any]:
    """The schema of `kind` as one document an editor can use alone: each `$defs` of the other
    schema files it reaches (transitively) merged into its own `$defs`, and every reference to
    another file rewritten to a local `#/$defs/...` pointer (a JSON pointer works whatever draft
    the editor assumes; an embedded `$id` resource would not). ValueError on a `$defs` name clash."""
    documents = {entry.name: json.loads(entry.read_text(encoding="utf-8"))
                 for entry in SCHEMAS.iterdir() if entry.name.endswith(".schema.json")}
    root = json.loads(json.dumps(documents[f"{kind}.schema.json"]))  # a private copy to rewrite
    defs: dict[str, Any] = dict(root.get("$defs", {}))
    todo, done = [f"{kind}.schema.json"], set()

    def local(node: Any, owner: str) -> Any:
        """`node` with its references to other files made local; their files queued for merging."""
        if isinstance(node, list):
            return [local(item, owner) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: local(value, owner) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            target, _, fragment = urljoin(f"{_BASE}{owner}", ref).partition("#")
            name = target.removeprefix(_BASE)
            if name not in documents or not fragment.startswith("/$defs/"):
                raise ValueError(f"{owner}: cannot bundle the reference {ref!r}")
            out["$ref"] = "#" + fragment
            if name not in done:
                todo.append(name)
        return out

    while todo:
        name = todo.pop(0)
        if name in done:
            continue
        done.add(name)
        if name == f"{kind}.schema.json":
            root = local(root, name)
            defs.update(root.get("$defs", {}))
            continue
        for key, value in documents[name].get("$defs", {}).items():
            value = local(value, name)
            if key in defs and defs[key] != value:
                raise ValueError(f"cannot bundle {kind}: $defs/{key} of {name} clashes with another definition")
            defs[key] = value
    if defs:
        root["$defs"] = dict(sorted(defs.items()))
    return root

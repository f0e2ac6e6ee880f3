"""Expand a contract document: `${param}` substitution and included rule documents.

The result is a plain dict in which every rule, target and obligation holds concrete values, each
rule remembering the document and JSON path it came from so later stages can locate diagnostics
in the right file (the contract or the included rule document).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, did_you_mean
from .load import Document, load_file
from .schema import schema_diagnostics

_PARAM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class Origin:
    """Where a piece of an expanded contract was written."""

    doc: Document
    path: tuple

    def diag(self, code: str, message: str, sub: tuple = (), key: bool = False) -> Diagnostic:
        return self.doc.diag(code, message, (*self.path, *sub), key=key)


@dataclass
class Expanded:
    """A contract with parameters substituted and includes inlined; rules carry their origin."""

    doc: Document
    data: dict
    params: dict[str, Any]
    rules: list[tuple[str, dict, Origin]]  # (compiled rule id, rule, origin)


def substitute(value: Any, params: dict[str, Any], origin: Origin, path: tuple, out: list[Diagnostic],
               quiet: frozenset[str] = frozenset()) -> Any:
    """Replace `${name}`: a whole string takes the value with its type, inside text or a key its str().

    Unknown names are reported, except those in `quiet` (already reported, e.g. an include's
    missing parameter), and left as written.
    """

    def unknown(name: str, where: tuple, key: bool = False) -> None:
        if name not in quiet:
            out.append(origin.diag("unknown-parameter", f"unknown parameter '{name}'{did_you_mean(name, params)}",
                                   where, key=key))

    def text(value: str, where: tuple, key: bool = False) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name not in params:
                unknown(name, where, key)
                return match.group(0)
            return str(params[name])

        return _PARAM.sub(one, value)

    def walk(value: Any, path: tuple) -> Any:
        if isinstance(value, str):
            whole = _WHOLE.match(value)
            if whole:
                name = whole.group(1)
                if name in params:
                    return params[name]
                unknown(name, path)
                return value
            return text(value, path)
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, dict):  # keys always take the text (a list cannot be a key)
            return {text(k, (*path, k), key=True) if isinstance(k, str) else k: walk(v, (*path, k))
                    for k, v in value.items()}
        return value

    return walk(value, path)


def contract_params(data: dict, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Parameter values: the contract's, then overrides, plus the built-in ones."""
    params = {name: spec.get("value") for name, spec in (data.get("parameters") or {}).items() if isinstance(spec, dict)}
    params.update(overrides or {})
    params["exclusion_categories"] = list((data.get("exclusions") or {}).keys())
    params["contract_id"] = data.get("id")
    return params


def expand(doc: Document, overrides: dict[str, Any] | None = None) -> tuple[Expanded, list[Diagnostic]]:
    """Substitute parameters and inline includes; diagnostics for unknown params and bad includes."""
    diags: list[Diagnostic] = []
    data = doc.data
    unknown = sorted(set(overrides or {}) - set(data.get("parameters") or {}))
    for name in unknown:
        known = (data.get("parameters") or {}).keys()
        diags.append(doc.diag("unknown-parameter", f"override of unknown parameter '{name}'{did_you_mean(name, known)}",
                              ("parameters",)))
    params = contract_params(data, overrides)
    root = Origin(doc, ())
    expanded = {key: (value if key in ("parameters", "assumptions", "not_encoded", "include", "rules")
                      else substitute(value, params, root, (key,), diags))
                for key, value in data.items()}
    contract_id = data.get("id", "contract")
    rules: list[tuple[str, dict, Origin]] = []
    for i, rule in enumerate(data.get("rules") or []):
        origin = Origin(doc, ("rules", i))
        rules.append((f"{contract_id}.{rule.get('id')}", substitute(rule, params, origin, (), diags), origin))
    for i, inc in enumerate(data.get("include") or []):
        rules.extend(_include(doc, inc, ("include", i), params, contract_id, diags))
    return Expanded(doc, expanded, params, rules), diags


def _include(doc: Document, inc: dict, path: tuple, params: dict, contract_id: str,
             diags: list[Diagnostic]) -> list[tuple[str, dict, Origin]]:
    target = os.path.normpath(Path(doc.file).parent / str(inc.get("rules")))
    rule_doc, problems = load_file(target)
    if rule_doc is None:
        for p in problems:
            where = f"line {p.line}, column {p.col or 1}: " if p.line is not None else ""
            diags.append(doc.diag("include", f"cannot include '{inc.get('rules')}': {where}{p.message}", (*path, "rules")))
        return []
    diags.extend(problems)
    schema_problems = schema_diagnostics(rule_doc, "rules")
    if schema_problems:
        diags.extend(schema_problems)
        return []
    declared = rule_doc.data.get("params") or {}
    given = substitute(inc.get("with") or {}, params, Origin(doc, path), ("with",), diags)
    for name in given:
        if name not in declared:
            diags.append(doc.diag("unknown-parameter",
                                  f"'{rule_doc.data['id']}' has no parameter '{name}'{did_you_mean(name, declared)}",
                                  (*path, "with", name), key=True))
    for name in declared:
        if name not in given:
            diags.append(doc.diag("missing-parameter",
                                  f"include of '{rule_doc.data['id']}' needs parameter '{name}' ({declared[name]})",
                                  (*path, "with")))
    scope = {**{k: v for k, v in params.items() if k in ("exclusion_categories", "contract_id")}, **given}
    prefix = f"{contract_id}.{inc.get('as') or rule_doc.data['id']}"
    out = []
    missing = frozenset(name for name in declared if name not in given)  # reported above, once
    for j, rule in enumerate(rule_doc.data["rules"]):
        origin = Origin(rule_doc, ("rules", j))
        out.append((f"{prefix}.{rule.get('id')}", substitute(rule, scope, origin, (), diags, missing), origin))
    return out

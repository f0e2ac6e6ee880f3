"""Expand a contract document: `${param}` substitution and included rule documents.

The result is a plain dict in which every rule, target and obligation holds concrete values, each
rule remembering the document and JSON path it came from so later stages can locate diagnostics
in the right file (the contract or the included rule document).

An include names either a standard rule document by name (`rules: sla-clock`, shipped in the
package, `engine/rules/`), or a file by a path relative to the contract, which must stay inside
the contract's own folder (and below). The check is made on the path with symlinks resolved and
before the file is opened, so a contract cannot read, merge or echo a file outside its tree.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.language.load import MAX_DEPTH, MAX_NODES, Document, load_file
from engine.language.resources import standard_rule_names, standard_rules_dir
from engine.language.schema import schema_diagnostics
from engine.model.diagnostics import Diagnostic, did_you_mean

_PARAM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class Origin:
    """Where a piece of an expanded contract was written (`include`: for a rule of an included
    document, the path of that include entry in the contract, e.g. ("include", 0); `contract`: the
    including contract's document).

    A problem in an included rule is located where the author can fix it: at the include's
    `with: {name: ...}` when the value came whole from that parameter, else, for a standard rule
    document (package data the author cannot edit), at the include entry itself, naming the
    document and line; else in the rule document."""

    doc: Document
    path: tuple
    include: tuple = ()
    contract: Document | None = None

    def diag(self, code: str, message: str, sub: tuple = (), key: bool = False) -> Diagnostic:
        full = (*self.path, *sub)
        if self.contract is not None and self.include:
            site = None if key else self._given_at(full)
            if site is not None:
                return self.contract.diag(code, message, site)
            if Path(self.doc.file).resolve().parent == BUILTIN_RULES:
                line, _ = self.doc.locate(full, key=key)
                name = Path(self.doc.file).stem
                return self.contract.diag(code, f"{message} (in the standard rule document '{name}', line {line})",
                                          (*self.include, "rules"))
        return self.doc.diag(code, message, full, key=key)

    def _given_at(self, full: tuple) -> tuple | None:
        """The path in the contract of the `with:` value that `full` was substituted from, if any."""
        assert self.contract is not None
        given = _at(self.contract.data, (*self.include, "with"))
        if not isinstance(given, dict):
            return None
        for n in range(len(full), 0, -1):
            written = _at(self.doc.data, full[:n])
            if isinstance(written, str):
                whole = _WHOLE.match(written)
                if whole is None or whole.group(1) not in given:
                    return None
                site = (*self.include, "with", whole.group(1))
                rest = full[n:]
                return (*site, *rest) if rest and _at(self.contract.data, (*site, *rest)) is not None else site
            if written is not None and not isinstance(written, (dict, list)):
                return None
        return None


def _at(data: Any, path: tuple) -> Any:
    """The value at a JSON path of a loaded document (None when the path does not lead anywhere)."""
    for step in path:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data


@dataclass
class Expanded:
    """A contract with parameters substituted and includes inlined; rules carry their origin."""

    doc: Document
    data: dict
    params: dict[str, Any]
    rules: list[tuple[str, dict, Origin]]  # (compiled rule id, rule, origin)
    included: list[str] = field(default_factory=list)  # the rule documents read for it (resolved paths)


def _placeholders(value: Any) -> list[str]:
    """The `${name}` texts anywhere inside a value."""
    if isinstance(value, str):
        return [m.group(0) for m in _PARAM.finditer(value)]
    if isinstance(value, list):
        return [p for v in value for p in _placeholders(v)]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in (*_placeholders(k), *_placeholders(v))]
    return []


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


BUILTIN_RULES = standard_rules_dir().resolve()  # the standard rule documents, package data


_STANDARD_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # `rules: sla-clock`: no dot, no slash


def standard_rule_file(written: Any) -> Path | None:
    """The packaged rule document an include names (`rules: sla-clock`), or None for a path."""
    if isinstance(written, str) and _STANDARD_NAME.match(written):
        return BUILTIN_RULES / f"{written}.yaml"
    return None


def expand(doc: Document, overrides: dict[str, Any] | None = None) -> tuple[Expanded, list[Diagnostic]]:
    """Substitute parameters and inline includes; diagnostics for unknown params and bad includes.

    Standard rule documents are included by name from anywhere; files of one's own by a path
    inside the contract's folder tree."""
    diags: list[Diagnostic] = []
    data = doc.data
    unknown = sorted(set(overrides or {}) - set(data.get("parameters") or {}))
    for name in unknown:
        known = (data.get("parameters") or {}).keys()
        diags.append(doc.diag("unknown-parameter", f"override of unknown parameter '{name}'{did_you_mean(name, known)}",
                              ("parameters",)))
    overrides = dict(overrides or {})
    for name in sorted(overrides):
        problem = _value_problem(overrides[name])
        if problem is not None:  # the contract's own value stays
            diags.append(doc.diag(problem[0], f"override of parameter '{name}': {problem[1]}", ("parameters", name)))
            del overrides[name]
    params = contract_params(data, overrides)
    for name in sorted(n for n in (data.get("parameters") or {}) if _placeholders(params.get(n))):
        # substitution is one pass: a `${...}` inside a parameter's value would reach a duration or
        # condition unresolved (and unreported: `validate` skips what expansion should have reported)
        where = ("parameters", name) if name in overrides else ("parameters", name, "value")
        diags.append(doc.diag("unknown-parameter", f"parameter '{name}' holds {_placeholders(params[name])[0]}: a "
                              "parameter's value cannot refer to a parameter; write the value itself", where))
    root = Origin(doc, ())
    expanded = {key: (value if key in ("parameters", "clauses", "assumptions", "not_encoded", "include", "rules")
                      else substitute(value, params, root, (key,), diags))
                for key, value in data.items()}
    contract_id = data.get("id", "contract")
    rules: list[tuple[str, dict, Origin]] = []
    for i, rule in enumerate(data.get("rules") or []):
        origin = Origin(doc, ("rules", i))
        rules.append((f"{contract_id}.{rule.get('id')}", substitute(rule, params, origin, (), diags), origin))
    scope = _Scope.of(doc.file)
    included: list[str] = []
    for i, inc in enumerate(data.get("include") or []):
        rules.extend(_include(doc, inc, ("include", i), params, contract_id, diags, scope, included))
    return Expanded(doc, expanded, params, rules, included), diags


def _value_problem(value: Any) -> tuple[str, str] | None:
    """(code, message) when an override value is over the loading limits, counted as the tree it
    stands for: `--param` values are read by plain `yaml.safe_load`, whose aliases share (and can
    nest) lists, so a short value may stand for billions of values or contain itself."""
    stack, count = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            return "too-large", f"more than {MAX_NODES:,} values once aliases are expanded"
        if depth > MAX_DEPTH:
            return "too-deep", f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


@dataclass(frozen=True)
class _Scope:
    """Where a contract's includes may read: its folder and below, symlinks resolved."""

    contract: Path  # the contract file, resolved
    root: Path  # its folder, resolved
    shown: str  # the folder as the author knows it, for messages

    @classmethod
    def of(cls, contract_file: str) -> _Scope:
        folder = Path(contract_file).parent
        return cls(Path(contract_file).resolve(), folder.resolve(), os.path.normpath(folder))

    def allows(self, path: Path) -> bool:
        return path.is_relative_to(self.root)

    def name(self, path: Path) -> str:
        """`path` relative to the contract's folder, as an include would write it."""
        return os.path.relpath(path, self.root)

    def refusal(self) -> str:
        return (f"an include must name a file inside the contract's folder ({self.shown}) or below it, or a "
                "standard rule document by name (e.g. 'sla-clock')")


def _resolve(base: Path, written: Any) -> Path | None:
    """`written` relative to `base`, symlinks and `..` resolved (None: not a usable file name)."""
    try:
        return (base / str(written)).resolve()
    except (OSError, ValueError):  # an embedded NUL, a name too long for the system
        return None


def _include_problem(written: Any, target: Path | None, scope: _Scope) -> tuple[str, str] | None:
    """(code, message) when the include may not be read: outside the scope, a cycle, not a file."""
    if target is None:
        return "include", f"cannot include {written!r}: not a usable file name"
    if not scope.allows(target):
        return "include-outside", f"cannot include '{written}': {scope.refusal()}"
    if target == scope.contract:
        name = scope.name(target)
        return "include-cycle", f"include cycle: {name} -> {name} (a contract cannot include itself)"
    try:
        mode = target.stat().st_mode
    except OSError:
        return None  # missing or unreadable: load_file says which
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return "include", f"cannot include '{written}': not a regular file"
    return None


def _cycle_back(rule_doc: Document, target: Path, scope: _Scope) -> str | None:
    """The chain `a.yaml -> b.yaml -> a.yaml` when the included document includes the contract (or
    itself) back. Rule documents cannot include (the schema says so), so one step is all there is."""
    entries = rule_doc.data.get("include")
    for entry in entries if isinstance(entries, list) else []:
        back = _resolve(target.parent, entry.get("rules")) if isinstance(entry, dict) else None
        if back in (scope.contract, target):
            return " -> ".join(scope.name(p) for p in (scope.contract, target, back))
    return None


def _include(doc: Document, inc: dict, path: tuple, params: dict, contract_id: str,
             diags: list[Diagnostic], scope: _Scope, included: list[str]) -> list[tuple[str, dict, Origin]]:
    written = inc.get("rules")
    standard = standard_rule_file(written)
    target: Path | None
    if standard is not None:
        if written not in standard_rule_names():  # a name, not a path: no file system look-up (a 5,000-letter name)
            diags.append(doc.diag("unknown-rules", f"no standard rule document '{written}'"
                                  f"{did_you_mean(str(written), standard_rule_names())} (a file of your own is "
                                  "included by its path, e.g. 'rules/mine.yaml')", (*path, "rules")))
            return []
        shown, target, problem = str(standard), standard, None
    else:
        shown = os.path.normpath(Path(doc.file).parent / str(written))  # how diagnostics name the file
        target = _resolve(Path(doc.file).parent, written)
        problem = _include_problem(written, target, scope)
    if problem is not None:
        diags.append(doc.diag(*problem, (*path, "rules")))
        return []
    assert target is not None  # _include_problem reports an unusable file name (target None) as a problem
    rule_doc, problems = load_file(target, shown)
    included.append(str(target))
    if rule_doc is None:
        for p in problems:
            where = f"line {p.line}, column {p.col or 1}: " if p.line is not None else ""
            diags.append(doc.diag("include", f"cannot include '{written}': {where}{p.message}", (*path, "rules")))
        return []
    chain = _cycle_back(rule_doc, target, scope)
    if chain is not None:
        diags.append(doc.diag("include-cycle", f"include cycle: {chain}", (*path, "rules")))
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
    # the rule document's parameters (a new name: `scope` is the include scope, not a parameter dict)
    rule_params = {**{k: v for k, v in params.items() if k in ("exclusion_categories", "contract_id")}, **given}
    prefix = f"{contract_id}.{inc.get('as') or rule_doc.data['id']}"
    out = []
    missing = frozenset(name for name in declared if name not in given)  # reported above, once
    for j, rule in enumerate(rule_doc.data["rules"]):
        origin = Origin(rule_doc, ("rules", j), path, doc)
        out.append((f"{prefix}.{rule.get('id')}", substitute(rule, rule_params, origin, (), diags, missing), origin))
    return out

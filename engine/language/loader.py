"""The front of the pipeline: load -> schema -> expand -> semantic checks -> compile.

`load_contracts` is what the engine, `replay` and `test` use; `check_files` is `obligo validate`:
it recognises each file's kind (contract, rule document, scenario file) and checks it as such.
A contract is checked against itself (its own `clauses:`) and what it includes; nothing else is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.language.check import rule_document_diagnostics, semantic_diagnostics, substituted_schema_diagnostics
from engine.language.compile import CompiledContract, compile_contract
from engine.language.expand import Expanded, expand
from engine.language.files import SCENARIO_SUFFIX, contract_files
from engine.language.lint import lint_diagnostics
from engine.language.load import Document, load_file
from engine.language.schema import schema_diagnostics
from engine.language.versions import contract_keys, overlaps
from engine.model.diagnostics import Diagnostic, errors_only, with_note
from engine.model.paths import is_dir

__all__ = ["SCENARIO_SUFFIX", "check_contract", "check_files", "contract_files", "document_kind", "load_contracts",
           "validated_files", "version_diagnostics", "yaml_files_below"]


def document_kind(doc: Document) -> str:
    """contract, rules (a reusable rule document) or scenario, from the top-level keys."""
    data = doc.data
    if "scenarios" in data:
        return "scenario"
    if "rules" in data and "calendars" not in data and "severities" not in data and "targets" not in data:
        return "rules"
    return "contract"


def check_contract(doc: Document, overrides: dict[str, Any] | None = None,
                   ) -> tuple[CompiledContract | None, list[Diagnostic]]:
    """Schema, expansion and semantic checks of one contract document, then compile it if clean."""
    schema = schema_diagnostics(doc, "contract")
    exp = None
    try:
        exp, diags = expand(doc, overrides)
        diags += semantic_diagnostics(exp)
    except (AttributeError, TypeError, LookupError, ValueError) as exc:
        if not schema:
            return _misfit(exp, exc)
        diags = []  # the shape is too broken for semantic checks; the schema errors say why
    if schema:
        # Report everything in one run, but a semantic finding at a path the schema already
        # rejected adds nothing.
        bad = {d.path for d in schema}
        related = [d for d in diags if any(d.path[: len(p)] == p or p[: len(d.path)] == d.path for p in bad)]
        diags = schema + [d for d in diags if d not in related]
        return None, sorted(diags, key=lambda d: (d.file or "", d.line or 0, d.col or 0))
    if errors_only(diags):
        return None, diags
    assert exp is not None
    try:
        diags += lint_diagnostics(exp)  # static checks of a clean contract: warnings, never a refusal
        return compile_contract(exp), diags
    except (AttributeError, TypeError, LookupError, ValueError) as exc:
        return _misfit(exp, exc)


def _misfit(exp: Expanded | None, exc: Exception) -> tuple[None, list[Diagnostic]]:
    """A contract whose raw text passed the schema but whose checks or compilation failed on a
    value's shape: a parameter's value that does not fit where a `${...}` puts it (a list where a
    calendar name belongs). The schema, run again after substitution, says where; only done on
    this path, so a valid contract does not pay for it. Anything else is a bug of ours: raised."""
    found = errors_only(substituted_schema_diagnostics(exp)) if exp is not None else []
    if not found:
        raise exc
    return None, found


def load_contracts(paths: Iterable[str | Path], overrides: dict[str, dict[str, Any]] | None = None,
                   ) -> tuple[dict[str, CompiledContract], list[Diagnostic]]:
    """Compile every contract under `paths`; all problems are returned, none raised."""
    paths = list(paths)
    named = {Path(p) for p in paths if not is_dir(p)}  # files the user named, not found in a folder
    files = contract_files(paths)
    diags: list[Diagnostic] = []
    loaded: dict[tuple[str, str], tuple[Document, CompiledContract]] = {}  # (id, version) -> where, what
    if not files:
        diags.append(Diagnostic("no-contracts", "no contract files found in " + ", ".join(map(str, paths))))
    for path in files:
        doc, problems = load_file(path)
        diags += problems
        if doc is None:
            continue
        kind = document_kind(doc)
        if kind != "contract":
            if path in named:
                why = ("a scenario file, not a contract; its `contract:` names the contract to use" if kind == "scenario"
                       else "a reusable rule document, not a contract; contracts use it through `include:`")
                diags.append(doc.diag("not-a-contract", f"this is {why}"))
            continue
        cid = doc.data.get("id")  # anything until the schema has passed: `id: [a]` must not raise here
        compiled, problems = check_contract(doc, (overrides or {}).get(cid) if isinstance(cid, str) else None)
        diags += problems
        if compiled is None:
            continue
        diags += _new_version(loaded, doc, compiled)
    diags += version_diagnostics(list(loaded.values()))
    return contract_keys(c for _, c in loaded.values()), diags


def _new_version(loaded: dict[tuple[str, str], tuple[Document, CompiledContract]], doc: Document,
                 compiled: CompiledContract) -> list[Diagnostic]:
    """Add a compiled contract to those loaded, by (id, version); `duplicate-contract` if that
    version of that id is there already (several versions of one id are fine: engine.language.versions)."""
    same = loaded.get((compiled.id, compiled.version))
    if same is not None:
        return [with_note(doc.diag("duplicate-contract", f"contract id '{compiled.id}' version '{compiled.version}' "
                                   f"is already defined in {same[1].file}", ("version",)),
                          None, "a new version of a contract needs its own `version` and `effective_from`")]
    loaded[compiled.id, compiled.version] = (doc, compiled)
    return []


def version_diagnostics(contracts: list[tuple[Document, CompiledContract]]) -> list[Diagnostic]:
    """`version-overlap` for two versions of one id in force on a same day (engine.language.versions),
    reported at the later version's `effective_from`."""
    docs = {id(c): doc for doc, c in contracts}
    out = []
    for found in overlaps(contract_keys(c for _, c in contracts)):
        until = ("it has no effective_to" if found.earlier.effective_to is None
                 else f"it is in force until the end of {found.earlier.effective_to}")
        out.append(with_note(docs[id(found.later)].diag(
            "version-overlap", f"contract '{found.contract}' version '{found.later.version}' is in force from "
            f"{found.later.effective_from}, when version '{found.earlier.version}' ({found.earlier.file}) still is: "
            f"{until if found.earlier.effective_from != found.later.effective_from else 'both start that day'}",
            ("effective_from",)), None, "give the earlier version an effective_to before this effective_from, "
            "or none: a version ends where the next begins"))
    return out


def validated_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files `obligo validate` checks: the paths given, a directory expanded to the YAML files
    in it and its subfolders (as `obligo test` finds scenario files), hidden folders (.venv, .git) left out."""
    out: list[Path] = []
    for f in map(Path, paths):
        out.extend(yaml_files_below(f) if is_dir(f) else [f])
    return out


def yaml_files_below(folder: Path) -> list[Path]:
    """`*.yaml`/`*.yml` files in `folder` and its subfolders, sorted, none under a hidden folder."""
    found = [*folder.rglob("*.yaml"), *folder.rglob("*.yml")]
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1]))


def check_files(paths: Iterable[str | Path]) -> list[Diagnostic]:
    """`obligo validate`: every given file checked as the kind of document it is."""
    diags: list[Diagnostic] = []
    versions: dict[tuple[str, str], tuple[Document, CompiledContract]] = {}  # the contracts that compiled
    for path in validated_files(paths):
        doc, problems = load_file(path)
        diags += problems
        if doc is None:
            continue
        kind = document_kind(doc)
        if kind == "contract":
            compiled, problems = check_contract(doc)
            diags += problems
            if compiled is not None:
                diags += _new_version(versions, doc, compiled)
        elif kind == "rules":
            problems = schema_diagnostics(doc, "rules")
            diags += problems or rule_document_diagnostics(doc)
        else:  # a scenario file: its shape here, its contract on its own, its run by `obligo test`
            diags += schema_diagnostics(doc, "scenario")
    return diags + version_diagnostics(list(versions.values()))

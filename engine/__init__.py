"""Obligo: support contracts (SLAs) as validated rule documents, evaluated against ticket events.

The stages are subpackages, each importing only those below it (tests/test_layers.py):
`model` (events, actions, durations, diagnostics, errors, the one vocabulary) <- `calendars`
(business time) <- `language` (YAML load, schema, expand, check, conditions, compile to a typed
contract) <- `runtime` (the event-time engine; never imports the front end) <- `scenarios`,
`replay` <- `cli`. `schemas/` and `rules/` are package data: the JSON Schemas and the standard
rule documents contracts include by name.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The public names, each from the module that defines it, imported on first use (PEP 562): a thin
# command (`obligo post`, `obligo tail`, `--help`) does not pay for the contract front end and
# its libraries (jsonschema, networkx, holidays: ~0.3 s) just because `engine` is its package.
_WHERE = {
    "Engine": "engine.api",
    "check_files": "engine.language.loader", "load_contracts": "engine.language.loader",
    "CompiledContract": "engine.language.model",
    "Action": "engine.model.actions",
    "ContractError": "engine.model.diagnostics", "Diagnostic": "engine.model.diagnostics",
    "ObligoError": "engine.model.errors",
    "Event": "engine.model.events", "EventError": "engine.model.events", "format_instant": "engine.model.events",
    "parse_event": "engine.model.events", "parse_instant": "engine.model.events",
    "Evaluation": "engine.replay.partition", "evaluate": "engine.replay.partition",
    "JsonlTracer": "engine.runtime.trace", "ListTracer": "engine.runtime.trace",
}

if TYPE_CHECKING:  # what mypy and editors see: the same names, imported eagerly
    from engine.api import Engine
    from engine.language.loader import check_files, load_contracts
    from engine.language.model import CompiledContract
    from engine.model.actions import Action
    from engine.model.diagnostics import ContractError, Diagnostic
    from engine.model.errors import ObligoError
    from engine.model.events import Event, EventError, format_instant, parse_event, parse_instant
    from engine.replay.partition import Evaluation, evaluate
    from engine.runtime.trace import JsonlTracer, ListTracer


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


__all__ = [
    "Action",
    "CompiledContract",
    "ContractError",
    "Diagnostic",
    "Engine",
    "Evaluation",
    "Event",
    "EventError",
    "JsonlTracer",
    "ListTracer",
    "ObligoError",
    "check_files",
    "evaluate",
    "format_instant",
    "load_contracts",
    "parse_event",
    "parse_instant",
]

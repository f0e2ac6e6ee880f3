"""Obligo: support contracts (SLAs) as validated rule documents, evaluated against ticket events.

The stages are subpackages, each importing only those below it (tests/test_layers.py):
`model` (events, actions, durations, diagnostics, errors, the one vocabulary) <- `calendars`
(business time) <- `language` (YAML load, schema, expand, check, conditions, compile to a typed
contract) <- `runtime` (the event-time engine; never imports the front end) <- `scenarios`,
`replay` <- `cli`. `schemas/` and `rules/` are package data: the JSON Schemas and the standard
rule documents contracts include by name.
"""

from engine.api import Engine
from engine.language.loader import check_files, load_contracts
from engine.language.model import CompiledContract
from engine.model.actions import Action
from engine.model.diagnostics import ContractError, Diagnostic
from engine.model.errors import ObligoError
from engine.model.events import Event, EventError, format_instant, parse_event, parse_instant
from engine.replay.partition import Evaluation, evaluate
from engine.runtime.trace import JsonlTracer, ListTracer

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

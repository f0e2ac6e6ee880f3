"""Obligo: support contracts (SLAs) as validated rule documents, evaluated against ticket events.

Pipeline: `load` (YAML with positions) -> `schema` + `validate` (diagnostics) -> `compile`
(backend-neutral rules) -> `runtime` (event-time engine), with `calendar`, `escalation`, `trace`,
`replay`, `partition` (one stream over several processes), `scenarios` and `cli` around it.
"""

from pathlib import Path as _Path

from .native import prefer_sources as _prefer_sources

_prefer_sources(__name__, _Path(__file__).parent)  # before any compiled module is imported (engine/native.py)

from .actions import Action
from .calendar import BusinessCalendar, calendar_from_spec
from .compile import CompiledContract
from .diagnostics import ContractError, Diagnostic
from .durations import Duration, parse_duration
from .events import Event, EventError, format_instant, parse_event, parse_instant
from .loader import check_files, load_contracts
from .partition import Evaluation, evaluate
from .runtime import DuplicateEvent, Engine, LateEvent, RuleLoopError
from .trace import JsonlTracer, ListTracer

__all__ = [
    "Action",
    "BusinessCalendar",
    "CompiledContract",
    "ContractError",
    "Diagnostic",
    "DuplicateEvent",
    "Duration",
    "Engine",
    "Evaluation",
    "Event",
    "EventError",
    "JsonlTracer",
    "LateEvent",
    "ListTracer",
    "RuleLoopError",
    "calendar_from_spec",
    "check_files",
    "evaluate",
    "format_instant",
    "load_contracts",
    "parse_duration",
    "parse_event",
    "parse_instant",
]

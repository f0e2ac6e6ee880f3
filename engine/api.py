"""The convenience at the top: compile contract files and start an engine on them in one call.

It lives here, not in `engine.runtime`, because evaluation never imports the YAML front end: the
runtime takes compiled contracts, whoever compiled them (GoRules zen passes its loader in too).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.language.loader import load_contracts
from engine.model.diagnostics import ContractError, errors_only
from engine.runtime import engine as runtime
from engine.runtime.trace import Tracer


class Engine(runtime.Engine):
    """`engine.runtime.engine.Engine` plus `Engine.load(paths)`."""

    @classmethod
    def load(cls, paths: Iterable[str | Path], overrides: dict[str, dict[str, Any]] | None = None,
             tracer: Tracer | None = None) -> Engine:
        """Compile the contracts under `paths`; raises ContractError with every diagnostic found."""
        contracts, diags = load_contracts(list(paths), overrides)
        if errors_only(diags):
            raise ContractError(errors_only(diags))
        return cls(contracts, tracer)


__all__ = ["Engine"]

"""`--param CONTRACT.NAME=VALUE` on the command line (`obligo replay`, `obligo diff`): the pairs read
into the loader's overrides, and the one-line message for a contract that is not loaded."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any


def parse_overrides(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`--param CONTRACT.NAME=VALUE` pairs as {contract: {name: value}}; each VALUE read as one YAML
    value under the contract files' limits (engine.language.load.load_value: no alias bomb, no
    RecursionError from 600 `[`). Raises ValueError with the line to print. A name the contract does
    not declare is the loader's diagnostic (unknown-parameter), with its file and line."""
    out: dict[str, dict[str, Any]] = {}
    if not pairs:
        return out  # the YAML reader is not imported (a cached load needs it nowhere else)
    from engine.language.load import load_value

    for pair in pairs:
        key, sep, value = pair.partition("=")
        contract, dot, name = key.partition(".")
        if not sep or not dot or not contract or not name:
            raise ValueError(f"--param expects CONTRACT.NAME=VALUE, got {pair!r}")
        parsed, problems = load_value(value, f"--param {key}")
        if problems:
            raise ValueError(f"--param {key}: the value is not a valid YAML value ({problems[0].message})")
        out.setdefault(contract, {})[name] = parsed
    return out


def unknown_contract(overrides: dict[str, dict[str, Any]], loaded: Collection[str]) -> str | None:
    """The message for the first `--param` contract that is not among `loaded`, else None."""
    unknown = sorted(set(overrides) - set(loaded))
    if not unknown:
        return None
    from engine.model.diagnostics import did_you_mean

    return f"--param names contract '{unknown[0]}', which is not loaded{did_you_mean(unknown[0], loaded)}"


__all__ = ["parse_overrides", "unknown_contract"]

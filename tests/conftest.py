"""Shared paths and helpers for the validator tests (tests/fixtures/).

`tests/fixtures/valid/minimal.yaml` is the one valid base contract (with its own `clauses:`, so no
test depends on ../shared); every file in `tests/fixtures/invalid/` is it with one mistake.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests run the "ci" profile in `make test` (a few hundred examples per property, fits CI)
# and the "fuzz" profile in `make fuzz` (HYPOTHESIS_PROFILE=fuzz: >= 10,000 examples per property).
# A test that needs another count than the profile's scales from `settings().max_examples`.
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True, print_blob=True)
settings.register_profile("fuzz", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
MINIMAL = VALID / "minimal.yaml"
RULES = VALID / "rules"
REPO = TESTS.parent
REAL_INVENTORY = REPO.parent / "shared" / "seeds" / "INVENTORY.md"  # only tests/language/test_clauses.py compares with it


@pytest.fixture(autouse=True, scope="session")
def _contract_cache(tmp_path_factory: pytest.TempPathFactory):
    """The command line's contract cache (engine.language.cache) in a folder of this session's, never
    the user's: the suite runs with it on, as users do; tests/language/test_cache.py tests it."""
    os.environ["OBLIGO_CACHE_DIR"] = str(tmp_path_factory.mktemp("obligo-cache"))
    os.environ.pop("OBLIGO_CACHE", None)
    yield


@pytest.fixture
def variant(tmp_path: Path):
    """`variant((old, new), ...)`: a copy of minimal.yaml with each exact line `old` replaced by `new`
    (a string, a list of lines, or None to delete), beside a copy of its rules include."""
    shutil.copytree(RULES, tmp_path / "valid" / "rules")

    def make(*edits: tuple[str, str | list[str] | None], name: str = "variant.yaml") -> Path:
        lines = MINIMAL.read_text(encoding="utf-8").splitlines()
        for old, new in edits:
            hits = [i for i, line in enumerate(lines) if line == old]
            assert len(hits) == 1, f"{old!r} is on lines {[h + 1 for h in hits]} of minimal.yaml, expected one"
            lines[hits[0]:hits[0] + 1] = [] if new is None else [new] if isinstance(new, str) else new
        path = tmp_path / "valid" / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return make

# Two entry points for a fresh machine: `make demo` and `make test` (both create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck layers bench fuzz wheel-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/obligo validate contracts/
	$(BIN)/obligo replay --contracts contracts/ --out demo-actions.jsonl --rejects demo-rejects.jsonl bench/sample-events.jsonl

test: $(STAMP)
	$(BIN)/ruff check engine tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/obligo validate contracts/
	$(BIN)/obligo test --require-coverage contracts/
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# The property tests with >= 10,000 examples each (`make test` runs them with the small "ci" profile):
# the clock oracle, malformed events, mutated contracts. Prints hypothesis' statistics per test.
FUZZ_TESTS := tests/test_oracle.py tests/test_hostile_events.py tests/language/test_hostile_contracts.py
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics $(wildcard $(FUZZ_TESTS))

bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py

# Import + replay + report of the UCI log end to end (issue 14 "Measured"): wall time per stage and
# max RSS, min/median of 3 runs, goals printed, never asserted; `--profile` says where the time goes.
.PHONY: bench-audit
bench-audit: $(STAMP)
	$(BIN)/python bench/bench_audit.py

clean:
	rm -rf $(VENV) build dist *.egg-info demo-actions.jsonl demo-rejects.jsonl

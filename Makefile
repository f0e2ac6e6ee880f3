# Two entry points for a fresh machine: `make demo` and `make test` (both create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NATIVE := $(VENV)/.native
ENGINE_SOURCES := $(wildcard engine/*.py)

.PHONY: install native demo test lint bench fuzz clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	OBLIGO_PURE=1 $(BIN)/pip install --quiet -e '.[dev]'  # compiled once, by the rule below
	touch $(STAMP)

# Compiles the hot-path modules with Cython (setup.py; about a minute the first time), then only
# those whose source changed, so nothing runs an old build (engine/native.py would fall back to
# the source and warn). Without a C compiler the engine stays pure Python.
$(NATIVE): $(STAMP) $(ENGINE_SOURCES)
	@echo "compiling engine modules with Cython (log: $(VENV)/native.log)"
	@$(BIN)/python setup.py --quiet build_ext --inplace > $(VENV)/native.log 2>&1 || { cat $(VENV)/native.log; exit 1; }
	@grep '^obligo:' $(VENV)/native.log || true
	@touch $(NATIVE)

install: $(NATIVE)

native: $(NATIVE)

demo: $(NATIVE)
	$(BIN)/obligo validate contracts/*.yaml
	$(BIN)/obligo replay --contracts contracts/ --rejects demo-rejects.jsonl bench/sample-events.jsonl

test: $(NATIVE)
	$(BIN)/ruff check engine tests bench setup.py
	$(BIN)/obligo validate contracts/*.yaml
	$(BIN)/obligo test --require-coverage contracts/
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench setup.py

# The property tests with >= 10,000 examples each (`make test` runs them with the small "ci" profile):
# the clock oracle, malformed events, mutated contracts. Prints hypothesis' statistics per test.
FUZZ_TESTS := tests/test_oracle.py tests/test_hostile_events.py tests/test_hostile_contracts.py
fuzz: $(NATIVE)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics $(wildcard $(FUZZ_TESTS))

bench: $(NATIVE)
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) build engine/*.so demo-rejects.jsonl

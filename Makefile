# Two entry points for a fresh machine: `make demo` and `make test` (both create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NATIVE := $(VENV)/.native
ENGINE_SOURCES := $(wildcard engine/*.py)

.PHONY: install native demo test lint bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The install compiles the hot-path modules with Cython (setup.py); this recompiles those whose
# source changed since, so nothing runs an old build (engine/native.py falls back to source and
# warns if it would).
$(NATIVE): $(STAMP) $(ENGINE_SOURCES)
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $(NATIVE)

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

bench: $(NATIVE)
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) build engine/*.so demo-rejects.jsonl

# Two entry points for a fresh machine: `make demo` and `make test` (both create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/obligo validate contracts/*.yaml
	$(BIN)/obligo replay --contracts contracts/ --rejects demo-rejects.jsonl bench/sample-events.jsonl

test: $(STAMP)
	$(BIN)/ruff check engine tests bench
	$(BIN)/obligo validate contracts/*.yaml
	$(BIN)/obligo test --require-coverage contracts/
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) demo-rejects.jsonl

# Two entry points for a fresh machine: `make demo` and `make test` (both create .venv first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-pure compiled test-compiled fuzz-compiled lint typecheck layers bench fuzz clean report-check bench-audit crash-test bench-service

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/obligo validate contracts/ examples/
	$(BIN)/obligo replay --contracts contracts/ --out demo-actions.jsonl --rejects demo-rejects.jsonl bench/sample-events.jsonl

# Everything, on both builds: the pure suite and the compiled one run side by side, one per core
# (-O prints each one's output whole when it ends). `make test-pure` alone for a quicker loop.
test: $(STAMP)
	@echo "make test: the pure and the compiled suites side by side (about 8 minutes); each one's output appears when it ends"
	$(MAKE) --no-print-directory -j2 -O test-pure test-compiled

test-pure: $(STAMP)
	$(BIN)/ruff check engine tests bench buildtools setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/obligo validate contracts/ examples/
	$(BIN)/obligo test --require-coverage contracts/ examples/
	$(BIN)/pytest

# The compiled build (OBLIGO_COMPILE=1, setup.py: buildtools/compiled.txt through mypyc), tested
# whole: the checkout's files copied to build/compiled/main, compiled in place there (~1 min), then
# the same checks and suite run on that copy, whose `engine` is the compiled one. The checkout itself
# never holds an extension module.
COMPILED_TREE := build/compiled
compiled: $(STAMP)
	$(BIN)/python buildtools/compiled_tree.py $(COMPILED_TREE)

test-compiled: compiled
	cd $(COMPILED_TREE)/main && OBLIGO_EXPECT_COMPILED=1 PYTHONPATH=$$PWD $(abspath $(BIN))/obligo test --require-coverage contracts/ examples/
	cd $(COMPILED_TREE)/main && OBLIGO_EXPECT_COMPILED=1 PYTHONPATH=$$PWD $(abspath $(BIN))/pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench buildtools setup.py

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# The property tests with >= 10,000 examples each (`make test` runs them with the small "ci" profile):
# the clock oracle, malformed events, mutated contracts, tickets independent of each other, and the
# reports' per-ticket values kept on disk out of the window. Prints hypothesis' statistics per test.
FUZZ_TESTS := tests/test_oracle.py tests/test_hostile_events.py tests/language/test_hostile_contracts.py \
              tests/replay/test_ticket_independence.py tests/reports/test_windowed.py tests/reports/test_counters.py
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics $(wildcard $(FUZZ_TESTS))

# The same on the compiled build: hostile input must meet the same located rejects there (a compiled
# function raises TypeError for an argument that is not its declared type).
fuzz-compiled: compiled
	cd $(COMPILED_TREE)/main && OBLIGO_EXPECT_COMPILED=1 PYTHONPATH=$$PWD HYPOTHESIS_PROFILE=fuzz $(abspath $(BIN))/pytest -p no:cacheprovider --hypothesis-show-statistics $(FUZZ_TESTS)

bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py

# The live service's crash test with 20 SIGKILLs of a real `obligo serve` at seeded random moments
# (`make test` runs it with 5): the outbox after restarts and re-posts equals `obligo replay`.
# OBLIGO_CRASH_SEED / OBLIGO_CRASH_TICKETS vary it.
OBLIGO_CRASH_KILLS ?= 20
crash-test: $(STAMP)
	OBLIGO_CRASH_KILLS=$(OBLIGO_CRASH_KILLS) $(BIN)/pytest -p no:cacheprovider -s tests/service/test_serve_e2e.py -k sigkill

# Durable ingestion figures (issue 15 "Measured"): through the Store alone, then over HTTP to a real
# `obligo serve`; printed, never asserted.
bench-service: $(STAMP)
	$(BIN)/python bench/bench_service.py
	$(BIN)/python bench/bench_http.py

# Import + replay + report of the UCI log end to end (issue 14 "Measured"): wall time per stage and
# max RSS, min/median of 3 runs, goals printed, never asserted; `--profile` says where the time goes.
bench-audit: $(STAMP)
	$(BIN)/python bench/bench_audit.py

# `obligo report` rendered in a real browser (Debian's `chromium`): the UCI log through examples/servicenow
# when ../shared/data and the example are there, else bench/sample-events.jsonl with contracts/; fails on
# any console message or failed load; writes build/report-check/report.png (look at it).
UCI_LOG := ../shared/data/uci-incident-log/incident_event_log.csv.gz
REPORT_DIR := build/report-check
report-check: $(STAMP)
	mkdir -p $(REPORT_DIR)
	if [ -f $(UCI_LOG) ] && [ -d examples/servicenow ]; then \
	  $(BIN)/obligo report --contracts examples/servicenow --mapping servicenow $(UCI_LOG) --expect made_sla \
	    --html $(REPORT_DIR)/report.html --csv $(REPORT_DIR)/cycles.csv --rejects $(REPORT_DIR)/rejects.jsonl; \
	else \
	  $(BIN)/obligo report --contracts contracts/ bench/sample-events.jsonl \
	    --html $(REPORT_DIR)/report.html --csv $(REPORT_DIR)/cycles.csv --rejects $(REPORT_DIR)/rejects.jsonl; \
	fi
	chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --enable-logging=stderr --v=0 \
	  --screenshot=$(REPORT_DIR)/report.png --window-size=1280,2000 file://$(CURDIR)/$(REPORT_DIR)/report.html \
	  2> $(REPORT_DIR)/chromium.log
	! grep -E ":CONSOLE|net::ERR_" $(REPORT_DIR)/chromium.log
	@echo "report-check: no console message; screenshot $(REPORT_DIR)/report.png"

clean:
	rm -rf $(VENV) build dist *.egg-info demo-actions.jsonl demo-rejects.jsonl

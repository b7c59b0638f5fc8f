# kaohe — the two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# KIND=power builds (and serves) the county power-supply demo instead, by default into
# power-workspace: `make demo KIND=power` (docs/power-demo.md).
KIND ?= telecom
ifeq ($(KIND),power)
DEMO_DIR ?= power-workspace
endif
DEMO_DIR ?= demo-workspace
# The web tests run on SQLite and, side by side with that pass, again on PostgreSQL: the server at
# PG_URL when one answers, else a throwaway server started for the run and removed afterwards
# (scripts/test.sh, scripts/pg_for_tests.sh).
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install sysdeps-demo sysdeps-test demo serve test bench bench-items clean
.PHONY: bench-imports

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 / needs $(PYTHON)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

sysdeps-demo:
	scripts/sysdeps.sh demo

sysdeps-test:
	scripts/sysdeps.sh test

# Builds and runs the demo, writes the Excel reports, then serves the web application with one
# demo account per role (README) at http://$(HOST):$(PORT)/ until Ctrl+C.
demo: install sysdeps-demo
	$(BIN)/kaohe demo --kind $(KIND) $(DEMO_DIR)
	$(BIN)/kaohe -w $(DEMO_DIR) serve --demo --host $(HOST) --port $(PORT)

# Serves an existing demo workspace again (no rebuild).
serve: install
	$(BIN)/kaohe -w $(DEMO_DIR) serve --demo --host $(HOST) --port $(PORT)

test: install sysdeps-test
	scripts/test.sh $(BIN)/python "$(PG_URL)"

# The fact workload (bench.run, options in BENCH_ARGS), then the item workload (bench.items,
# options in ITEMS_ARGS); docs/performance.md. `make bench-items` runs the item workload alone.
# Then a full run against a what-if changing one weight (bench.whatif, options in WHATIF_ARGS).
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.items $(ITEMS_ARGS)
	$(BIN)/python -m bench.whatif $(WHATIF_ARGS)

bench-items: install
	$(BIN)/python -m bench.items $(ITEMS_ARGS)

# Import speed, Parquet and CSV (bench.imports, options in IMPORTS_ARGS); not part of `make bench`.
bench-imports: install
	$(BIN)/python -m bench.imports $(IMPORTS_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache

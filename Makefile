# Two commands on a fresh machine (Python 3.11 and the package registries are all it needs):
#   make run    install everything, generate demo data if none is there, run the pipeline once
#   make test   install everything and run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

LANDING_DIR ?= $(or $(KPI_LANDING_DIR),data/landing)
DEMO_DAYS ?= 200

.PHONY: install run test lint format dev bench bench-ingest bench-large-file bench-engines \
	bench-checks clean

# Installs, then generates the KPI models into dbt_project/generated/ and parses the dbt project
# (so `dbt build` works in dbt_project/; exit code 3: some KPI files have errors, said above).
install: $(VENV)/.installed
	@$(BIN)/kpi-warehouse generate || [ $$? -eq 3 ]

$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# The demo arrives as two deliveries, as a warehouse in use sees them: its history (loaded by a
# first run, not shown) and the last day's exports, one of which is cut off and held by a check.
# Over demo data the runs are as of the day after the demo's last day (.demo-as-of in the folder).
run: install
	@$(BIN)/kpi-warehouse lint || echo "The KPIs with errors above are left out of the run."
	@if [ -z "$$KPI_PII_SALT" ]; then \
		echo "KPI_PII_SALT is not set: demo mode, personal data hashed with a built-in demo salt."; \
		export KPI_DEMO_MODE=1; \
	fi; \
	if [ ! -d "$(LANDING_DIR)" ] || [ -z "$$(ls -A "$(LANDING_DIR)" 2>/dev/null)" ]; then \
		$(BIN)/kpi-warehouse demo-data --out "$(LANDING_DIR)" --days $(DEMO_DAYS) \
			--deliveries history || exit 1; \
		echo "Loading the demo's history (the run before today's delivery; its output is not shown)..."; \
		$(BIN)/kpi-warehouse run --as-of "$$(cat "$(LANDING_DIR)/.demo-as-of")" --quiet \
			>/dev/null 2>&1 || [ $$? -eq 3 ] || { echo "The run over the demo's history failed."; exit 1; }; \
		$(BIN)/kpi-warehouse demo-data --out "$(LANDING_DIR)" --days $(DEMO_DAYS) \
			--deliveries latest || exit 1; \
	fi; \
	as_of=$$(cat "$(LANDING_DIR)/.demo-as-of" 2>/dev/null); \
	$(BIN)/kpi-warehouse run $${as_of:+--as-of $$as_of} || [ $$? -eq 3 ]  # 3: completed, some KPIs held (said above)

test: install
	$(BIN)/ruff check pipelines tests benchmarks
	$(BIN)/ruff format --check pipelines tests benchmarks
	$(BIN)/python -m pytest

lint: install
	$(BIN)/kpi-warehouse lint --strict

format: install
	$(BIN)/ruff format pipelines tests benchmarks
	$(BIN)/ruff check --fix pipelines tests benchmarks

# Under `dagster dev` a reload of the code location generates and parses again (a KPI file edited
# while it runs is picked up); outside it, loading the definitions only reads what install prepared.
dev: install
	@home=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home}; mkdir -p "$$home"; \
	[ -f "$$home/dagster.yaml" ] || cp dagster.yaml "$$home/dagster.yaml"; \
	if [ -z "$$KPI_PII_SALT" ]; then export KPI_DEMO_MODE=1; fi; \
	DAGSTER_HOME="$$home" $(BIN)/dagster dev -w workspace.yaml

# make bench [BENCH_SCALE=small|year|large|history] [BENCH_REPEAT=3]: the pipeline against a hand-written DuckDB script.
BENCH_SCALE ?= small
BENCH_REPEAT ?= 3
bench: install
	$(BIN)/python -m benchmarks.pipeline_benchmark --scale $(BENCH_SCALE) --repeat $(BENCH_REPEAT)

bench-ingest: install
	$(BIN)/python -m benchmarks.ingest_benchmark

bench-large-file: install
	$(BIN)/python -m benchmarks.large_file_benchmark

bench-engines: install
	$(BIN)/python -m benchmarks.engine_benchmark

# Backtest of the volume and freshness checks over a year of demo history (under a minute).
bench-checks: install
	$(BIN)/python -m benchmarks.volume_backtest

clean:
	rm -rf warehouse .dagster_home dbt_project/target dbt_project/target-* dbt_project/logs \
		dbt_project/generated

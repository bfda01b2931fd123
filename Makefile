# sluice: the two set-up commands are `make quickstart` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The local broker's port: `make quickstart KAFKA_PORT=9094` when 9092 is taken.
KAFKA_PORT ?= 9092

.PHONY: quickstart test lint unit coverage venv jars databases browser bench clean kafka-start kafka-stop

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: sluice needs Python >= 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Kafka's jars through Maven (pom.xml); fetched again whenever the pom changes.
jars: venv
	$(BIN)/sluice kafka fetch

quickstart: venv jars
	$(BIN)/sluice kafka start --port $(KAFKA_PORT)
	$(BIN)/sluice demo --port $(KAFKA_PORT)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src/

unit: venv
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

# The runtime's lines reached by its unit tests alone (no broker): the figure issue 18 asks for.
coverage: venv
	$(BIN)/coverage run --source=src/sluice/runtime -m pytest tests/unit -q
	$(BIN)/coverage report --skip-empty --sort=cover

# PostgreSQL and MariaDB from Debian's packages, for the JDBC tests (idempotent).
databases:
	bash scripts/databases.sh

# Headless Chromium and chromedriver from Debian's packages, for the web console test (idempotent).
browser:
	bash scripts/browser.sh

test: venv jars databases browser lint
	$(BIN)/pytest -q --durations=25 $(PYTEST_ARGS)

bench: venv jars
	$(BIN)/python -m bench $(if $(QUICK),--quick,) $(BENCH_ARGS)

kafka-start: venv jars
	$(BIN)/sluice kafka start --port $(KAFKA_PORT)

kafka-stop: venv
	$(BIN)/sluice kafka stop --port $(KAFKA_PORT)

# .cache holds the local broker's data too (.cache/kafka/data-PORT): stop the broker first.
clean:
	if [ -x $(BIN)/sluice ]; then $(BIN)/sluice kafka stop --port $(KAFKA_PORT); fi
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache

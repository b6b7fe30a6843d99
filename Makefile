# parkgrid: `make run` serves the demo park, `make test` runs the tests on real PostGIS.
# Without DATABASE_URL both use a private PostgreSQL cluster under .data/.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HOST ?= 127.0.0.1
export PORT ?= 8000

.PHONY: run test stop install db migrate seed serve lint format check bench

run: seed serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/parkgrid db up

migrate: db
	$(BIN)/parkgrid migrate

seed: migrate
	$(BIN)/parkgrid seed demo --if-empty

serve: install
	$(BIN)/parkgrid serve

test: db
	$(BIN)/pytest $(PYTEST_ARGS)

stop:
	@if [ -x $(BIN)/parkgrid ]; then $(BIN)/parkgrid stop; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test

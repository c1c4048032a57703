# Everything the project needs is installed from here: a fresh machine needs only Python 3.11.
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
SRC := agent_memory_server tests $(wildcard benchmarks)

.PHONY: install uv run worker test test-fast lint format bench api-fuzz clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

# Optional extras installed too (the tests use them); `make run EXTRAS=` for the core alone.
EXTRAS ?= --extra bertopic

install: uv
	$(UV) sync --frozen $(EXTRAS)

run: install
	$(RUN) agent-memory api

worker: install
	$(RUN) agent-memory task-worker

lint: install
	$(RUN) ruff check $(SRC)
	$(RUN) ruff format --check $(SRC)
	$(RUN) mypy

format: install
	$(RUN) ruff format $(SRC)
	$(RUN) ruff check --fix $(SRC)

test: lint
	$(RUN) pytest -q

test-fast: install
	$(RUN) pytest -q -x

bench: install
	$(RUN) python -m benchmarks.run

# Schemathesis over the OpenAPI schema against a real server: fails on any 5xx.
api-fuzz: install
	$(RUN) python -m tests.fuzz.api

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache

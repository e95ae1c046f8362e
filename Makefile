# The two commands of the README:
#   make up    set up and run the whole league on this machine
#              (make up PORT=8010 ARGS="--match-workers 4": another port, any `league up` options)
#   make test  set up and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup up play test lint system-deps bench

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

PORT ?=
ARGS ?=

up: setup
	$(BIN)/league up $(if $(PORT),--port $(PORT)) $(ARGS)

play: setup
	$(BIN)/league play

# Debian packages the tests drive for real: headless chromium and a PostgreSQL server.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing chromium and postgresql from Debian"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql >/dev/null; \
	fi

# The import contract (pyproject.toml, [tool.importlinter]) is checked before the tests run; the
# league-core and API tests also run on a throwaway PostgreSQL server (LEAGUE_TEST_POSTGRES_URL).
test: setup system-deps
	$(BIN)/ruff check league agents api tests benchmarks .ci/with_postgres.py
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python .ci/with_postgres.py $(BIN)/pytest

bench: setup
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# `make run` and `make test` work on a fresh clone: each makes .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test check lint format install postgres test-tools docs wrk bench bench-ingest bench-lag bench-projections bench-merkle bench-imports bench-pdf bench-week bench-notify clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# `make run DEMO=1` seeds a demo ledger first (once; its tokens in var/demo-tokens.txt) and
# prints a one-time sign-in link for each of its people. PORT is exported: unless PUBLIC_URL
# is set, sign-in links point at http://127.0.0.1:$(PORT), where gunicorn serves.
# One command serves everything: with PROJECTIONS_IN_PROCESS=true (the default) gunicorn's
# master starts the one worker process (`flask --app wsgi worker run`) beside its web workers.
run: export PORT := $(PORT)
run: $(STAMP)
	mkdir -p var
ifeq ($(DEMO),1)
	$(BIN)/flask --app wsgi demo seed
endif
	$(BIN)/gunicorn --config python:service.infra.gunicorn_conf --bind 127.0.0.1:$(PORT) wsgi:app

postgres:
	@bash scripts/ensure-postgres

# Style is part of the suite: a lint or format finding fails `make test` first.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-tools:
	@bash scripts/ensure-test-tools

# The documentation site (mkdocs.yml, docs/) into site/, git-ignored. --strict: a broken
# link or anchor, or a page left out of the navigation, fails the build (and `make test`).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Unit and integration tests run in TEST_WORKERS processes (pytest-xdist): they wait on
# the database more than they compute. The end-to-end and browser tests, which start
# servers of their own and put them under load, run after them, one at a time.
TEST_WORKERS ?= 2
test: lint docs postgres test-tools
	$(BIN)/python -m pytest -n $(TEST_WORKERS) tests/unit tests/integration
	$(BIN)/python -m pytest tests/e2e tests/browser

# The edit loop: lint, the unit tests and the integration tests on SQLite alone (-m "not
# postgres": no server needed). About 4 minutes of CPU in all, most of it one app built
# per test, shared by TEST_WORKERS processes: its wall time is half that on 2 idle cores
# at best, and longer on a machine busy with other work. `make test` runs the rest:
# PostgreSQL, the end-to-end and browser tests, the docs.
check: lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not postgres" tests/unit tests/integration

# Benchmarks print ratios against baselines measured in the same run (docs/reference/benchmarks.md).
bench: bench-ingest bench-lag bench-projections bench-merkle bench-imports bench-pdf bench-week bench-notify

# The service and the minimal endpoint under wrk; PROFILE=dir adds py-spy's table.
bench-ingest: $(STAMP) postgres wrk
	$(BIN)/python -m bench.ingest $(if $(PROFILE),--profile $(PROFILE))

# wrk (Debian's package) drives the HTTP load; installed when missing.
wrk:
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }

bench-lag: $(STAMP) postgres wrk
	$(BIN)/python -m bench.lag

# The read models on a log of BENCH_EVENTS events, on PostgreSQL, then on SQLite.
BENCH_EVENTS ?= 100000
bench-projections: $(STAMP) postgres
	$(BIN)/python -m bench.projections --events $(BENCH_EVENTS) \
		--database-url postgresql://postgres@127.0.0.1:5432/postgres
	$(BIN)/python -m bench.projections --events $(BENCH_EVENTS)

bench-merkle: $(STAMP) postgres
	$(BIN)/python -m bench.merkle --database-url postgresql://postgres@127.0.0.1:5432/postgres

bench-imports: $(STAMP) postgres
	$(BIN)/python -m bench.imports --database-url postgresql://postgres@127.0.0.1:5432/postgres

# GET /api/me's latency alone and while the worker renders three large PDFs, under wrk.
bench-pdf: $(STAMP) postgres wrk
	$(BIN)/python -m bench.pdf

# A 7 × 8 week saved at once beside its 56 activities recorded one by one, on PostgreSQL, then on SQLite.
bench-week: $(STAMP) postgres
	$(BIN)/python -m bench.week --database-url postgresql://postgres@127.0.0.1:5432/postgres
	$(BIN)/python -m bench.week

bench-notify: $(STAMP) postgres
	$(BIN)/python -m bench.notify --database-url postgresql://postgres@127.0.0.1:5432/postgres
	$(BIN)/python -m bench.notify

clean:
	rm -rf $(VENV) var .pytest_cache

# The wallet service. `make test` is what CI runs; `make run` serves it locally (README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/api

.PHONY: venv venv-runtime test test-suite lint migrate seed run serve stop-db bench

# Runtime packages only (the Docker image); the dev set adds test and lint tools.
venv-runtime: $(VENV)/.runtime
venv: $(VENV)/.dev
$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@
$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Everything, on a throwaway cluster unless DATABASE_URL is set.
test: venv
	$(PY) bin/pgcluster.py run -- $(MAKE) --no-print-directory test-suite

# The suite against DATABASE_URL: lint, migrate, pgTAP, pytest.
test-suite: lint
	$(PY) -m wallet_api.schema migrate
	psql "$$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap'
	pg_prove --failures -d "$$DATABASE_URL" sql/tests/*.sql
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check api tests bin bench

migrate: venv-runtime
	$(PY) -m wallet_api.schema migrate

seed: venv-runtime
	$(PY) -m wallet_api.schema seed

# Local development: DATABASE_URL or a cluster in .data/ (kept), migrated and seeded.
run: venv-runtime
	$(PY) bin/run_dev.py

# The API alone, under gunicorn, against DATABASE_URL (what the Docker image runs).
serve: venv-runtime
	$(PY) -m gunicorn -c api/gunicorn.conf.py wallet_api.wsgi:app

stop-db:
	$(PY) bin/pgcluster.py stop .data

bench: venv
	$(PY) bench/run.py

# The wallet service. `make test` is what CI runs (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/api

.PHONY: venv test test-suite lint migrate seed

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
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
	$(PY) -m pytest -q tests

lint: venv
	$(VENV)/bin/ruff check api tests bin

migrate: venv
	$(PY) -m wallet_api.schema migrate

seed: venv
	$(PY) -m wallet_api.schema seed

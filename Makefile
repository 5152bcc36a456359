# The wallet service. `make test` is what CI runs; `make run` serves it locally (README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: system-run system-test system-bench venv venv-runtime test test-suite check check-suite test-ha lint format migrate seed api-login worker-login run serve worker stop-db ha stop-ha shards stop-shards backup restore-drill bench bench-shards

# The system packages each command needs, installed when missing (apt-get on Debian or
# Ubuntu, through sudo when not root; elsewhere it names what is missing).
system-run:
	@scripts/system-packages run
system-test:
	@scripts/system-packages test
system-bench:
	@scripts/system-packages bench

# Runtime packages only (the Docker image); the dev set adds test and lint tools. The
# package itself is installed editable, so nothing needs PYTHONPATH; in a checkout, dev/
# (wallet_dev: local clusters, HA, shards, for make run, the tests and the bench) is put on
# the venv's path too. The image has no dev/, so neither is in it.
venv-runtime: $(VENV)/.runtime
venv: $(VENV)/.dev
$(VENV)/.runtime: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	if [ -d dev ]; then echo "$(CURDIR)/dev" > "$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/wallet-dev.pth"; fi
	touch $@
$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Everything, on a throwaway cluster unless DATABASE_URL is set.
test: system-test venv
	$(PY) -m wallet_dev.pgcluster run -- $(MAKE) --no-print-directory test-suite

# The suite against DATABASE_URL: lint, migrate, pgTAP, pytest (which makes a PL/Proxy
# router over 4 shard databases beside it for tests/shards and tests/sql's second run).
test-suite: lint
	$(PY) -m wallet_api.migrate migrate
	psql "$$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap'
	pg_prove --failures --ext .sql -r -d "$$DATABASE_URL" sql/tests
	$(PY) -m pytest -q

# The quick loop: lint, migrate, pgTAP, and the SQL and API tests on one throwaway
# database (not through the router, no shards, faults, worker or dev tests).
check: system-test venv
	$(PY) -m wallet_dev.pgcluster run -- $(MAKE) --no-print-directory check-suite

check-suite: lint
	$(PY) -m wallet_api.migrate migrate
	psql "$$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap'
	pg_prove --failures --ext .sql -r -d "$$DATABASE_URL" sql/tests
	$(PY) -m pytest -q tests/sql tests/api -k "not router"

# The failover tests, on a throwaway pg_auto_failover formation (monitor, primary,
# synchronous standby) on loopback.
test-ha: system-test venv
	$(PY) -m wallet_dev.ha run -- $(PY) -m pytest -q tests/ha

lint: venv
	$(VENV)/bin/ruff check api dev tests bench
	$(VENV)/bin/ruff format --check api dev tests bench
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format api dev tests bench
	$(VENV)/bin/ruff check --fix api dev tests bench

migrate: venv-runtime
	$(PY) -m wallet_api.migrate migrate

seed: venv-runtime
	$(PY) -m wallet_api.migrate seed

# The API's own PostgreSQL login (a member of wallet_api only); password on stdin.
API_DB_ROLE ?= wallet_app
api-login: venv-runtime
	$(PY) -m wallet_api.credentials database-login $(API_DB_ROLE)

# The worker's own PostgreSQL login (a member of wallet_worker only); password on stdin.
WORKER_DB_ROLE ?= wallet_worker_app
worker-login: venv-runtime
	$(PY) -m wallet_api.credentials database-login $(WORKER_DB_ROLE) wallet_worker

# Local development: DATABASE_URL or a cluster in .data/ (kept), migrated and seeded.
run: system-run venv-runtime
	$(PY) -m wallet_dev.run

# The API alone, against DATABASE_URL (what the Docker image runs): granian, or gunicorn
# with WALLET_SERVER=gunicorn (api/wallet_api/serve.py).
serve: venv-runtime
	$(PY) -m wallet_api.serve

# The background worker alone, against DATABASE_URL (the Docker image's worker service).
worker: venv-runtime
	$(PY) -m wallet_api.worker

# A local pg_auto_failover formation in .data/ha (kept), migrated and seeded; prints the
# multi-host DATABASE_URL to give the API and the worker.
ha: venv-runtime
	$(PY) -m wallet_dev.ha start .data/ha

stop-ha: venv-runtime
	$(PY) -m wallet_dev.ha stop .data/ha

# pgBackRest on the local cluster in .data/ (make run's): WAL archiving (set up on first
# use, with a restart) and a full backup; `make restore-drill [AT=2026-12-01T10:00:00Z]`
# restores AT (default: the latest) into a new cluster beside it, runs wallet_verify()
# there and removes it.
backup: venv-runtime
	$(PY) -m wallet_dev.backup backup .data

restore-drill: venv-runtime
	$(PY) -m wallet_dev.backup drill .data "$(AT)"

# The wallet split by user over N shard databases (a power of two) behind a PL/Proxy
# router, in a local cluster in .data/shards (kept), migrated and seeded; prints the
# router's URL to give the API and the worker (docs/sharding.md).
N ?= 4
shards: venv-runtime
	$(PY) -m wallet_dev.shards start .data/shards $(N)

stop-shards: venv-runtime
	$(PY) -m wallet_dev.shards stop .data/shards

# The local cluster and the rate limits' redis-server that make run started.
stop-db: venv-runtime
	$(PY) -m wallet_dev.run stop

bench: system-bench venv
	$(PY) bench/run.py
	$(PY) bench/instructions.py
	$(PY) bench/api_instructions.py
	$(PY) bench/shards.py

# The PL/Proxy router's cost: the SQL mix direct and through 1, 2, 4 and 8 shards.
bench-shards: venv
	$(PY) bench/shards.py

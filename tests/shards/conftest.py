"""The session's sharded wallet (tests/conftest.py, `sharded`): the router's URL and each
shard's, in PL/Proxy's partition order."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from wallet_api.credentials import set_database_login


@pytest.fixture(scope="session")
def router_url(sharded) -> str:
    return sharded[0]


@pytest.fixture(scope="session")
def shard_urls(sharded) -> list[str]:
    return sharded[1]


@pytest.fixture
def router(router_url):
    """The router, acting as wallet_service as callers do."""
    with psycopg.connect(router_url, autocommit=True) as conn:
        conn.execute("SET ROLE wallet_service")
        yield conn


@pytest.fixture
def shards(shard_urls):
    """A superuser connection to each shard, to look behind the router."""
    conns = [psycopg.connect(url, autocommit=True) for url in shard_urls]
    yield conns
    for conn in conns:
        conn.close()


@pytest.fixture
def shard_of(router_url, shard_urls):
    """The shard PL/Proxy sends a user to: the hash & (shards - 1)."""
    with psycopg.connect(router_url, autocommit=True) as conn:

        def _shard_of(user_id) -> int:
            (hashed,) = conn.execute("SELECT router.user_hash(%s)", (user_id,)).fetchone()
            return hashed & (len(shard_urls) - 1)

        yield _shard_of


@pytest.fixture
def start_router_worker(router_url, tmp_path):
    """Starts `python -m wallet_api.worker` logged in to the router as a member of
    wallet_worker only, with these settings; answers the process and its log. Kills what
    is left at the end."""
    set_database_login(router_url, "wallet_worker_router", "router-worker-password", "wallet_worker")
    login = make_conninfo(router_url, user="wallet_worker_router", password="router-worker-password")
    started: list[subprocess.Popen] = []

    def _start(**settings: str) -> tuple[subprocess.Popen, Path]:
        env = {**os.environ, "DATABASE_URL": login, "WALLET_WORKER_METRICS_PORT": "0",
               "WALLET_WEBHOOK_PRIVATE_TARGETS": "allow", **settings}  # fmt: skip
        log_path = tmp_path / f"router-worker-{len(started)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "wallet_api.worker"], env=env, stdout=log,
                                    stderr=subprocess.STDOUT)  # fmt: skip
        started.append(proc)
        return proc, log_path

    yield _start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

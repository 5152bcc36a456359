"""The worker as it runs in production: a real process, logged in as its own role (a
member of wallet_worker only)."""

import os
import secrets
import subprocess
import sys

import pytest
from psycopg.conninfo import make_conninfo

from wallet_api.credentials import set_database_login
from wallet_api.migrate import migrate


@pytest.fixture
def worker_env(db_url):
    migrate(db_url)
    password = secrets.token_urlsafe(24)
    set_database_login(db_url, "wallet_worker_test", password, "wallet_worker")
    return {**os.environ, "DATABASE_URL": make_conninfo(db_url, user="wallet_worker_test", password=password),
            "WALLET_EXPIRE_CRON": "* * * * * */2",  # every two seconds
            "WALLET_WORKER_METRICS_PORT": "0",
            "WALLET_WEBHOOK_PRIVATE_TARGETS": "allow"}  # the test receivers are on loopback  # fmt: skip


@pytest.fixture
def start_worker(tmp_path):
    """Starts `python -m wallet_api.worker` with an environment; kills what is left."""
    started: list[subprocess.Popen] = []

    def _start(env: dict[str, str], name: str = "worker") -> tuple[subprocess.Popen, os.PathLike]:
        log_path = tmp_path / f"{name}-{len(started)}.log"
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

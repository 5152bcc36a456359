"""Shared fixtures: the database under test (DATABASE_URL, a throwaway cluster started by
`make test`) and connections that act as the `wallet_service` role, as callers do."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from wallet_dev.pgcluster import PgCluster
from wallet_dev.shards import sharded_beside

# the API server fixtures (the real server), shared by tests/api and tests/faults
pytest_plugins = ["tests.server_fixtures"]
# tests/ha needs a pg_auto_failover formation: `make test-ha` makes one and runs them
collect_ignore = [] if os.environ.get("WALLET_HA_DIR") else ["ha"]


def pytest_report_header() -> list[str]:
    """Says which parts of the suite this run leaves out, and which command runs them."""
    left_out = []
    if not os.environ.get("WALLET_HA_DIR"):
        left_out.append("tests/ha (make test-ha)")
    if not os.environ.get("WALLET_PGDATA"):
        left_out.append("the fault tests that crash the server (make test's own cluster)")
    return [f"not run here: {part}" for part in left_out]


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL is not set: run the tests with `make test`")
    return url


@pytest.fixture(scope="session")
def db_url() -> str:
    return database_url()


@pytest.fixture(scope="session")
def sharded() -> Iterator[tuple[str, list[str]]]:
    """The router's URL and its 4 shards' (PL/Proxy's partition order): WALLET_ROUTER_URL and
    WALLET_SHARD_URLS when set, else made beside DATABASE_URL for this session, the first
    time a test asks (wallet_dev.shards)."""
    if os.environ.get("WALLET_ROUTER_URL"):
        yield os.environ["WALLET_ROUTER_URL"], os.environ["WALLET_SHARD_URLS"].split()
        return
    with sharded_beside(database_url(), 4) as made:
        yield made


@pytest.fixture(scope="session")
def cluster() -> PgCluster:
    """The server itself, for fault tests that crash and restart it: the cluster `make
    test` started (WALLET_PGDATA)."""
    if not os.environ.get("WALLET_PGDATA"):
        pytest.skip("needs the throwaway cluster of `make test` (DATABASE_URL points at a server we may not crash)")
    return PgCluster(Path(os.environ["WALLET_PGDATA"]), Path(os.environ["WALLET_PGBIN"]))


@pytest.fixture
def connect(db_url):
    """Opens autocommit connections acting as wallet_service; closes them afterwards."""
    opened = []

    def _connect() -> psycopg.Connection:
        conn = psycopg.connect(db_url, autocommit=True)
        conn.execute("SET ROLE wallet_service")
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def admin(db_url):
    """A superuser connection, for looking behind the functions' backs."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def new_user(connect):
    """Opens a fresh user account, optionally funded by top-ups, and returns its user_id."""
    conn = connect()

    def _new_user(**funds: int) -> uuid.UUID:
        user_id = uuid.uuid4()
        conn.execute("SELECT wallet_open_account(%s, %s)", (user_id, "test user"))
        for asset, amount in funds.items():
            asset_id = {"gold": 1, "points": 2}[asset]
            conn.execute("SELECT * FROM wallet_topup(%s, %s, %s, %s)", (user_id, asset_id, amount, f"fund-{asset}"))
        return user_id

    return _new_user


@pytest.fixture
def report(capsys):
    """Prints a test's figures to the terminal even when output is captured."""

    def _report(line: str) -> None:
        with capsys.disabled():
            print(f"\n    [figures] {line}", end="")

    return _report

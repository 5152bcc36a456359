"""The SQL-level tests run twice when `make test` has made a sharded wallet: against the
database (DATABASE_URL) and through the PL/Proxy router over 4 shards
(WALLET_ROUTER_URL, docs/sharding.md). A test that looks behind the functions does it
through `behind`: the database, or the shards. A test marked single_database runs
against the database only: it holds a transaction open across calls (which the router
cannot carry to a shard: each routed call commits there), or it is about how one
database orders its locks."""

import os

import psycopg
import pytest

from tests.conftest import database_url


def targets() -> list[str]:
    return ["database", "router"] if os.environ.get("WALLET_ROUTER_URL") else ["database"]


def pytest_generate_tests(metafunc):
    if "target" in metafunc.fixturenames:
        single = metafunc.definition.get_closest_marker("single_database")
        metafunc.parametrize("target", ["database"] if single else targets(), scope="session")


@pytest.fixture(scope="session")
def db_url(target) -> str:
    return database_url() if target == "database" else os.environ["WALLET_ROUTER_URL"]


class Behind:
    """Superuser connections to where the rows are, for looking behind the functions:
    the database itself, or each shard behind the router."""

    def __init__(self, conns: list[psycopg.Connection]):
        self.all = conns

    def of(self, user_id) -> psycopg.Connection:
        """The one holding this user's account (through the router: the user's shard)."""
        for conn in self.all:
            if conn.execute("SELECT 1 FROM wallet.accounts WHERE user_id = %s", (user_id,)).fetchone():
                return conn
        raise LookupError(f"no account for {user_id}")

    def rows(self, query, params=()) -> list[tuple]:
        """The query's rows from each, one after the other."""
        return [row for conn in self.all for row in conn.execute(query, params).fetchall()]


@pytest.fixture
def behind(target, admin):
    if target == "database":
        yield Behind([admin])
        return
    conns = [psycopg.connect(url, autocommit=True) for url in os.environ["WALLET_SHARD_URLS"].split()]
    yield Behind(conns)
    for conn in conns:
        conn.close()

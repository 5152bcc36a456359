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
from tests.support import Behind


def targets() -> list[str]:
    return ["database", "router"] if os.environ.get("WALLET_ROUTER_URL") else ["database"]


def pytest_generate_tests(metafunc):
    if "target" in metafunc.fixturenames:
        single = metafunc.definition.get_closest_marker("single_database")
        metafunc.parametrize("target", ["database"] if single else targets(), scope="session")


@pytest.fixture(scope="session")
def db_url(target) -> str:
    return database_url() if target == "database" else os.environ["WALLET_ROUTER_URL"]


@pytest.fixture
def behind(target, admin):
    if target == "database":
        yield Behind([admin])
        return
    conns = [psycopg.connect(url, autocommit=True) for url in os.environ["WALLET_SHARD_URLS"].split()]
    yield Behind(conns)
    for conn in conns:
        conn.close()

"""The SQL-level tests run twice: against the database (DATABASE_URL) and through the
PL/Proxy router over 4 shards (the session's `sharded` wallet, docs/sharding.md; `-k
database` runs the first only). A test that looks behind the functions does it
through `behind`: the database, or the shards. A test marked single_database runs
against the database only: it holds a transaction open across calls (which the router
cannot carry to a shard: each routed call commits there), or it is about how one
database orders its locks."""

import psycopg
import pytest

from tests.conftest import database_url
from tests.support import Behind


def pytest_generate_tests(metafunc):
    if "target" in metafunc.fixturenames:
        single = metafunc.definition.get_closest_marker("single_database")
        metafunc.parametrize("target", ["database"] if single else ["database", "router"], scope="session")


@pytest.fixture(scope="session")
def db_url(target, request) -> str:
    return database_url() if target == "database" else request.getfixturevalue("sharded")[0]


@pytest.fixture
def behind(target, admin, request):
    if target == "database":
        yield Behind([admin])
        return
    conns = [psycopg.connect(url, autocommit=True) for url in request.getfixturevalue("sharded")[1]]
    yield Behind(conns)
    for conn in conns:
        conn.close()

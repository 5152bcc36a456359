"""The sharded wallet that `make test` builds (python -m wallet_dev.shards run 4): the
router's URL and each shard's, in PL/Proxy's partition order."""

import os

import psycopg
import pytest


@pytest.fixture(scope="session")
def router_url() -> str:
    return os.environ["WALLET_ROUTER_URL"]


@pytest.fixture(scope="session")
def shard_urls() -> list[str]:
    return os.environ["WALLET_SHARD_URLS"].split()


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

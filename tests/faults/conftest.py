"""Fault tests need the server itself: the cluster `make test` started (WALLET_PGDATA),
which they may crash and restart."""

import os
from pathlib import Path

import pytest

from wallet_dev.pgcluster import PgCluster


@pytest.fixture(scope="session")
def cluster() -> PgCluster:
    if not os.environ.get("WALLET_PGDATA"):
        pytest.skip("needs the throwaway cluster of `make test` (DATABASE_URL points at a server we may not crash)")
    return PgCluster(Path(os.environ["WALLET_PGDATA"]), Path(os.environ["WALLET_PGBIN"]))

"""The failover tests run on a pg_auto_failover formation (`make test-ha`:
python -m wallet_dev.ha run -- pytest tests/ha), which they may break."""

import os
from pathlib import Path

import pytest

from wallet_dev.ha import Formation


@pytest.fixture(scope="session")
def formation() -> Formation:
    return Formation(Path(os.environ["WALLET_HA_DIR"]))

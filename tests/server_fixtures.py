"""The real API server (wallet_api.serve) serving the API against the test database, migrated and seeded, and
logged in as its own role (a member of wallet_api only), as in production."""

import os
import secrets
import uuid
from pathlib import Path

import pytest
from psycopg.conninfo import make_conninfo

from tests.support import Api
from wallet_api.credentials import set_database_login
from wallet_api.migrate import migrate, seed
from wallet_dev.servers import serving

API_LOGIN = "wallet_app_test"


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def api_db_url(db_url) -> str:
    """The API's own login: what its pool connects as."""
    migrate(db_url)
    seed(db_url)
    password = secrets.token_urlsafe(24)
    set_database_login(db_url, API_LOGIN, password)
    return make_conninfo(db_url, user=API_LOGIN, password=password)


@pytest.fixture(scope="session")
def server_env(api_db_url, jwt_secret) -> dict:
    # Default rate limits for writes (services unthrottled, users per subject); logins
    # are raised because the whole suite logs in from one address.
    return {
        **os.environ,
        "DATABASE_URL": api_db_url,
        "JWT_SECRET_KEY": jwt_secret,
        "WALLET_ENV": "test",
        "WEB_CONCURRENCY": "2",
        "WALLET_THREADS": "4",
        "WALLET_RATE_LIMIT_LOGIN": "10000/minute",
        "WALLET_RATE_LIMIT_LOGIN_ADDRESS": "10000/minute",
    }


@pytest.fixture(scope="session")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("api-server") / "server.log"


@pytest.fixture(scope="session")
def base_url(server_env, server_log):
    with serving(server_env, server_log) as base:
        yield base


@pytest.fixture(scope="session")
def api(base_url) -> Api:
    return Api(base_url)


@pytest.fixture
def funded_user(api):
    """A new user, opened by the game service and topped up by payments."""

    def _funded_user(gold: int = 0) -> str:
        user_id = str(uuid.uuid4())
        r = api.post("/accounts", api.service_token("game"), json={"user_id": user_id, "name": "Test User"})
        assert r.status_code == 201, r.text
        if gold:
            r = api.post(
                "/wallet/topup",
                api.service_token("payments"),
                json={"user_id": user_id, "asset_type_id": 1, "amount": gold, "payment_id": f"fund-{user_id}"},
            )
            assert r.status_code == 201, r.text
        return user_id

    return _funded_user

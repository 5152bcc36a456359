"""A real gunicorn serving the API against the test database, migrated and seeded."""
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ALICE = "0f6d220d-61fa-4be7-b0a2-e05dbd9aee32"
BOB = "b55709be-d0f6-467e-942c-cc04155ad54c"
SECRETS = {"payments": "payments-dev", "rewards": "rewards-dev", "game": "game-dev"}
PASSWORDS = {ALICE: "alice-dev", BOB: "bob-dev"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "api" / "gunicorn.conf.py"), "wallet_api.wsgi:app"],
        env={**env, "PORT": str(port), "HOST": "127.0.0.1"}, cwd=ROOT,
        stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)


def wait_until_healthy(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become healthy")


@pytest.fixture(scope="session")
def jwt_secret() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def server_env(db_url, jwt_secret) -> dict:
    env = {**os.environ, "DATABASE_URL": db_url, "JWT_SECRET_KEY": jwt_secret, "WALLET_ENV": "test",
           "PYTHONPATH": str(ROOT / "api"), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4",
           "WALLET_RATE_LIMIT_LOGIN": "10000/minute", "WALLET_RATE_LIMIT_WRITES": "100000/minute"}
    subprocess.run([sys.executable, "-m", "wallet_api.schema", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "wallet_api.schema", "seed"], env=env, check=True, capture_output=True)
    return env


@pytest.fixture(scope="session")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gunicorn") / "server.log"


@pytest.fixture(scope="session")
def base_url(server_env, server_log):
    port = free_port()
    proc = start_gunicorn(server_env, port, server_log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Api:
    """A thin HTTP client: tokens by role, JSON in and out."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.request("POST", path, token, **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.request("GET", path, token, **kwargs)

    def service_token(self, client_id: str) -> str:
        if client_id not in self._tokens:
            r = self.post("/auth/token", json={"client_id": client_id, "client_secret": SECRETS[client_id]})
            assert r.status_code == 200, r.text
            self._tokens[client_id] = r.json()["access_token"]
        return self._tokens[client_id]

    def user_token(self, user_id: str, password: str | None = None) -> str:
        if user_id not in self._tokens:
            r = self.post("/auth/login", json={"user_id": user_id, "password": password or PASSWORDS[user_id]})
            assert r.status_code == 200, r.text
            self._tokens[user_id] = r.json()["access_token"]
        return self._tokens[user_id]

    def balance(self, user_id: str, asset_type_id: int = 1) -> int:
        r = self.get("/wallet/balance", self.service_token("payments"), params={"user_id": user_id})
        assert r.status_code == 200, r.text
        return next(b["balance"] for b in r.json()["balances"] if b["asset_type_id"] == asset_type_id)


@pytest.fixture(scope="session")
def api(base_url) -> Api:
    return Api(base_url)


@pytest.fixture
def funded_user(api):
    """A new user with a login, opened by the game service and topped up by payments."""
    import uuid

    def _funded_user(gold: int = 0) -> str:
        user_id = str(uuid.uuid4())
        r = api.post("/accounts", api.service_token("game"), json={"user_id": user_id, "name": "Test User"})
        assert r.status_code == 201, r.text
        if gold:
            r = api.post("/wallet/topup", api.service_token("payments"),
                         json={"user_id": user_id, "asset_type_id": 1, "amount": gold, "payment_id": f"fund-{user_id}"})
            assert r.status_code == 201, r.text
        return user_id

    return _funded_user

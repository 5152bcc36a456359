"""Helpers shared by the tests: constants of the dev seed, the API server process on a
free port, a small HTTP client, and connections behind the functions."""

import psycopg
import requests

from wallet_dev.ports import free_port  # noqa: F401 (re-exported for the tests)
from wallet_dev.servers import ROOT, start_server, wait_until_healthy  # noqa: F401

ALICE = "0f6d220d-61fa-4be7-b0a2-e05dbd9aee32"
BOB = "b55709be-d0f6-467e-942c-cc04155ad54c"
SECRETS = {
    "payments": "payments-dev",
    "rewards": "rewards-dev",
    "game": "game-dev",
    "finance": "finance-dev",
    "support": "support-dev",
}
PASSWORDS = {ALICE: "alice-dev", BOB: "bob-dev"}


def assert_problem(r: requests.Response, status: int, code: str) -> dict:
    """The response is the RFC 9457 problem of that status and code."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status
    return body


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

    def put(self, path, token=None, **kwargs):
        return self.request("PUT", path, token, **kwargs)

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

"""Rate limits with their defaults and with an operator's settings: logins per address,
writes per user; a service (a backend writing for every player) is not throttled
unless an operator sets a limit for services."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support import ALICE, PASSWORDS, SECRETS, assert_problem
from wallet_dev.servers import serving


def server(server_env, tmp_path, **settings):
    return serving({**server_env, "WEB_CONCURRENCY": "1", **settings}, tmp_path / "limited.log")


def token(base: str, subject: str) -> str:
    if subject in SECRETS:
        r = requests.post(
            f"{base}/auth/token", json={"client_id": subject, "client_secret": SECRETS[subject]}, timeout=10
        )
    else:
        r = requests.post(f"{base}/auth/login", json={"user_id": subject, "password": PASSWORDS[subject]}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_services_are_not_throttled_by_default(api, funded_user, report):
    """The suite's server runs with the default write limits: 1,400 top-ups by one
    service in a burst (more than the per-user budget of 1,200 a minute) all land."""
    user = funded_user()
    payments = api.service_token("payments")
    session = requests.Session()

    def topup(n: int) -> int:
        body = {"user_id": user, "asset_type_id": 1, "amount": 1, "payment_id": f"burst-{n}"}
        return session.post(f"{api.base}/wallet/topup", json=body, timeout=30,
                            headers={"Authorization": f"Bearer {payments}"}).status_code  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(topup, range(1400)))
    report(f"1,400 top-ups by one service with the default limits: {statuses.count(201)} x 201")
    assert statuses.count(201) == 1400
    assert api.balance(user) == 1400


def test_user_writes_are_limited_and_services_only_when_set(server_env, funded_user, tmp_path):
    user = funded_user(gold=100)
    limits = {"WALLET_RATE_LIMIT_USER_WRITES": "3/minute"}
    with server(server_env, tmp_path, **limits) as base:
        alice, game = token(base, ALICE), token(base, "game")

        def spend(bearer: str, key: str, user_id: str | None = None) -> requests.Response:
            body = {
                "asset_type_id": 1,
                "amount": 1,
                "idempotency_key": key,
                **({"user_id": user_id} if user_id else {}),
            }
            return requests.post(
                f"{base}/wallet/spend", json=body, headers={"Authorization": f"Bearer {bearer}"}, timeout=10
            )

        run = uuid.uuid4()
        statuses = [spend(alice, f"limited-{run}-{n}").status_code for n in range(4)]
        assert statuses == [201, 201, 201, 429]
        limited = spend(alice, f"limited-{run}-5")
        assert_problem(limited, 429, "rate_limited")
        assert 0 < int(limited.headers["Retry-After"]) <= 61
        assert [spend(game, f"svc-{run}-{n}", user).status_code for n in range(6)] == [201] * 6

    with server(server_env, tmp_path, **limits, WALLET_RATE_LIMIT_SERVICE_WRITES="3/minute") as base:
        game = token(base, "game")
        statuses = [spend(game, f"svc-limited-{run}-{n}", user).status_code for n in range(4)]
        assert statuses == [201, 201, 201, 429]


def test_logins_are_rate_limited_per_address(server_env, tmp_path):
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="5/minute") as base:
        statuses = [
            requests.post(f"{base}/auth/login", json={"user_id": ALICE, "password": "wrong"}, timeout=10)
            for _ in range(7)
        ]
        assert [r.status_code for r in statuses] == [401] * 5 + [429] * 2
        limited = assert_problem(statuses[-1], 429, "rate_limited")
        assert limited["detail"]
        assert 0 < int(statuses[-1].headers["Retry-After"]) <= 61  # the window, rounded up

"""Rate limits with their defaults and with an operator's settings: logins per (address,
account) with a ceiling per address, one budget for both login routes, shared by every
worker through redis, the address taken from a proxy only when told; writes per user;
a service (a backend writing for every player) is not throttled unless an operator
sets a limit for services."""

import re
import shutil
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support import ALICE, BOB, PASSWORDS, SECRETS, assert_problem
from wallet_api.config import Settings
from wallet_dev.ports import free_port
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


def test_logins_are_rate_limited_per_address_and_account(server_env, tmp_path):
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="5/minute") as base:
        statuses = [
            requests.post(f"{base}/auth/login", json={"user_id": ALICE, "password": "wrong"}, timeout=10)
            for _ in range(7)
        ]
        assert [r.status_code for r in statuses] == [401] * 5 + [429] * 2
        limited = assert_problem(statuses[-1], 429, "rate_limited")
        assert limited["detail"]
        assert 0 < int(statuses[-1].headers["Retry-After"]) <= 61  # the window, rounded up


def test_console_sign_ins_are_rate_limited_like_logins(server_env, tmp_path):
    """The console's sign-in form counts against the same budgets, per (address, name);
    showing the form costs nothing."""
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="3/minute") as base:
        browser = requests.Session()
        statuses = []
        for _ in range(5):
            page = browser.get(f"{base}/console/login", timeout=10)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            form = {"name": "Nobody Here", "password": "wrong", "csrf_token": token}
            statuses.append(browser.post(f"{base}/console/login", data=form, timeout=10).status_code)
        assert statuses == [401] * 3 + [429] * 2
        assert "Too many attempts" in browser.post(f"{base}/console/login", data=form, timeout=10).text


def guess(base: str, account: str, route: str = "login", **headers: str) -> int:
    body = {"user_id": account, "password": "wrong"} if route == "login" else {"client_id": account,
                                                                                  "client_secret": "wrong"}  # fmt: skip
    return requests.post(f"{base}/auth/{route}", json=body, headers=headers, timeout=10).status_code


def test_many_players_behind_one_address_log_in_and_one_address_has_a_ceiling(server_env, tmp_path, report):
    """70 players behind one carrier NAT each log in (here: fail to) with the default
    limits: no 429. An address spraying accounts stops at its own ceiling."""
    defaults = {
        "WALLET_RATE_LIMIT_LOGIN": Settings.rate_limit_login,
        "WALLET_RATE_LIMIT_LOGIN_ADDRESS": Settings.rate_limit_login_address,
    }  # the suite raises both
    with server(server_env, tmp_path, **defaults) as base:
        statuses = [guess(base, str(uuid.uuid4())) for _ in range(70)]
        assert statuses == [401] * 70
        # one account from one address: 20 a minute, the contract's floor per address
        one = str(uuid.uuid4())
        assert [guess(base, one) for _ in range(22)] == [401] * 20 + [429] * 2
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN_ADDRESS="20/minute") as base:
        statuses = [guess(base, str(uuid.uuid4())) for _ in range(25)]
        assert statuses == [401] * 20 + [429] * 5
    report(
        "logins: 70 accounts from one address with the defaults, no 429, one account 20 a minute; a ceiling of "
        "20 per address holds"
    )


def test_login_and_token_share_one_budget_per_account(server_env, tmp_path):
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="4/minute") as base:
        account = str(uuid.uuid4())
        first = [guess(base, account), guess(base, account.upper())]  # one user, however spelled
        rest = [guess(base, account, "token") for _ in range(3)]
        assert first + rest == [401, 401, 401, 401, 429]
        assert guess(base, str(uuid.uuid4())) == 401  # another account has its own budget


def test_the_address_comes_from_a_proxy_only_when_trusted(server_env, tmp_path):
    account = str(uuid.uuid4())
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="2/minute") as base:
        # not trusted: a forged X-Forwarded-For buys no new budget
        assert [guess(base, account, **{"X-Forwarded-For": f"10.0.0.{n}"}) for n in range(3)] == [401, 401, 429]
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_LOGIN="2/minute", WALLET_TRUSTED_PROXIES="1") as base:
        one = [guess(base, account, **{"X-Forwarded-For": "203.0.113.7"}) for _ in range(3)]
        other = [guess(base, account, **{"X-Forwarded-For": "198.51.100.9"}) for _ in range(3)]
        assert one == other == [401, 401, 429]


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server on a free loopback port, nothing kept on disk: (url, process)."""
    server = shutil.which("redis-server")
    if not server:
        pytest.fail("redis-server is needed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    return redis_server[0]


def test_a_shared_store_holds_the_login_limit_across_workers(server_env, tmp_path, redis_url, report):
    """Two server workers, the limits in redis: 30 guesses at one account from one
    address get exactly the budget of 10, whichever worker answers."""
    settings = {"WEB_CONCURRENCY": "2", "WALLET_RATE_LIMIT_LOGIN": "10/minute", "WALLET_RATE_LIMIT_STORAGE": redis_url}
    with serving({**server_env, **settings}, tmp_path / "redis.log") as base:
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda _: guess(base, ALICE), range(30)))
    assert sorted(statuses) == [401] * 10 + [429] * 20
    report("login limit in redis across 2 workers: 30 guesses, 10 answered, 20 refused")


def metric(base: str, name: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_service_goes_on_when_the_store_is_killed_and_when_it_never_answered(server_env, tmp_path, redis_server,
                                                                            report):  # fmt: skip
    """The store killed under a serving API, and a store that refuses connections from
    the start: logins and user writes still answer, the limits hold in each process's
    memory, the fall is logged once and counted."""
    url, store = redis_server
    run = uuid.uuid4().hex[:8]
    for case, storage in [("killed", url), ("refusing", f"redis://127.0.0.1:{free_port()}")]:
        settings = {"WEB_CONCURRENCY": "1", "WALLET_RATE_LIMIT_STORAGE": storage, "WALLET_RATE_LIMIT_LOGIN": "3/minute"}
        log = tmp_path / f"store-{case}.log"
        with serving({**server_env, **settings}, log) as base:
            if case == "killed":
                assert guess(base, BOB) == 401  # counted in redis
                store.kill()
                store.wait(timeout=10)
            started = time.monotonic()
            alice = token(base, ALICE)
            spend = requests.post(f"{base}/wallet/spend", json={"asset_type_id": 1, "amount": 1},
                                  headers={"Authorization": f"Bearer {alice}",
                                           "Idempotency-Key": f"fallback-{case}-{run}"}, timeout=10)  # fmt: skip
            assert spend.status_code == 201, spend.text
            took = time.monotonic() - started
            # the login limit still holds, in this process's memory
            assert [guess(base, BOB) for _ in range(4)] == [401, 401, 401, 429]
            assert metric(base, "wallet_rate_limit_store_fallbacks_total") == 1
        assert log.read_text().count("Rate limit storage unreachable") == 1
        report(f"rate-limit store {case}: login 200 and spend 201 in {took * 1000:.0f} ms, limits in memory, "
               "the fall logged and counted once")  # fmt: skip


def test_user_reads_are_limited_and_a_statement_weighs_a_hundred(server_env, tmp_path):
    with server(server_env, tmp_path, WALLET_RATE_LIMIT_USER_READS="105/minute") as base:
        alice, game = token(base, ALICE), token(base, "game")

        def read(path: str, bearer: str, **params) -> int:
            return requests.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {bearer}"},
                                timeout=10).status_code  # fmt: skip

        period = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        assert read("/wallet/statement", alice, **period) == 200  # 100 of the 105
        assert [read("/wallet/balance", alice) for _ in range(6)] == [200] * 5 + [429]
        assert read("/wallet/transactions", alice) == 429 and read("/wallet/statement", alice, **period) == 429
        # a service reading for many users is not throttled unless set
        assert {read("/wallet/balance", game, user_id=ALICE) for _ in range(110)} == {200}

"""Abuse: algorithm confusion, injection-shaped text in every field, the API's database
role, and what the request log may never contain."""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid

import psycopg
import pytest
import requests
from psycopg import sql

from tests.support import ALICE, PASSWORDS
from wallet_api.config import Settings
from wallet_api.db import Database

INJECTIONS = [
    "'; DROP TABLE wallet.ledger_entries; --",
    "1 OR 1=1",
    "$$; SELECT pg_sleep(10); $$",
    "\\x00",
    "%s%s%s",
    "{{7*7}}",
    "' UNION SELECT secret_hash FROM wallet.credentials --",
    "';DROP/**/TABLE/**/wallet.ledger_entries;--",
    "1'OR'1'='1",
]


def _key(text: str, n: int) -> str:
    """The text as an idempotency key where it is one (visible ASCII), else a plain key."""
    return f"{text}#{n}" if re.fullmatch(r"[!-~]+", text) else f"plain#{n}"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _signed(header: dict, claims: dict, key: str) -> str:
    signing_input = _b64(json.dumps(header).encode()) + b"." + _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64(signature)).decode()


def test_algorithm_confusion_is_401(api, jwt_secret):
    now = int(time.time())
    claims = {"sub": ALICE, "role": "user", "scopes": [], "type": "access", "iat": now, "nbf": now, "exp": now + 600}
    assert api.get("/wallet/balance", _signed({"alg": "HS256", "typ": "JWT"}, claims, jwt_secret)).status_code == 200
    for alg in ("RS256", "ES256", "PS256", "none", "HS384"):
        r = api.get("/wallet/balance", _signed({"alg": alg, "typ": "JWT"}, claims, jwt_secret))
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated", alg


def test_injection_shaped_text_is_data(api, funded_user, admin):
    user = funded_user(gold=100)
    payments, game = api.service_token("payments"), api.service_token("game")
    for n, text in enumerate(INJECTIONS):
        statuses = {
            "login user_id": api.post("/auth/login", json={"user_id": text, "password": "x"}).status_code,
            "login password": api.post("/auth/login", json={"user_id": ALICE, "password": text}).status_code,
            "client_id": api.post("/auth/token", json={"client_id": text, "client_secret": text}).status_code,
            "payment_id": api.post(
                "/wallet/topup",
                payments,
                json={
                    "user_id": user,
                    "asset_type_id": 1,
                    "amount": 1,
                    "payment_id": _key(text, n),
                    "metadata": {text: text},
                },
            ).status_code,
            "header key": api.post(
                "/wallet/spend",
                game,
                json={"user_id": user, "asset_type_id": 1, "amount": 1},
                headers={"Idempotency-Key": f"{text}#h{n}"},
            ).status_code,
            "account name": api.post("/accounts", game, json={"user_id": str(uuid.uuid4()), "name": text}).status_code,
            "query": api.get("/wallet/transactions", payments, params={"user_id": text}).status_code,
        }
        assert 500 not in statuses.values(), (text, statuses)
        assert statuses["login password"] == 401 and statuses["client_id"] in (400, 401)
    stored = admin.execute(
        "SELECT idempotency_key, metadata FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = %s AND e.kind = 'topup' AND e.idempotency_key LIKE '%%#%%' ORDER BY entry_id",
        (user,),
    ).fetchall()
    assert [k for k, _ in stored] == [_key(t, n) for n, t in enumerate(INJECTIONS)]
    assert [m for _, m in stored] == [{t: t} for t in INJECTIONS], "stored verbatim"
    assert admin.execute("SELECT to_regclass('wallet.ledger_entries') IS NOT NULL").fetchone()[0]
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []


@pytest.fixture
def api_login(api_db_url):
    """A connection of the API's own pool: its login, made as production makes it."""
    db = Database(Settings(database_url=api_db_url, jwt_secret_key="x" * 32, env="production"))
    try:
        with db.pool.connection() as conn:
            yield conn
    finally:
        db.close()


def test_api_login_cannot_become_another_role(api_login):
    for role in ("postgres", "pg_read_all_data", "pg_write_server_files", "pg_execute_server_program"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied to set role"):
            api_login.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    assert api_login.execute("SELECT current_user, session_user").fetchone() == {
        "current_user": "wallet_app_test",
        "session_user": "wallet_app_test",
    }
    assert api_login.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == {
        "rolsuper": False
    }


def test_api_database_role_cannot_read_hashes_or_write_tables(api_login):
    memberships = api_login.execute(
        "SELECT r.rolname, array_agg(b.rolname ORDER BY b.rolname) AS member_of FROM pg_auth_members m"
        " JOIN pg_roles b ON b.oid = m.roleid JOIN pg_roles r ON r.oid = m.member"
        " WHERE r.rolname IN ('wallet_api', current_user) GROUP BY r.rolname ORDER BY r.rolname"
    ).fetchall()
    assert memberships == [
        {"rolname": "wallet_api", "member_of": ["wallet_auth", "wallet_service"]},
        {"rolname": "wallet_app_test", "member_of": ["wallet_api"]},
    ]
    for statement in [
        "SELECT * FROM wallet.credentials",
        "SELECT secret_hash FROM wallet.credentials WHERE subject = 'payments'",
        "INSERT INTO wallet.wallets (account_id, asset_type_id) VALUES (1, 1)",
        "UPDATE wallet.wallets SET balance = 10",
        "DELETE FROM wallet.ledger_entries",
        "INSERT INTO wallet.credentials (kind, subject, secret_hash) VALUES ('user', 'x', '$argon2x')",
        "SELECT * FROM wallet.post_entry('topup', gen_random_uuid(), 1, 1, 'k', '{}', NULL)",
    ]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            api_login.execute(statement)
    assert api_login.execute("SELECT count(*) FROM wallet_balance(%s)", (ALICE,)).fetchone() == {"count": 2}


def test_request_log_holds_no_secret(api, server_log):
    api.post("/auth/login", json={"user_id": ALICE, "password": PASSWORDS[ALICE]})
    api.post("/auth/token", json={"client_id": "payments", "client_secret": "payments-dev"})
    token = api.user_token(ALICE)
    api.get("/wallet/balance", token)
    time.sleep(0.3)  # the server writes its log asynchronously
    text = server_log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    logins = [line for line in lines if line["route"] == "/auth/login" and line["status"] == 200]
    assert logins and set(logins[0]) == {"method", "route", "status", "duration_ms", "request_id", "subject"}
    assert logins[0]["subject"] == ALICE
    for secret in ["alice-dev", "bob-dev", "payments-dev", "rewards-dev", "game-dev", token, "$argon2"]:
        assert secret not in text


def test_no_redirect_is_built_from_the_host_header(api):
    for path in ["//openapi.json", "//wallet//balance", "/openapi.json/"]:
        r = requests.get(f"{api.base}{path}", headers={"Host": "evil.example"}, allow_redirects=False, timeout=10)
        assert not 300 <= r.status_code < 400, (path, r.status_code, r.headers.get("Location"))
        assert "evil.example" not in r.headers.get("Location", "") and "evil.example" not in r.text
        assert r.status_code in (200, 404)

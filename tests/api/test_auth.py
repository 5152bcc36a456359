"""Logins, tokens and the ways a token can be wrong: each of them is a 401 problem."""

import base64
import json
import secrets
import subprocess
import sys
import time

import jwt as pyjwt
import pytest

from tests.support import ALICE, ROOT, assert_problem, free_port


def test_user_login_issues_a_short_lived_bearer_token(api, jwt_secret):
    r = api.post("/auth/login", json={"user_id": ALICE, "password": "alice-dev"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    claims = pyjwt.decode(body["access_token"], jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == ALICE and claims["role"] == "user"
    assert claims["exp"] - int(claims["iat"]) == 15 * 60  # iat has milliseconds


def test_whoami_describes_the_token(api):
    assert api.get("/auth/whoami", api.user_token(ALICE)).json() == {
        "sub": ALICE,
        "role": "user",
        "scopes": ["wallet:read", "wallet:spend"],
    }
    assert api.get("/auth/whoami").status_code == 401


def test_service_token_carries_the_client_scopes(api, jwt_secret):
    r = api.post("/auth/token", json={"client_id": "game", "client_secret": "game-dev"})
    assert r.status_code == 200
    claims = pyjwt.decode(r.json()["access_token"], jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == "game" and claims["role"] == "service"
    game_scopes = [
        "accounts:read",
        "accounts:write",
        "wallet:exchange",
        "wallet:hold",
        "wallet:read",
        "wallet:reverse",
        "wallet:spend",
        "wallet:transfer",
    ]
    assert sorted(claims["scopes"]) == game_scopes
    finance = api.get("/auth/whoami", api.service_token("finance")).json()
    assert finance == {"sub": "finance", "role": "service", "scopes": ["reports:read", "wallet:read"]}


def test_unknown_user_and_wrong_password_answer_alike(api):
    wrong = api.post("/auth/login", json={"user_id": ALICE, "password": "nope"})
    unknown = api.post("/auth/login", json={"user_id": "00000000-0000-4000-8000-000000000000", "password": "nope"})
    a, b = assert_problem(wrong, 401, "unauthenticated"), assert_problem(unknown, 401, "unauthenticated")
    a.pop("request_id"), b.pop("request_id")
    assert a == b


def test_wrong_client_secret_is_401(api):
    for client_id in ("payments", "nobody"):
        r = api.post("/auth/token", json={"client_id": client_id, "client_secret": "x"})
        assert_problem(r, 401, "unauthenticated")


def test_login_body_is_validated(api):
    assert_problem(api.post("/auth/login", json={"user_id": ALICE}), 400, "invalid_request")
    assert_problem(
        api.post("/auth/login", json={"user_id": ALICE, "password": "alice-dev", "role": "service"}),
        400,
        "invalid_request",
    )
    assert_problem(api.post("/auth/login", data=b"{not json", headers={"Content-Type": "application/json"}), 400,
                   "invalid_request")  # fmt: skip


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": ALICE,
        "role": "user",
        "scopes": ["wallet:read"],
        "type": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "t",
        "fresh": False,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _balance_with(api, token):
    return api.get("/wallet/balance", token)


def test_a_handmade_token_with_the_right_key_works(api, jwt_secret):
    token = pyjwt.encode(_claims(), jwt_secret, algorithm="HS256")
    assert _balance_with(api, token).status_code == 200


def test_bad_tokens_are_401(api, jwt_secret):
    unsigned = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
        + b"."
        + base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
        + b"."
    ).decode()
    bad = {
        "missing": None,
        "garbage": "not-a-jwt",
        "wrong key": pyjwt.encode(_claims(), "another-secret-of-at-least-32-bytes!!", algorithm="HS256"),
        "alg none": unsigned,
        "expired": pyjwt.encode(_claims(exp=int(time.time()) - 5), jwt_secret, algorithm="HS256"),
        "no exp": pyjwt.encode(_claims(exp=None), jwt_secret, algorithm="HS256"),
        "HS512": pyjwt.encode(_claims(), jwt_secret, algorithm="HS512"),
        "refresh as access": pyjwt.encode(_claims(type="refresh"), jwt_secret, algorithm="HS256"),
        "no role": pyjwt.encode(_claims(role=None), jwt_secret, algorithm="HS256"),
        "user sub not a uuid": pyjwt.encode(_claims(sub="admin"), jwt_secret, algorithm="HS256"),
    }
    for name, token in bad.items():
        r = _balance_with(api, token)
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert r.json()["code"] == "unauthenticated", name


def test_a_verified_token_still_expires(api, jwt_secret):
    """Workers keep a token they have verified, but check its expiry on every request."""
    token = pyjwt.encode(_claims(exp=int(time.time()) + 2), jwt_secret, algorithm="HS256")
    assert _balance_with(api, token).status_code == 200
    assert _balance_with(api, token).status_code == 200
    time.sleep(2.5)
    for _ in range(4):  # whichever worker answers
        r = _balance_with(api, token)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated", r.text
        assert "expired" in r.json()["detail"]


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_service_refuses_to_start_without_a_secret_outside_development(server_env, server):
    env = {k: v for k, v in server_env.items() if k != "JWT_SECRET_KEY"} | {"WALLET_ENV": "production"}
    proc = subprocess.run(
        [sys.executable, "-m", "wallet_api.serve"],
        env={**env, "WALLET_SERVER": server, "PORT": str(free_port())},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "JWT_SECRET_KEY is required" in proc.stderr + proc.stdout


def test_production_refuses_published_and_predictable_keys():
    from wallet_api.config import ConfigError, Settings

    compose = (ROOT / "docker-compose.yml").read_text()
    published = compose.split("JWT_SECRET_KEY:", 1)[1].split()[0]
    for key in [published, "a" * 32, "ab" * 24, "abcd" * 10]:
        environ = {"DATABASE_URL": "postgresql://x", "WALLET_ENV": "production", "JWT_SECRET_KEY": key}
        with pytest.raises(ConfigError, match="development key|too predictable"):
            Settings.from_env(environ)
        assert Settings.from_env({**environ, "WALLET_ENV": "development"}).jwt_secret_key == key
    good = secrets.token_urlsafe(48)
    environ = {"DATABASE_URL": "postgresql://x", "WALLET_ENV": "production", "JWT_SECRET_KEY": good}
    assert Settings.from_env(environ).jwt_secret_key == good


def test_a_short_secret_is_refused():
    from wallet_api.config import ConfigError, Settings

    try:
        Settings.from_env({"DATABASE_URL": "postgresql://x", "WALLET_ENV": "development", "JWT_SECRET_KEY": "short"})
    except ConfigError as exc:
        assert "at least 32 bytes" in str(exc)
    else:
        raise AssertionError("a short secret was accepted")


def test_operators_set_logins_with_the_credentials_tool(api, server_env, db_url):
    import uuid as uuid_module

    def tool(*args: str, secret: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "wallet_api.credentials", *args],
            input=secret,
            text=True,
            capture_output=True,
            env={**server_env, "DATABASE_URL": db_url},  # as the database owner
            cwd=ROOT,
            timeout=60,
        )

    done = tool("client", "shop", "wallet:spend", "wallet:read", secret="shop-secret-0123")
    assert done.returncode == 0, done.stderr
    r = api.post("/auth/token", json={"client_id": "shop", "client_secret": "shop-secret-0123"})
    assert r.status_code == 200
    assert api.get("/auth/whoami", r.json()["access_token"]).json()["scopes"] == ["wallet:read", "wallet:spend"]
    assert tool("client", "shop", "wallet:admin", secret="shop-secret-0123").returncode == 1, "unknown scope"
    assert tool("client", "shop", "wallet:read", secret="short").returncode == 1, "too short a secret"
    carol = str(uuid_module.uuid4())
    assert tool("user", carol, secret="long-enough-pass").returncode == 1, "no account yet"
    assert api.post("/accounts", api.service_token("game"), json={"user_id": carol, "name": "Carol"}).status_code == 201
    done = tool("user", carol, secret="carol-password-1")
    assert done.returncode == 0, done.stderr
    assert api.post("/auth/login", json={"user_id": carol, "password": "carol-password-1"}).status_code == 200
    assert tool("user", carol, secret="carol-password-2").returncode == 0, "replacing a password"
    assert api.post("/auth/login", json={"user_id": carol, "password": "carol-password-1"}).status_code == 401
    assert api.post("/auth/login", json={"user_id": carol, "password": "carol-password-2"}).status_code == 200

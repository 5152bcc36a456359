"""Creates or replaces the API's logins, hashing the secret with argon2 here (never in
the database). Run as the database owner, e.g.:

    echo -n "$SECRET" | python -m wallet_api.credentials client payments wallet:topup wallet:read
    echo -n "$PASSWORD" | python -m wallet_api.credentials user 0f6d220d-61fa-4be7-b0a2-e05dbd9aee32

The secret is read from standard input so that it stays out of the process list and the
shell history. A user must have an account (wallet_open_account) first.
"""
import os
import sys
import uuid

import psycopg
from argon2 import PasswordHasher

SCOPES = {"wallet:topup", "wallet:bonus", "wallet:spend", "wallet:read", "accounts:write"}


def set_credential(conninfo: str, kind: str, subject: str, secret: str, scopes: list[str]) -> None:
    if kind not in ("user", "client"):
        raise ValueError("kind must be user or client")
    if len(secret) < 12:
        raise ValueError("the secret must be at least 12 characters")
    if kind == "user":
        subject, scopes = str(uuid.UUID(subject)), []
    elif unknown := set(scopes) - SCOPES:
        raise ValueError(f"unknown scopes {sorted(unknown)}; known: {sorted(SCOPES)}")
    with psycopg.connect(conninfo) as conn:
        if kind == "user" and not conn.execute("SELECT 1 FROM wallet.accounts WHERE user_id = %s",
                                               (subject,)).fetchone():
            raise ValueError(f"no account for user {subject}: open it first")
        conn.execute(
            "INSERT INTO wallet.credentials (kind, subject, secret_hash, scopes) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (kind, subject) DO UPDATE SET secret_hash = excluded.secret_hash, scopes = excluded.scopes",
            ("service" if kind == "client" else "user", subject, PasswordHasher().hash(secret), scopes))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("user", "client") or not os.environ.get("DATABASE_URL"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        set_credential(os.environ["DATABASE_URL"], argv[0], argv[1], sys.stdin.read(), argv[2:])
    except (ValueError, psycopg.Error) as exc:
        print(f"credentials: {exc}", file=sys.stderr)
        return 1
    print(f"credentials: {argv[0]} {argv[1]} set")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

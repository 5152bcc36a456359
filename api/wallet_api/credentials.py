"""Creates or replaces logins, run as the database owner:

    echo -n "$SECRET" | python -m wallet_api.credentials client payments wallet:topup wallet:read
    echo -n "$PASSWORD" | python -m wallet_api.credentials user 0f6d220d-61fa-4be7-b0a2-e05dbd9aee32
    echo -n "$PASSWORD" | python -m wallet_api.credentials staff "Sam Support" accounts:read accounts:admin
    echo -n "$PASSWORD" | python -m wallet_api.credentials database-login wallet_app
    echo -n "$PASSWORD" | python -m wallet_api.credentials database-login wallet_worker_app wallet_worker
    python -m wallet_api.credentials revoke client payments      (or: revoke user USER_ID,
                                                                  revoke staff NAME)

`client` and `user` are the HTTP API's callers, `staff` the support console's people
(/console; scopes accounts:read, accounts:admin, reports:read), hashed with argon2 here (never in the
database) and written by wallet_set_credential, so DATABASE_URL may be a router: the login
lands on its subject's shard. A user must have an account (wallet_open_account) first, and
one whose account is erased gets none. `database-login`
is a PostgreSQL role the API (or, with the group wallet_worker, the worker) logs in
as: a LOGIN role whose only rights are those of its group role, wallet_api by default
(so it cannot SET ROLE to anything more).

Setting a login again replaces its secret and ends the tokens issued under the old one;
`revoke` deletes the login. Either way its tokens stop working within
WALLET_CREDENTIAL_CHECK_SECONDS (30) at the latest.

The secret is read from standard input so that it stays out of the process list and the
shell history.
"""

import re
import sys
import uuid

import psycopg
from argon2 import PasswordHasher
from psycopg import sql

from .config import CommandSettings
from .scopes import Scope

SCOPES = {str(scope) for scope in Scope}
KINDS = ("user", "client", "staff", "database-login")
STAFF_SCOPES = {str(Scope.ACCOUNTS_READ), str(Scope.ACCOUNTS_ADMIN), str(Scope.REPORTS_READ)}
# the kind a login has in the database (wallet_set_credential)
STORED_KIND = {"user": "user", "client": "service", "staff": "staff"}


def set_credential(conninfo: str, kind: str, subject: str, secret: str, scopes: list[str]) -> None:
    if kind not in STORED_KIND:
        raise ValueError("kind must be user, client or staff")
    if len(secret) < 12:
        raise ValueError("the secret must be at least 12 characters")
    if kind == "user":
        subject, scopes = str(uuid.UUID(subject)), []
    elif unknown := set(scopes) - (known := STAFF_SCOPES if kind == "staff" else SCOPES):
        raise ValueError(f"unknown scopes {sorted(unknown)}; known: {sorted(known)}")
    try:
        with psycopg.connect(conninfo) as conn:  # a database, or the router: then the subject's shard
            conn.execute(
                "SELECT wallet_set_credential(%s, %s, %s, %s)",
                (STORED_KIND[kind], subject, PasswordHasher().hash(secret), scopes),
            )
    except psycopg.Error as exc:
        if exc.diag.sqlstate == "WA003":
            raise ValueError(f"no account for user {subject}: open it first") from None
        if exc.diag.sqlstate == "WA011":  # an erased person logs in no more (wallet_erase_user)
            raise ValueError(f"the account of user {subject} is erased") from None
        raise


LOGIN_GROUPS = ("wallet_api", "wallet_worker")


def set_database_login(conninfo: str, role: str, password: str, group: str = "wallet_api") -> None:
    """Creates (or re-passwords) a login role that is a member of `group` and nothing else."""
    if group not in LOGIN_GROUPS:
        raise ValueError(f"the group must be one of {LOGIN_GROUPS}")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role) or role.startswith("pg_"):
        raise ValueError("the role name must be a lower-case SQL identifier not starting with pg_")
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters")
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('wallet.roles'))")
        exists = conn.execute(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
            " FROM pg_roles WHERE rolname = %s",
            (role,),
        ).fetchone()
        others_row = conn.execute(
            "SELECT string_agg(g.rolname, ', ') FROM pg_auth_members m"
            " JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member"
            " WHERE r.rolname = %s AND g.rolname <> %s",
            (role, group),
        ).fetchone()
        others = others_row[0] if others_row else None
        if exists and (exists[0] or others):
            raise ValueError(f"role {role} has rights beyond {group}; choose another name for this login")
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN INHERIT PASSWORD {}").format(  # noqa: S608
                sql.Identifier(role), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(role)))


def revoke_credential(conninfo: str, kind: str, subject: str) -> bool:
    """Deletes a user's, client's or member of staff's login; its tokens (or console
    sessions) stop working within WALLET_CREDENTIAL_CHECK_SECONDS. Answers whether there
    was one."""
    if kind not in STORED_KIND:
        raise ValueError("kind must be user, client or staff")
    if kind == "user":
        subject = str(uuid.UUID(subject))
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT wallet_revoke_credential(%s, %s)", (STORED_KIND[kind], subject)).fetchone()
        return bool(row and row[0])


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    if len(argv) < 2 or argv[0] not in (*KINDS, "revoke") or not conninfo:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "revoke" and len(argv) == 3:
            found = revoke_credential(conninfo, argv[1], argv[2])
            print(f"credentials: {argv[1]} {argv[2]} " + ("revoked" if found else "not found"))
            return 0 if found else 1
        if argv[0] == "database-login" and len(argv) in (2, 3):
            set_database_login(conninfo, argv[1], sys.stdin.read(), *argv[2:])
        else:
            set_credential(conninfo, argv[0], argv[1], sys.stdin.read(), argv[2:])
    except (ValueError, psycopg.Error) as exc:
        print(f"credentials: {exc}", file=sys.stderr)
        return 1
    print(f"credentials: {argv[0]} {argv[1]} set")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

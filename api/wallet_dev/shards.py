"""The wallet split by user over N shard databases behind a PL/Proxy router
(docs/sharding.md). Every shard is a whole wallet database (sql/migrations, its own
Treasury); the router database holds the PL/Proxy twins of the public functions
(sql/router), and the API and the worker run against it unchanged.

    python -m wallet_dev.shards start DIR N     a kept cluster for DIR holding the router
                                                 and N shards (N a power of two), migrated
                                                 and seeded; prints the router's URL
    python -m wallet_dev.shards stop DIR
    python -m wallet_dev.shards run N -- CMD...  N throwaway shards and a router in the
                                                 cluster of DATABASE_URL; runs CMD with
                                                 WALLET_ROUTER_URL and WALLET_SHARD_URLS
                                                 (space-separated) set, then drops them

Here all databases share one PostgreSQL server; a shard on a server of its own is one
more line in the foreign server's options (router_setup takes any conninfo).
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from wallet_api import migrate
from wallet_dev.pgcluster import ClusterError, PgCluster

SHARD_LOGIN = "wallet_router"  # the role the router logs in to the shards as, for callers other than the owner
EVENT_ID_STEP = 64  # each shard's feed positions step by this from 64 + its number (router.event_hash)


def database_names(prefix: str, count: int) -> tuple[str, list[str]]:
    """The router's database and the shards', in that order of the shards."""
    return f"{prefix}router", [f"{prefix}shard_{i}" for i in range(count)]


def _with_db(url: str, dbname: str) -> str:
    """The same server and login, another database, as a URL (no spaces: the URLs are
    passed on space-separated)."""
    parts = conninfo_to_dict(url)
    login = quote(parts.get("user", "postgres"), safe="")
    if parts.get("password"):
        login += ":" + quote(parts["password"], safe="")
    return f"postgresql://{login}@{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}/{quote(dbname, safe='')}"


def _create_databases(admin_url: str, names: list[str]) -> None:
    with psycopg.connect(_with_db(admin_url, "postgres"), autocommit=True) as conn:
        for name in names:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_databases(admin_url: str, names: list[str]) -> None:
    with psycopg.connect(_with_db(admin_url, "postgres"), autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate_shard(url: str, number: int) -> None:
    """The whole wallet schema, and feed positions that are unique across shards: set
    while the shard's feed is still empty (a position already given keeps its step)."""
    migrate.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        (called,) = conn.execute("SELECT is_called FROM wallet.event_position").fetchone() or (True,)
        if not called:
            conn.execute(
                f"ALTER SEQUENCE wallet.event_position INCREMENT BY {EVENT_ID_STEP}"
                f" START WITH {EVENT_ID_STEP + number} RESTART WITH {EVENT_ID_STEP + number}"
            )


def ensure_shard_login(admin_url: str, password: str) -> None:
    """The login the router uses on a shard for callers other than the database owner:
    the rights of the API and the worker there, nothing more."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SHARD_LOGIN,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(SHARD_LOGIN), sql.Literal(password))
        )
        conn.execute(
            sql.SQL("GRANT wallet_service, wallet_auth, wallet_worker TO {}").format(sql.Identifier(SHARD_LOGIN))
        )


def router_setup(router_url: str, shard_urls: list[str], shard_login_password: str) -> int:
    """Makes the router database route to these shards: the foreign server with one
    option per shard, the user mappings (the owner logs in as itself, everyone else as
    SHARD_LOGIN), the schema and the twins. Answers how many twins were made from the
    shards' catalogue."""
    if len(shard_urls) & (len(shard_urls) - 1) or not shard_urls:
        raise ValueError("PL/Proxy needs a power of two of shards")
    owner = conninfo_to_dict(router_url)
    partitions = {f"p{i}": _libpq_target(url) for i, url in enumerate(shard_urls)}
    with migrate.connect(router_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('wallet.schema'))")
        conn.execute((migrate.SQL_DIR / "router" / "schema.sql").read_text())
        conn.execute("DROP SERVER IF EXISTS wallet_shards CASCADE")
        options = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v)) for k, v in partitions.items()
        )
        conn.execute(sql.SQL("CREATE SERVER wallet_shards FOREIGN DATA WRAPPER plproxy OPTIONS ({})").format(options))
        conn.execute(
            sql.SQL("CREATE USER MAPPING FOR PUBLIC SERVER wallet_shards OPTIONS (user {}, password {})").format(
                sql.Literal(SHARD_LOGIN), sql.Literal(shard_login_password)
            )
        )
        conn.execute(
            sql.SQL("CREATE USER MAPPING FOR CURRENT_USER SERVER wallet_shards OPTIONS (user {}, password {})").format(
                sql.Literal(owner.get("user", "postgres")), sql.Literal(owner.get("password", ""))
            )
        )
        conn.execute("GRANT USAGE ON FOREIGN SERVER wallet_shards TO PUBLIC")
        for path in sorted((migrate.SQL_DIR / "router" / "functions").glob("*.sql")):
            conn.execute(path.read_text())
        (routed,) = conn.execute("SELECT router.route_user_functions()").fetchone() or (0,)
        conn.execute((migrate.SQL_DIR / "router" / "grants.sql").read_text())
        migrate.apply_job_queue_schema(conn)
    return routed


def _libpq_target(url: str) -> str:
    """The shard's address as a libpq string without the login (the user mappings carry it)."""
    parts = {k: v for k, v in conninfo_to_dict(url).items() if k not in ("user", "password")}
    return make_conninfo(**parts)


def seed(router_url: str, shard_urls: list[str]) -> None:
    """The dev seed: accounts and top-ups through the router (each on its user's
    shard), credentials on every shard (each is read from its subject's)."""
    if os.environ.get("WALLET_ENV") == "production":
        raise RuntimeError("refusing to load the development seed with WALLET_ENV=production")
    with psycopg.connect(router_url, autocommit=True) as conn:
        conn.execute((migrate.SQL_DIR / "seed" / "dev.sql").read_text())
    for url in shard_urls:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((migrate.SQL_DIR / "seed" / "dev_credentials.sql").read_text())


def build(admin_url: str, count: int, prefix: str, login_password: str) -> tuple[str, list[str]]:
    """Creates (or brings up to date) the router and `count` shards in the server of
    admin_url; answers their URLs."""
    router_db, shard_dbs = database_names(prefix, count)
    _create_databases(admin_url, [router_db, *shard_dbs])
    shard_urls = [_with_db(admin_url, name) for name in shard_dbs]
    router_url = _with_db(admin_url, router_db)
    for number, url in enumerate(shard_urls):
        migrate_shard(url, number)
    ensure_shard_login(admin_url, login_password)
    router_setup(router_url, shard_urls, login_password)
    return router_url, shard_urls


def _start(datadir: Path, count: int) -> str:
    cluster = PgCluster(datadir)
    cluster.ensure()
    secret = datadir / "router-password"
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_urlsafe(24) + "\n")
    router_url, shard_urls = build(cluster.url, count, "wallet_", secret.read_text().strip())
    seed(router_url, shard_urls)
    return router_url


def _run(count: int, cmd: list[str]) -> int:
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        print("shards run: DATABASE_URL (a superuser's) is required", file=sys.stderr)
        return 2
    prefix = f"t{os.getpid()}_"
    router_db, shard_dbs = database_names(prefix, count)
    try:
        router_url, shard_urls = build(admin_url, count, prefix, secrets.token_urlsafe(24))
        seed(router_url, shard_urls)
        env = {**os.environ, "WALLET_ROUTER_URL": router_url, "WALLET_SHARD_URLS": " ".join(shard_urls)}
        return subprocess.call(cmd, env=env)
    finally:
        _drop_databases(admin_url, [router_db, *shard_dbs])


def main(argv: list[str]) -> int:
    try:
        if len(argv) >= 3 and argv[0] == "run" and argv[2] == "--":
            return _run(int(argv[1]), argv[3:])
        if len(argv) == 3 and argv[0] == "start":
            print(_start(Path(argv[1]).resolve(), int(argv[2])))
            return 0
        if len(argv) == 2 and argv[0] == "stop":
            PgCluster(Path(argv[1])).stop()
            return 0
    except (ClusterError, ValueError) as exc:
        print(f"shards: {exc}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

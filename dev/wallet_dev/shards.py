"""The wallet split by user over N shard databases behind a PL/Proxy router
(docs/sharding.md). Every shard is a whole wallet database (sql/migrations, its own
Treasury); the router database holds the PL/Proxy twins of the public functions
(sql/router), and the API and the worker run against it unchanged.

    python -m wallet_dev.shards start DIR N     two kept servers in DIR: the router and the
                                                 even shards on one, the odd shards on the
                                                 other (N a power of two); migrated and
                                                 seeded; prints the router's URL
    python -m wallet_dev.shards stop DIR
    python -m wallet_dev.shards run N -- CMD...  a router and the even shards in the server
                                                 of DATABASE_URL, the odd ones on a
                                                 throwaway second server; runs CMD with
                                                 WALLET_ROUTER_URL and WALLET_SHARD_URLS
                                                 (space-separated) set, then removes them

The servers share this machine; a shard on a machine of its own is one more libpq
string in the foreign server's options (router_setup takes any).
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from wallet_api import migrate
from wallet_dev.pgcluster import ClusterError, PgCluster

SHARD_LOGIN = "wallet_router"  # the role the router logs in to the shards as, for callers other than the owner
EVENT_ID_STEP = 64  # each shard's feed positions step by this from 64 + its number (router.event_hash)
# the second server of each throwaway sharded wallet, by its router's URL: the fault tests
# stop and start it (the odd shards live there)
SECOND_SERVERS: dict[str, PgCluster] = {}


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
        conn.execute(  # only while nothing was placed: a position already given keeps its step
            "UPDATE wallet.feed_placer SET position_step = %(step)s, last_position = %(n)s, before_position = %(n)s"
            " WHERE last_position = 0 AND position_step = 1 AND NOT EXISTS (SELECT FROM wallet.event_feed)",
            {"step": EVENT_ID_STEP, "n": number},
        )
        (step, last) = conn.execute("SELECT position_step, last_position FROM wallet.feed_placer").fetchone()
        if step != EVENT_ID_STEP or last % EVENT_ID_STEP != number:
            # webhook deliveries are settled on the shard their event id names (router.event_hash)
            raise ValueError(
                f"shard {number} ({conninfo_to_dict(url).get('dbname')}) gave feed positions before it was made a"
                f" shard (step {step}, last {last}); make shards from new databases"
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
    accounts, credentials = migrate.SEED_FILES
    migrate.seed(router_url, (accounts,))
    for url in shard_urls:
        migrate.seed(url, (credentials,))


def build(admin_urls: list[str], count: int, prefix: str, login_password: str) -> tuple[str, list[str]]:
    """Creates (or brings up to date) the router and `count` shards: shard i on the
    server of admin_urls[i % len(admin_urls)], the router on the first. PL/Proxy logs in
    to every shard with one user mapping per caller, so each server must know the
    owner's login and password alike. Answers the router's URL and the shards'."""
    router_db, shard_dbs = database_names(prefix, count)
    homes = [admin_urls[i % len(admin_urls)] for i in range(count)]
    servers = list(dict.fromkeys(homes))  # those that hold a shard (all of them unless N is smaller)
    for server in servers:
        _create_databases(server, [name for name, home in zip(shard_dbs, homes, strict=True) if home == server])
    _create_databases(admin_urls[0], [router_db])
    shard_urls = [_with_db(home, name) for name, home in zip(shard_dbs, homes, strict=True)]
    router_url = _with_db(admin_urls[0], router_db)
    for number, url in enumerate(shard_urls):
        migrate_shard(url, number)
    for server in servers:  # after the migrations, which make the roles it joins
        ensure_shard_login(server, login_password)
    router_setup(router_url, shard_urls, login_password)
    return router_url, shard_urls


def second_server(cluster: PgCluster, first_url: str, settings: dict[str, str] | None = None) -> str:
    """Starts another server for shards, logged in to as the first server's owner with
    the same password (one user mapping serves every shard); answers its URL."""
    cluster.ensure(settings)
    password = conninfo_to_dict(first_url).get("password", "")
    if cluster.password != password:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(password)))
        (cluster.datadir / "password").write_text(password + "\n")
    return cluster.url


def _start(datadir: Path, count: int) -> str:
    first = PgCluster(datadir / "server-a")
    first.ensure()
    second = second_server(PgCluster(datadir / "server-b"), first.url)
    secret = datadir / "router-password"
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_urlsafe(24) + "\n")
    router_url, shard_urls = build([first.url, second], count, "wallet_", secret.read_text().strip())
    seed(router_url, shard_urls)
    return router_url


def _stop(datadir: Path) -> None:
    for server in ("server-a", "server-b"):
        PgCluster(datadir / server).stop()


@contextmanager
def sharded_beside(admin_url: str, count: int) -> Iterator[tuple[str, list[str]]]:
    """A throwaway sharded wallet: the router and the even shards in the server of
    admin_url (a superuser's), the odd ones on a second server started for it, migrated
    and seeded; yields the router's URL and the shards', then removes them all."""
    prefix = f"t{os.getpid()}_"
    router_db, shard_dbs = database_names(prefix, count)
    tmp = Path(tempfile.mkdtemp(prefix="wallet-shards-"))
    tmp.chmod(0o755)  # the server runs as another user when we are root
    second = PgCluster(tmp / "server-b")
    try:
        # the odd shards on a second server: the routing crosses servers as in production
        other = second_server(second, admin_url, {"fsync": "off", "full_page_writes": "off"})
        router_url, shard_urls = build([admin_url, other], count, prefix, secrets.token_urlsafe(24))
        seed(router_url, shard_urls)
        SECOND_SERVERS[router_url] = second
        yield router_url, shard_urls
    finally:
        _drop_databases(admin_url, [router_db, *shard_dbs])
        second.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)


def _run(count: int, cmd: list[str]) -> int:
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        print("shards run: DATABASE_URL (a superuser's) is required", file=sys.stderr)
        return 2
    with sharded_beside(admin_url, count) as (router_url, shard_urls):
        env = {**os.environ, "WALLET_ROUTER_URL": router_url, "WALLET_SHARD_URLS": " ".join(shard_urls)}
        return subprocess.call(cmd, env=env)


def main(argv: list[str]) -> int:
    try:
        if len(argv) >= 3 and argv[0] == "run" and argv[2] == "--":
            return _run(int(argv[1]), argv[3:])
        if len(argv) == 3 and argv[0] == "start":
            print(_start(Path(argv[1]).resolve(), int(argv[2])))
            return 0
        if len(argv) == 2 and argv[0] == "stop":
            _stop(Path(argv[1]).resolve())
            return 0
    except (ClusterError, ValueError) as exc:
        print(f"shards: {exc}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

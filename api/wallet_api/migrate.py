"""Applies the SQL in sql/ to DATABASE_URL.

`migrate`: each file of sql/migrations once, in name order, recorded with its checksum
(an applied migration that changed on disk is an error); then every file under
sql/functions (private/ holds the helpers), re-created each time with CREATE OR
REPLACE. All in one transaction under an advisory lock, so running it again, or twice
at once, is safe and keeps every balance and entry.

CREATE OR REPLACE cannot change a function's arguments or result columns: it would
make a second overload (five-argument calls become ambiguous) or fail. A signature
change therefore needs a new migration that drops the old function first; the file
in sql/functions then creates the new one. Renamed or removed functions are dropped
by a migration too (sql/tests/00_structure.sql lists every function that must exist).

`seed`: the development seed (sql/seed/dev.sql, then dev_credentials.sql); refused when WALLET_ENV=production.
"""

import hashlib
import sys
import time

import psycopg

from .config import CommandSettings, sql_dir

SQL_DIR = sql_dir()


def connect(conninfo: str) -> psycopg.Connection:
    """Connects, waiting up to WALLET_DB_WAIT_SECONDS for a database that is starting."""
    deadline = time.monotonic() + CommandSettings.from_env().db_wait_seconds
    while True:
        try:
            return psycopg.connect(conninfo)
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1)


def migrate(conninfo: str) -> list[str]:
    """Returns the names of the migrations applied by this call."""
    applied_now = []
    with connect(conninfo) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('wallet.schema'))")
        conn.execute("CREATE SCHEMA IF NOT EXISTS wallet")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS wallet.schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        recorded: dict[str, str] = dict(
            conn.execute("SELECT version, checksum FROM wallet.schema_migrations").fetchall()
        )
        for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
            text = path.read_text()
            checksum = hashlib.sha256(text.encode()).hexdigest()
            if path.name in recorded:
                if recorded[path.name] != checksum:
                    raise RuntimeError(f"{path.name} was changed after it was applied; add a new migration instead")
                continue
            conn.execute(text)
            conn.execute(
                "INSERT INTO wallet.schema_migrations (version, checksum) VALUES (%s, %s)",
                (path.name, checksum),
            )
            applied_now.append(path.name)
        apply_job_queue_schema(conn)
        # bodies are checked when called, so functions may refer to ones loaded after them
        conn.execute("SET LOCAL check_function_bodies = off")
        for path in sorted((SQL_DIR / "functions").rglob("*.sql")):
            conn.execute(path.read_text())
    return applied_now


def apply_job_queue_schema(conn: psycopg.Connection) -> None:
    """The worker's job queue: procrastinate's own schema (of the pinned release) in the
    schema `procrastinate`, made once, and granted to wallet_worker each time. A new
    procrastinate release brings migrations of its own to apply here."""
    from procrastinate.schema import SchemaManager

    if conn.execute("SELECT to_regnamespace('procrastinate')").fetchone() == (None,):
        return  # a schema older than sql/migrations/008_worker.sql
    if conn.execute("SELECT to_regclass('procrastinate.procrastinate_jobs')").fetchone() == (None,):
        previous = conn.execute("SELECT current_setting('search_path')").fetchone()
        conn.execute("SELECT set_config('search_path', 'procrastinate', true)")
        conn.execute(SchemaManager.get_schema())
        conn.execute("SELECT set_config('search_path', %s, true)", previous)
    conn.execute(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA procrastinate TO wallet_worker;"
        " GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA procrastinate TO wallet_worker"
    )


SEED_FILES = ("dev.sql", "dev_credentials.sql")


def seed(conninfo: str, files: tuple[str, ...] = SEED_FILES) -> None:
    """Loads these files of sql/seed, in order (a sharded wallet loads them in different
    databases: wallet_dev.shards)."""
    if CommandSettings.from_env().env == "production":
        raise RuntimeError("refusing to load the development seed with WALLET_ENV=production")
    with connect(conninfo) as conn:
        for name in files:
            conn.execute((SQL_DIR / "seed" / name).read_text())


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    if not conninfo or len(argv) != 1 or argv[0] not in ("migrate", "seed"):
        print("usage: DATABASE_URL=... python -m wallet_api.migrate migrate|seed", file=sys.stderr)
        return 2
    try:
        if argv[0] == "migrate":
            applied = migrate(conninfo)
            print(f"migrate: applied {len(applied)} new migration(s) {applied}; functions re-created")
        else:
            seed(conninfo)
            print("seed: development seed loaded")
    except (RuntimeError, psycopg.Error) as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

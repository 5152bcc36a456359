"""The bench cluster: a throwaway PostgreSQL with default durability, the bench
database with its funded users and bulk history, and pgbench runs against it."""

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import psycopg.sql

from wallet_api.migrate import migrate
from wallet_api.worker import place_events_forever
from wallet_dev.pgcluster import PgCluster, _as_postgres

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"

USERS = 100_000
BENCH_ROLE = "wallet_bench"  # pgbench logs in as this member of wallet_service
BENCH_PASSWORD = "bench-only-password"  # noqa: S105 (a throwaway cluster on loopback)
BATCH_SIZES = (100, 1000)
BATCHES = {f"batch of {n}, 50/50": n for n in BATCH_SIZES}  # wallet_post_batch: tps counts calls, not postings
SERVER = os.environ.get("WALLET_SERVER", "granian")  # the API's server (wallet_api.serve)
HTTP_BATCH_SIZE = 100
HTTP_BATCH = f"HTTP batch of {HTTP_BATCH_SIZE} spends"  # POST /wallet/batch: req/s counts calls, not postings
USER_UUID = "('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid"  # bench user n, in SQL


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- setup


def start_cluster(tmp: Path) -> PgCluster:
    cluster = PgCluster(tmp / "cluster")
    cluster.init(
        {
            "shared_preload_libraries": "'pg_stat_statements'",
            "max_connections": "300",
            "shared_buffers": "'512MB'",
            "max_wal_size": "'4GB'",
        }
    )
    cluster.start()
    cluster.create_db()
    return cluster


@contextmanager
def throwaway_cluster(prefix: str) -> Iterator[tuple[PgCluster, Path]]:
    """A bench cluster in a new temporary folder the server's user can enter; yields it and
    the folder, then stops it and removes both."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    tmp.chmod(0o777)
    cluster = start_cluster(tmp)
    try:
        yield cluster, tmp
    finally:
        cluster.stop("fast")
        shutil.rmtree(tmp, ignore_errors=True)


def load_users(conn: psycopg.Connection, users: int, funded: int, balance: int) -> None:
    """Opens `users` bench accounts (user n has a fixed uuid) and funds the first `funded`
    of them with one top-up each, written as ledger entries like any other."""
    conn.execute(
        f"""
        INSERT INTO wallet.accounts (kind, user_id, name)
        SELECT 'user', {USER_UUID}, 'bench ' || n FROM generate_series(1, %s::int) n
        ON CONFLICT (user_id) DO NOTHING""",
        (users,),
    )
    conn.execute("""
        INSERT INTO wallet.wallets (account_id, asset_type_id)
        SELECT a.account_id, t.asset_type_id FROM wallet.accounts a CROSS JOIN wallet.asset_types t
        WHERE a.kind = 'user' ON CONFLICT DO NOTHING""")
    add_rounds(conn, 1, funded, 1, 1, balance)


def add_rounds(conn: psycopg.Connection, first_user: int, last_user: int, first: int, last: int, amount: int) -> None:
    """Bulk history through the ledger's own triggers: rounds first..last of one top-up
    each for bench users first_user..last_user, each with its paid lot, then the cached
    balances. One statement per round, each moving the wallets' chain heads to the entries
    it wrote, so that the hash chain holds as if the functions had posted them."""
    params = {"first_user": first_user, "last_user": last_user, "first": first, "amount": amount}
    for r in range(first, last + 1):
        conn.execute(
            f"""
            WITH entries AS (
                INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id,
                                                   credit_account_id, amount, balance_after, idempotency_key,
                                                   metadata, paid_amount)
                SELECT w.account_id, 1, 'topup', t.account_id, w.account_id, %(amount)s,
                       w.balance + (%(r)s - %(first)s::int + 1) * %(amount)s::bigint, 'bulk-' || %(r)s,
                       '{{"bulk": true}}', %(amount)s
                FROM generate_series(%(first_user)s::int, %(last_user)s::int) n
                JOIN wallet.accounts a ON a.user_id = {USER_UUID}
                JOIN wallet.wallets w ON w.account_id = a.account_id AND w.asset_type_id = 1
                CROSS JOIN (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury') t
                ORDER BY n
                RETURNING account_id, entry_id, amount, hash
            ), lots AS (
                INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining)
                SELECT account_id, 1, 'paid', entry_id, amount, amount FROM entries
            )
            UPDATE wallet.wallets w SET chain_head = e.hash
            FROM entries e WHERE w.account_id = e.account_id AND w.asset_type_id = 1""",
            {**params, "r": r},
        )
    conn.execute(
        f"""
        UPDATE wallet.wallets w SET balance = w.balance + (%(last)s::int - %(first)s::int + 1) * %(amount)s::bigint,
                                    paid = w.paid + (%(last)s::int - %(first)s::int + 1) * %(amount)s::bigint
        FROM generate_series(%(first_user)s::int, %(last_user)s::int) n
        JOIN wallet.accounts a ON a.user_id = {USER_UUID}
        WHERE w.account_id = a.account_id AND w.asset_type_id = 1""",
        {**params, "last": last},
    )


def prepare_database(cluster: PgCluster, dbname: str) -> str:
    url = cluster.url.rsplit("/", 1)[0] + f"/{dbname}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (BENCH_ROLE,)).fetchone():
            conn.execute(
                psycopg.sql.SQL("CREATE ROLE {} LOGIN IN ROLE wallet_service PASSWORD {}").format(
                    psycopg.sql.Identifier(BENCH_ROLE), psycopg.sql.Literal(BENCH_PASSWORD)
                )
            )
    return url


def funded_bench_database(cluster: PgCluster, users: int) -> str:
    """The database "bench", migrated, with `users` bench users funded with one paid lot
    each, vacuumed and analysed; its URL."""
    url = prepare_database(cluster, "bench")
    with psycopg.connect(url, autocommit=True) as conn:
        load_users(conn, users, users, 1_000_000_000)
        conn.execute("VACUUM ANALYZE")
    return url


# ---------------------------------------------------------------- pgbench


def transactions_from_logs(prefix: Path) -> list[tuple[float, float]]:
    """Per-transaction (end time in s, latency in ms) from pgbench -l logs."""
    values = []
    for path in prefix.parent.glob(prefix.name + "*"):
        for line in path.read_text().splitlines():
            fields = line.split()
            values.append((int(fields[4]) + int(fields[5]) / 1e6, int(fields[2]) / 1000))
        path.unlink()
    return values


def second_half_tps(ends: list[float]) -> float:
    """Throughput over the second half of a run: what it settles to once every session
    has opened and warmed what it uses."""
    if not ends:
        return float("nan")
    start, stop = min(ends), max(ends)
    middle = (start + stop) / 2
    return sum(1 for t in ends if t > middle) / max(stop - middle, 1e-9)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def run_pgbench(cluster: PgCluster, user: str, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    """pgbench against the bench cluster, as the server's user, logged in as `user`."""
    password = BENCH_PASSWORD if user == BENCH_ROLE else cluster.password
    cmd = [str(cluster.pgbin / "pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", user, *args]
    return subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=check, cwd="/",
                          env={**os.environ, "PGPASSWORD": password})  # fmt: skip


def pgbench(cluster: PgCluster, dbname: str, user: str, clients: int, seconds: int, args: list[str]) -> dict:
    logdir = Path(tempfile.mkdtemp(prefix="pgbench-log-", dir=OUT))
    logdir.chmod(0o777)
    prefix = logdir / "tx"
    args = ["-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
            "-l", f"--log-prefix={prefix}", *args]  # fmt: skip
    proc = run_pgbench(cluster, user, [*args, dbname], check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed: {proc.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+)", proc.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", proc.stdout)
    transactions = transactions_from_logs(prefix)
    lat = [ms for _, ms in transactions]
    shutil.rmtree(logdir, ignore_errors=True)
    return {
        "tps": tps,
        "tps_second_half": second_half_tps([end for end, _ in transactions]),
        "mean_ms": statistics.fmean(lat),
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "failed": int(failed.group(1)) if failed else 0,
        "tx": len(lat),
    }


def scripts(*names_weights: tuple[str, int]) -> list[str]:
    args = []
    for name, weight in names_weights:
        args += ["-f", f"{BENCH / 'pgbench' / name}.sql@{weight}"]
    return args + ["-D", f"users={USERS}"]


def summarize(runs: list[dict], key: str = "tps") -> dict:
    values = [r[key] for r in runs]
    return {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}


def settle(cluster: PgCluster) -> None:
    """Vacuum and a checkpoint before a section, so that it does not pay for the previous
    section's writes (autovacuum and checkpoints in the middle of its runs)."""
    with psycopg.connect(cluster.url.rsplit("/", 1)[0] + "/bench", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


@contextmanager
def placing_feed(url: str) -> Iterator[None]:
    """The event feed placed by the worker's own placing loop, in a thread, for as long as
    the block runs. Everything committed before is placed first, so that the block's work
    does not also carry an earlier backlog."""
    with psycopg.connect(url, autocommit=True) as conn:
        last = None
        while (position := conn.execute("SELECT wallet_notify_events()").fetchone()[0]) != last:
            last = position
    stop = threading.Event()
    placer = threading.Thread(target=place_events_forever, args=(stop, url))
    placer.start()
    try:
        yield
    finally:
        stop.set()
        placer.join()

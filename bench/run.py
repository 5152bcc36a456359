#!/usr/bin/env python3
"""`make bench`: throughput, HTTP and growth benchmarks of the wallet, each measured side
by side with its baseline in one run (these machines are noisy), written to
bench/RESULTS.md with one chart per benchmark.

    python bench/run.py [--quick] [--only sql,http,growth,lots,holds,feed]

It starts its own PostgreSQL cluster with default durability settings (fsync and
synchronous_commit on) in a temp dir, plus pg_stat_statements for the profile.
"""

import argparse
import base64
import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import psycopg.sql
import requests
from psycopg.types.json import Jsonb
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wallet_api.credentials import set_database_login
from wallet_api.migrate import migrate, seed
from wallet_dev.pgcluster import PgCluster, _as_postgres
from wallet_dev.ports import free_port
from wallet_dev.servers import start_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"

USERS = 100_000
BENCH_ROLE = "wallet_bench"  # pgbench logs in as this member of wallet_service
BENCH_PASSWORD = "bench-only-password"  # noqa: S105 (a throwaway cluster on loopback)
BATCH_SIZES = (100, 1000)
BATCHES = {f"batch of {n}, 50/50": n for n in BATCH_SIZES}  # wallet_post_batch: tps counts calls, not postings
SERVER = os.environ.get("WALLET_SERVER", "granian")  # the API's server (wallet_api.serve)
SECTIONS = ("sql", "http", "servers", "memory", "growth", "lots", "holds", "feed")
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


def latencies_from_logs(prefix: Path) -> list[float]:
    """Per-transaction latencies (ms) from pgbench -l logs."""
    values = []
    for path in prefix.parent.glob(prefix.name + "*"):
        for line in path.read_text().splitlines():
            values.append(int(line.split()[2]) / 1000)
        path.unlink()
    return values


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
    lat = latencies_from_logs(prefix)
    shutil.rmtree(logdir, ignore_errors=True)
    return {
        "tps": tps,
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


# ---------------------------------------------------------------- benchmarks


def bench_sql(cluster: PgCluster, seconds: int, reps: int, client_counts: list[int]) -> dict:
    log(f"SQL level: {USERS:,} users, pgbench -N baseline and the wallet mixes, {reps}x interleaved")
    url = funded_bench_database(cluster, USERS)
    run_pgbench(cluster, "postgres", ["-i", "-s", "1", "-q", "bench"])
    workloads = {
        "pgbench -N": ("postgres", ["-N"]),
        "mixed 50/50": (BENCH_ROLE, scripts(("topup", 1), ("spend", 1))),
        "spend-heavy 20/80": (BENCH_ROLE, scripts(("topup", 1), ("spend", 4))),
        **{name: (BENCH_ROLE, [*scripts(("batch", 1)), "-D", f"batch={n}"]) for name, n in BATCHES.items()},
    }
    runs = {name: {c: [] for c in client_counts} for name in workloads}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    for rep in range(reps):
        for clients in client_counts:
            for name, (user, args) in workloads.items():
                result = pgbench(cluster, "bench", user, clients, seconds, args)
                runs[name][clients].append(result)
                log(
                    f"  rep {rep + 1} c={clients:<2} {name:<18} {result['tps']:8.0f} tps  "
                    f"p99 {result['p99_ms']:.2f} ms  failed {result['failed']}"
                )
    with psycopg.connect(url, autocommit=True) as conn:
        profile = conn.execute("""
            SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query, calls,
                   round(total_exec_time::numeric / greatest(calls, 1), 4) AS mean_ms,
                   round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
            ORDER BY total_exec_time DESC LIMIT 8""").fetchall()
        wal = conn.execute("SELECT wal_records, wal_bytes, wal_sync FROM pg_stat_wal").fetchone()
        verify_rows = len(conn.execute("SELECT * FROM wallet_verify()").fetchall())
        entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0]
    return {
        "runs": runs,
        "profile": profile,
        "wal": wal,
        "server_ms": server_time_per_posting(url, reps),
        "verify_rows": verify_rows,
        "entries": entries,
        "seconds": seconds,
        "reps": reps,
    }


def server_time_per_posting(url: str, reps: int) -> dict:
    """Execution time per posting as pg_stat_statements counts it (no round trip, no
    commit), from one client: mixed single postings, then batches of each size,
    interleaved `reps` times; each phase alone in the statistics."""
    rng = random.Random(7)

    def item(kind: str) -> dict:
        user = f"00000000-0000-4000-8000-{rng.randint(1, USERS):012d}"
        return {"kind": kind, "user_id": user, "asset_type_id": 1, "amount": 1, "idempotency_key": str(uuid.uuid4())}

    def single(conn: psycopg.Connection) -> None:
        for k in range(2000):
            kind = ("topup", "spend")[k % 2]
            posting = item(kind)
            conn.execute(f"SELECT * FROM wallet_{kind}(%s, 1, 1, %s)", (posting["user_id"], posting["idempotency_key"]))

    def batches(n: int):
        def run(conn: psycopg.Connection) -> None:
            for _ in range(max(2000 // n, 4)):
                postings = [item(("topup", "spend")[k % 2]) for k in range(n)]
                conn.execute("SELECT count(*) FROM wallet_post_batch(%s)", (Jsonb(postings),))

        return run

    phases = {"single": (single, 1), **{str(n): (batches(n), n) for n in BATCH_SIZES}}
    per_posting: dict[str, list[float]] = {name: [] for name in phases}
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(reps):
            for name, (run, size) in phases.items():
                conn.execute("SELECT pg_stat_statements_reset()")
                run(conn)
                total, calls = conn.execute(
                    "SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements"
                    " WHERE query ~ '^SELECT (\\*|count\\(\\*\\)) FROM wallet_(topup|spend|post_batch)\\('"
                ).fetchone()
                per_posting[name].append(float(total) / float(calls) / size)
    return {name: statistics.fmean(values) for name, values in per_posting.items()}


def service_token(base: str, client_id: str) -> str:
    r = requests.post(
        f"{base}/auth/token", json={"client_id": client_id, "client_secret": f"{client_id}-dev"}, timeout=10
    )
    r.raise_for_status()
    return r.json()["access_token"]


def wrk(base: str, mode: str, connections: int, seconds: int, env: dict) -> dict:
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk" / "load.lua"),
        base,
        "--",
        mode,
        str(USERS),
        str(HTTP_BATCH_SIZE),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
    data = json.loads(line[len("WRK_JSON ") :])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "statuses": data["statuses"],
        "socket_errors": data["socket_errors"],
        "requests": data["requests"],
    }


def bench_http(
    cluster: PgCluster, seconds: int, reps: int, concurrencies: list[int], workers: int, threads: int
) -> dict:
    log(f"HTTP level: {SERVER} {workers} workers x {threads} threads; wrk vs pgbench at the same concurrency")
    settle(cluster)
    port = free_port()
    server = start_server(api_env(cluster, workers, threads), port, OUT / "api-server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        pids = process_tree(server.pid)
        wrk_env = {
            **os.environ,
            "PAY_TOKEN": service_token(base, "payments"),
            "GAME_TOKEN": service_token(base, "game"),
        }
        runs = {
            name: {c: [] for c in concurrencies}
            for name in (
                "HTTP spend",
                "HTTP mixed 50/50",
                "HTTP whoami (no database)",
                HTTP_BATCH,
                "SQL spend (pgbench)",
            )
        }
        for rep in range(reps):
            for c in concurrencies:
                for name, mode in (
                    ("HTTP spend", "spend"),
                    ("HTTP mixed 50/50", "mix"),
                    ("HTTP whoami (no database)", "whoami"),
                    (HTTP_BATCH, "batch"),
                ):
                    cpu = cpu_seconds(pids)
                    result = wrk(base, mode, c, seconds, wrk_env)
                    result["api_cpu_ms"] = 1000 * (cpu_seconds(pids) - cpu) / max(result["requests"], 1)
                    runs[name][c].append(result)
                    log(
                        f"  rep {rep + 1} c={c:<3} {name:<26} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:.2f}"
                        f"  p99 {result['p99_ms']:.2f} ms  API CPU {result['api_cpu_ms']:.3f} ms/request"
                        f"  {result['statuses']}"
                    )
                result = pgbench(cluster, "bench", BENCH_ROLE, c, seconds, scripts(("spend", 1)))
                result["rps"] = result["tps"]
                runs["SQL spend (pgbench)"][c].append(result)
                log(f"  rep {rep + 1} c={c:<3} {'SQL spend (pgbench)':<26} {result['rps']:8.0f} tx/s")
        profile = profile_api(server.pid, base, wrk_env, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "runs": runs,
        "workers": workers,
        "threads": threads,
        "seconds": seconds,
        "profile": profile,
        "server": SERVER,
    }


def settle(cluster: PgCluster) -> None:
    """Vacuum and a checkpoint before a section, so that it does not pay for the previous
    section's writes (autovacuum and checkpoints in the middle of its runs)."""
    with psycopg.connect(cluster.url.rsplit("/", 1)[0] + "/bench", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += [int(c) for c in subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout.split()]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mib(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sizes


def api_env(cluster: PgCluster, workers: int, threads: int) -> dict:
    """The API's environment against the bench database, as its own login, with a pool of
    as many connections per worker as it has threads."""
    url = cluster.url.rsplit("/", 1)[0] + "/bench"
    seed(url)  # the service clients and their dev secrets
    set_database_login(url, "wallet_app", BENCH_PASSWORD)
    return {
        **os.environ,
        "WALLET_ENV": "production",  # what production runs: its checks, its login, its settings
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": psycopg.conninfo.make_conninfo(url, user="wallet_app", password=BENCH_PASSWORD),
        "WEB_CONCURRENCY": str(workers),
        "WALLET_THREADS": str(threads),
        "WALLET_POOL_MAX_SIZE": str(threads),
        "WALLET_POOL_MIN_SIZE": str(threads),
    }  # default rate limits


def bench_servers(cluster: PgCluster, seconds: int, reps: int, concurrencies: list[int]) -> dict:
    """gunicorn gthread and granian's WSGI interface, each 2 workers x 4 threads with a pool
    of 4, on whoami and spend, interleaved; the servers' CPU time per request."""
    log("HTTP servers: gunicorn gthread vs granian WSGI, 2 workers x 4 threads each, interleaved")
    env = api_env(cluster, workers=2, threads=4)
    servers, bases = {}, {}
    ports = {"gunicorn gthread": free_port(), "granian WSGI": free_port()}
    for name, server in (("gunicorn gthread", "gunicorn"), ("granian WSGI", "granian")):
        servers[name] = start_server(
            {**env, "WALLET_SERVER": server},
            ports[name],
            OUT / f"{server}.log",
        )
    runs: dict = {name: {mode: {c: [] for c in concurrencies} for mode in ("whoami", "spend")} for name in servers}
    try:
        for name, proc in servers.items():
            bases[name] = f"http://127.0.0.1:{ports[name]}"
            wait_until_healthy(bases[name], proc)
        tokens = {name: service_token(base, "game") for name, base in bases.items()}
        for rep in range(reps):
            for c in concurrencies:
                for name in servers:
                    wrk_env = {**os.environ, "PAY_TOKEN": tokens[name], "GAME_TOKEN": tokens[name]}
                    for mode in ("whoami", "spend"):
                        pids = process_tree(servers[name].pid)
                        before = cpu_seconds(pids)
                        result = wrk(bases[name], mode, c, seconds, wrk_env)
                        result["cpu_us"] = (cpu_seconds(pids) - before) * 1e6 / max(result["requests"], 1)
                        runs[name][mode][c].append(result)
                        log(
                            f"  rep {rep + 1} c={c:<3} {name:<17} {mode:<7} {result['rps']:8.0f} req/s  "
                            f"p99 {result['p99_ms']:.2f} ms  {result['cpu_us']:.0f} us CPU/request  "
                            f"{result['statuses']}"
                        )
    finally:
        for proc in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
    return {"runs": runs, "seconds": seconds, "reps": reps}


def bench_memory(cluster: PgCluster, seconds: int) -> dict:
    """The API's workers' memory at rest, after a minute of mixed load and after `seconds`
    more of it (the API's server, 2 x 4), and the database's backends meanwhile."""
    log(f"Memory: {SERVER} 2 x 4 under mixed load at 16 connections for {seconds} s")
    env = api_env(cluster, workers=2, threads=4)
    port = free_port()
    server = start_server(env, port, OUT / "api-server.log")
    base = f"http://127.0.0.1:{port}"
    samples = []
    try:
        wait_until_healthy(base, server)
        workers = process_tree(server.pid)[1:]
        tokens = {"PAY_TOKEN": service_token(base, "payments"), "GAME_TOKEN": service_token(base, "game")}
        wrk_env = {**os.environ, **tokens}
        with psycopg.connect(cluster.url, autocommit=True) as conn:

            def sample(label: str) -> None:
                backends = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                ).fetchone()[0]
                samples.append({"at": label, "rss_mib": rss_mib(workers), "backends": backends})
                log(f"  {label:<14} worker RSS {', '.join(f'{m:.1f}' for m in samples[-1]['rss_mib'])} MiB, "
                    f"{backends} client backends")  # fmt: skip

            sample("at rest")
            wrk(base, "mix", 16, 60, wrk_env)
            sample("after warm-up")
            step = max(seconds // 5, 1)
            for k in range(1, 6):
                result = wrk(base, "mix", 16, step, wrk_env)
                sample(f"+{k * step} s")
            samples[-1]["rps"] = result["rps"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"samples": samples, "seconds": seconds, "server": SERVER}


def profile_api(master_pid: int, base: str, wrk_env: dict, seconds: int) -> str:
    """py-spy on one API worker while wrk drives spends: where a request's time goes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    if not Path(spy).exists() or not children:
        return "py-spy not available"
    out = OUT / "api-profile.txt"
    spy_proc = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            children[0],
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--gil",  # only samples holding the GIL: the worker's CPU, not its waits on the database
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(base, "spend", 16, seconds, wrk_env)
    spy_proc.wait(timeout=seconds + 60)
    if not out.exists():
        return "py-spy produced no profile"
    return summarize_profile(out)


def summarize_profile(path: Path, top: int = 10) -> str:
    """Share of a worker's samples (holding the GIL: its CPU) by the package of the frame
    it was in, from py-spy's raw stacks: a sample counts once, for the innermost frame."""
    own: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        package = frame_package(stack.rsplit(";", 1)[-1])
        own[package] = own.get(package, 0) + int(count)
    total = sum(own.values())
    if not total:
        return "no samples"
    ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return "\n".join(f"| {package} | {100 * n / total:.0f}% |" for package, n in ranked)


def frame_package(frame: str) -> str:
    """'Flask.__call__ (flask/app.py:1536)' -> 'flask'; the wallet's own code by module; a
    frame py-spy could not place ('') is native code (the server, C extensions)."""
    location = frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    if not location:
        return "native (server, C extensions)"
    parts = location.split("/")
    if parts[0] == "wallet_api" and len(parts) > 1:
        return "wallet_api." + parts[1].removesuffix(".py")
    return parts[0].removesuffix(".py")


PROBE_USERS, PROBE_ENTRIES = 100, 60  # whose spends and full history pages are timed


def bench_growth(cluster: PgCluster, seconds: int, sizes: list[int], users: int) -> dict:
    """Latency of the probe users' spends and history pages (always a full page of 50) as
    the rest of the ledger grows, spread over `users` background users."""
    log(
        f"growth: spend and history latency, wallet_verify() time at {sizes} entries "
        f"({PROBE_USERS} probe users, {users:,} background users)"
    )
    url = prepare_database(cluster, "growth")
    results = []
    background = (PROBE_USERS + 1, PROBE_USERS + users)
    with psycopg.connect(url, autocommit=True) as conn:
        load_users(conn, PROBE_USERS + users, 0, 0)
        add_rounds(conn, 1, PROBE_USERS, 1, PROBE_ENTRIES, 1_000_000)
        rounds_done = 0
        for size in sizes:
            entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0]
            if rounds_done == 0 and size - entries < users:  # a first, partial round
                add_rounds(conn, background[0], background[0] + size - entries - 1, 1, 1, 1)
                rounds_done, entries = 1, size
            while entries < size:
                rounds = max(1, min(1_000_000 // users, (size - entries) // users))
                add_rounds(conn, *background, rounds_done + 1, rounds_done + rounds, 1)
                rounds_done += rounds
                entries += rounds * users
            conn.execute("VACUUM ANALYZE")
            entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0]
            args = ["-D", f"users={PROBE_USERS}"]
            spend = pgbench(
                cluster, "growth", BENCH_ROLE, 4, seconds, ["-f", f"{BENCH / 'pgbench' / 'spend.sql'}", *args]
            )
            history = pgbench(
                cluster, "growth", BENCH_ROLE, 4, seconds, ["-f", f"{BENCH / 'pgbench' / 'history.sql'}", *args]
            )
            started = time.perf_counter()
            problems = conn.execute("SELECT count(*) FROM wallet_verify()").fetchone()[0]
            verify_s = time.perf_counter() - started
            reports = timed_reports(conn)
            results.append(
                {
                    "size": size,
                    "entries": entries,
                    "spend": spend,
                    "history": history,
                    "verify_s": verify_s,
                    "verify_problems": problems,
                    "reports": reports,
                }
            )
            log(
                f"  {entries:>10,} entries: spend p50 {spend['p50_ms']:.2f} p99 {spend['p99_ms']:.2f} ms, "
                f"history p50 {history['p50_ms']:.2f} p99 {history['p99_ms']:.2f} ms, verify {verify_s:.1f} s "
                f"({problems} problems); balance_at {reports['balance_at_ms']:.2f} ms, outstanding now "
                f"{reports['outstanding_now_s']:.2f} s, in the past {reports['outstanding_past_s']:.2f} s"
            )
    return {"results": results, "users": users, "seconds": seconds}


def timed_reports(conn: psycopg.Connection) -> dict:
    """wallet_balance_at for probe users (mean of 20), wallet_outstanding at the present and
    a moment ago (rebuilt from the ledger)."""
    started = time.perf_counter()
    for n in range(1, 21):
        conn.execute("SELECT * FROM wallet_balance_at(%s, now())", (f"00000000-0000-4000-8000-{n:012d}",)).fetchall()
    balance_at_ms = (time.perf_counter() - started) * 1000 / 20
    timings = {"balance_at_ms": balance_at_ms}
    for name, at in (("outstanding_now_s", "now()"), ("outstanding_past_s", "now() - interval '1 second'")):
        started = time.perf_counter()
        conn.execute(f"SELECT * FROM wallet_outstanding({at})").fetchall()
        timings[name] = time.perf_counter() - started
    return timings


# ---------------------------------------------------------------- lots


def timed_spends(conn: psycopg.Connection, user: str, n: int) -> list[float]:
    """Latencies (ms) of n spends of 1 from one user, one transaction each."""
    values, prefix = [], uuid.uuid4().hex
    for i in range(n):
        started = time.perf_counter()
        conn.execute("SELECT * FROM wallet_spend(%s, 1, 1, %s)", (user, f"{prefix}-{i}"))
        values.append((time.perf_counter() - started) * 1000)
    return values


def bulk_expiring_lots(conn: psycopg.Connection, users: int, per_user: int) -> None:
    """per_user free lots of 10 for bench users 1..users, made through the ledger, then
    moved into the past as time passing would."""
    conn.execute(
        f"""
        WITH entries AS (
            INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id,
                                               amount, balance_after, idempotency_key, metadata, free_amount)
            SELECT w.account_id, 1, 'bonus', t.account_id, w.account_id, 10, w.balance + r * 10, 'promo-' || r,
                   '{{}}', 10
            FROM generate_series(1, %(users)s::int) n
            JOIN wallet.accounts a ON a.user_id = {USER_UUID}
            JOIN wallet.wallets w ON w.account_id = a.account_id AND w.asset_type_id = 1
            CROSS JOIN generate_series(1, %(per_user)s::int) r
            CROSS JOIN (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury') t
            RETURNING account_id, entry_id)
        INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
        SELECT account_id, 1, 'free', entry_id, 10, 10, now() - interval '1 minute' FROM entries""",
        {"users": users, "per_user": per_user},
    )
    conn.execute(
        f"""
        UPDATE wallet.wallets w SET balance = w.balance + %(total)s::bigint, free = w.free + %(total)s::bigint,
                                    next_expiry = now() - interval '1 minute'
        FROM generate_series(1, %(users)s::int) n JOIN wallet.accounts a ON a.user_id = {USER_UUID}
        WHERE w.account_id = a.account_id AND w.asset_type_id = 1""",
        {"users": users, "total": per_user * 10},
    )


def bench_lots(cluster: PgCluster, seconds: int, spends: int, expired_lots: int) -> dict:
    log("Lots: a spend over 1,000 open lots vs one lot; wallet_expire() over a backlog, beside postings")
    url = prepare_database(cluster, "lots")
    with psycopg.connect(url, autocommit=True) as conn:
        load_users(conn, USERS, USERS, 1_000_000_000)
        many, one = str(uuid.uuid4()), str(uuid.uuid4())
        for user in (many, one):
            conn.execute("SELECT wallet_open_account(%s, 'lots bench')", (user,))
        conn.execute("SELECT * FROM wallet_topup(%s, 1, 1000000000, 'one-lot')", (one,))
        for n in range(1000):  # free and paid, some expiring: the order has work to do
            kind = "bonus" if n % 2 else "topup"
            expires = f"now() + interval '{n + 1} hours'" if n % 3 == 0 else "NULL"
            conn.execute(f"SELECT * FROM wallet_{kind}(%s, 1, 1000000, %s, '{{}}', {expires})", (many, f"lot-{n}"))
        conn.execute("VACUUM ANALYZE")
        conn.execute("SET ROLE wallet_service")
        latencies: dict[str, list[float]] = {"1,000 lots": [], "1 lot": []}
        for _ in range(4):  # interleaved
            latencies["1,000 lots"] += timed_spends(conn, many, spends // 4)
            latencies["1 lot"] += timed_spends(conn, one, spends // 4)
    spend = {name: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99), "n": len(v)}
             for name, v in latencies.items()}  # fmt: skip
    log(f"  spend of 1: 1,000 lots p99 {spend['1,000 lots']['p99_ms']:.2f} ms, 1 lot {spend['1 lot']['p99_ms']:.2f} ms")

    # a backlog of expired lots, swept while postings run, against postings alone
    with psycopg.connect(url, autocommit=True) as conn:
        bulk_expiring_lots(conn, expired_lots // 10, 10)
        conn.execute("VACUUM ANALYZE")
    mixed = scripts(("topup", 1), ("spend", 1))
    alone = pgbench(cluster, "lots", BENCH_ROLE, 16, seconds, mixed)
    swept, sweep_s = 0, 0.0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET ROLE wallet_service")

        def sweep() -> None:
            nonlocal swept, sweep_s
            started = time.perf_counter()
            while True:
                n = conn.execute("SELECT lots_expired FROM wallet_expire(1000)").fetchone()[0]
                swept += n
                if n < 1000:
                    break
            sweep_s = time.perf_counter() - started

        sweeper = threading.Thread(target=sweep)
        sweeper.start()
        result = pgbench(cluster, "lots", BENCH_ROLE, 16, seconds, mixed)
        sweeper.join()
    expire = {"lots": swept, "seconds": sweep_s, "lots_per_s": swept / sweep_s if sweep_s else 0,
              "postings_alone_tps": alone["tps"], "postings_beside_sweep_tps": result["tps"]}  # fmt: skip
    log(f"  wallet_expire: {swept:,} lots in {sweep_s:.1f} s ({expire['lots_per_s']:,.0f}/s); postings "
        f"{result['tps']:.0f} tps beside it vs {alone['tps']:.0f} alone")  # fmt: skip
    return {"spend": spend, "expire": expire}


# ---------------------------------------------------------------- report


# ---------------------------------------------------------------- holds


def bench_holds(cluster: PgCluster, seconds: int, reps: int) -> dict:
    """Hold + capture pairs (two transactions, one posting) against single spends, 16
    clients, interleaved in one run on the bench database."""
    log("Holds: hold + capture pairs vs single spends, 16 clients, interleaved")
    workloads = {"spend": scripts(("spend", 1)), "hold + capture": scripts(("hold_capture", 1))}
    runs: dict[str, list[dict]] = {name: [] for name in workloads}
    for rep in range(reps):
        for name, args in workloads.items():
            result = pgbench(cluster, "bench", BENCH_ROLE, 16, seconds, args)
            runs[name].append(result)
            log(f"  rep {rep + 1} {name:<15} {result['tps']:8.0f} postings/s  p99 {result['p99_ms']:.2f} ms  "
                f"failed {result['failed']}")  # fmt: skip
    with psycopg.connect(cluster.url.rsplit("/", 1)[0] + "/bench", autocommit=True) as conn:
        verify_rows = len(conn.execute("SELECT * FROM wallet_verify()").fetchall())
    return {"runs": runs, "verify_rows": verify_rows, "seconds": seconds, "reps": reps}


# ---------------------------------------------------------------- events and webhooks


class TimingReceiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that verifies each signature and notes, per event,
    how long after it occurred it arrived."""

    daemon_threads = True

    def __init__(self, secret: str):
        self.webhook, self.arrivals, self.bad = Webhook(secret), {}, 0
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a receiver in production would

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            arrived = datetime.now(UTC)
            try:
                payload = self.server.webhook.verify(body, dict(self.headers))
            except WebhookVerificationError:
                self.server.bad += 1
                self.send_response(400)
            else:
                occurred = datetime.fromisoformat(payload["timestamp"])
                self.server.arrivals.setdefault(payload["data"]["event_id"], (arrived - occurred).total_seconds())
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass


def bench_feed(cluster: PgCluster, seconds: int) -> dict:
    """One consumer reading wallet_events while 16 pgbench clients post; then webhook
    deliveries by the worker to a receiver on loopback at a steady rate, commit to arrival."""
    log("Feed: events one consumer reads while 16 writers post; webhook latency from commit to arrival")
    url = cluster.url.rsplit("/", 1)[0] + "/bench"
    mixed = scripts(("topup", 1), ("spend", 1))
    read, stop = 0, threading.Event()

    def consume(last: int) -> None:
        nonlocal read
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET ROLE wallet_service")
            while not stop.is_set():
                rows = conn.execute("SELECT event_id FROM wallet_events(%s, 1000)", (last,)).fetchall()
                if rows:
                    read, last = read + len(rows), rows[-1][0]
                else:
                    time.sleep(0.005)

    with psycopg.connect(url, autocommit=True) as conn:
        first = conn.execute("SELECT coalesce(max(event_id), 0) FROM wallet.event_feed").fetchone()[0]
        consumer = threading.Thread(target=consume, args=(first,))
        consumer.start()
        started = time.perf_counter()
        writers = pgbench(cluster, "bench", BENCH_ROLE, 16, seconds, mixed)
        elapsed = time.perf_counter() - started
        stop.set()
        consumer.join()
        written = conn.execute("SELECT count(*) FROM wallet.event_feed WHERE event_id > %s", (first,)).fetchone()[0]
    feed = {"written": written, "read": read, "seconds": elapsed, "read_per_s": read / elapsed,
            "written_per_s": written / elapsed, "postings_tps": writers["tps"]}  # fmt: skip
    log(f"  feed: {read:,} of {written:,} events read while written ({feed['read_per_s']:,.0f}/s)")

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = TimingReceiver(secret)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    worker_password = "bench-worker-password"  # noqa: S105 (a throwaway cluster on loopback)
    set_database_login(url, "wallet_bench_worker", worker_password, "wallet_worker")
    with psycopg.connect(url, autocommit=True) as conn:
        hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
        conn.execute("SET wallet.webhook_private_targets = 'allow'")  # the receiver is on loopback
        sub = conn.execute("SELECT wallet_webhook_subscribe(%s, %s)", (hook_url, secret)).fetchone()[0]
    env = {**os.environ, "WALLET_WEBHOOK_PRIVATE_TARGETS": "allow",
           "DATABASE_URL": psycopg.conninfo.make_conninfo(url, user="wallet_bench_worker",
                                                          password=worker_password)}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "wallet_api.worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(6)  # the worker's first delivery run starts at its first 5-second tick
        rate = 200
        pgbench(cluster, "bench", BENCH_ROLE, 4, seconds, [*mixed, "-R", str(rate)])
        with psycopg.connect(url, autocommit=True) as conn:
            # until every event is fanned out to the subscription and delivered (or a minute)
            behind = """SELECT (SELECT fanned_out_through FROM wallet.webhook_subscriptions
                                WHERE subscription_id = %(s)s)
                               < (SELECT max(event_id) FROM wallet.event_feed)
                           OR EXISTS (SELECT FROM wallet.webhook_deliveries
                                      WHERE subscription_id = %(s)s AND state <> 'delivered')"""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and conn.execute(behind, {"s": sub}).fetchone()[0]:
                time.sleep(0.2)
            expected = conn.execute("SELECT count(*) FROM wallet.webhook_deliveries WHERE subscription_id = %s",
                                    (sub,)).fetchone()[0]  # fmt: skip
            conn.execute("SELECT wallet_webhook_unsubscribe(%s)", (sub,))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        receiver.shutdown()
    latencies = [v * 1000 for v in receiver.arrivals.values()]
    webhooks = {"rate_tps": rate, "events": expected, "arrived": len(latencies), "unsigned": receiver.bad,
                "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}  # fmt: skip
    log(f"  webhooks: {len(latencies):,} of {expected:,} events arrived, commit to arrival p50 "
        f"{webhooks['p50_ms']:.0f} ms, p99 {webhooks['p99_ms']:.0f} ms")  # fmt: skip
    return {"feed": feed, "webhooks": webhooks, "seconds": seconds}


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = (
        int(next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")))
        // 1024
        // 1024
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.platform()}, PostgreSQL 15 defaults "
        f"(fsync and synchronous_commit on), shared_buffers 512MB"
    )


def save_chart(fig, ax, xs: list[int], filename: str) -> str:
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(BENCH / filename, dpi=110)
    return filename


def charts(report: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    if "sql" in report:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, by_clients in report["sql"]["runs"].items():
            xs = sorted(by_clients)
            scale = BATCHES.get(name, 1)  # postings, not calls
            stats = [{k: v * scale for k, v in summarize(by_clients[c]).items()} for c in xs]
            name = f"{name} (postings/s)" if scale > 1 else name
            ax.errorbar(
                xs,
                [s["mean"] for s in stats],
                marker="o",
                capsize=3,
                label=name,
                yerr=[[s["mean"] - s["min"] for s in stats], [s["max"] - s["mean"] for s in stats]],
            )
        ax.set(
            xscale="log", xlabel="clients", ylabel="postings (transactions)/s", title="SQL level: wallet vs pgbench -N"
        )
        made.append(save_chart(fig, ax, xs, "sql-throughput.png"))
    if "http" in report:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, by_c in report["http"]["runs"].items():
            xs = sorted(by_c)
            scale = HTTP_BATCH_SIZE if name == HTTP_BATCH else 1
            ax.plot(
                xs,
                [scale * statistics.fmean(r["rps"] for r in by_c[c]) for c in xs],
                marker="o",
                label=f"{name} (postings/s)" if scale > 1 else name,
            )
        ax.set(
            xscale="log",
            xlabel="concurrent requests (clients)",
            ylabel="requests (postings)/s",
            title=f"HTTP level under {report['http'].get('server', 'gunicorn')}",
        )
        made.append(save_chart(fig, ax, xs, "http-throughput.png"))
    if "growth" in report:
        res = report["growth"]["results"]
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        xs = [r["entries"] for r in res]
        for key, label in (("spend", "spend"), ("history", "history page")):
            ax1.plot(xs, [r[key]["p50_ms"] for r in res], marker="o", label=f"{label} p50")
            ax1.plot(xs, [r[key]["p99_ms"] for r in res], marker="s", linestyle="--", label=f"{label} p99")
        ax1.set(xscale="log", xlabel="ledger entries", ylabel="ms", title="Latency as the ledger grows")
        ax1.legend()
        ax1.grid(alpha=0.3)
        ax2.plot(xs, [r["verify_s"] for r in res], marker="o", color="tab:red")
        ax2.set(xscale="log", yscale="log", xlabel="ledger entries", ylabel="seconds", title="wallet_verify()")
        ax2.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(BENCH / "growth.png", dpi=110)
        made.append("growth.png")
    return made


def fmt_range(s: dict, digits: int = 0) -> str:
    return f"{s['mean']:,.{digits}f} ({s['min']:,.{digits}f}-{s['max']:,.{digits}f})"


def write_results(report: dict, command: str) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Machine: {machine()}. Load generators run on the same machine.",
        "",
        "Every figure is measured in the same run as its baseline, interleaved; min-max of the repetitions",
        "in brackets. Runs of the same thing differ by 30-60% here, so read the ratios, not the absolutes.",
        "",
    ]
    if "sql" in report:
        sql = report["sql"]
        runs = sql["runs"]
        lines += [
            "## SQL level",
            "",
            f"{USERS:,} users; pgbench custom scripts calling `wallet_topup`/`wallet_spend` with random",
            f"idempotency keys, `-M prepared`, {sql['seconds']} s per point, {sql['reps']} repetitions, as the",
            "`wallet_bench` role (a member of `wallet_service`). Baseline: `pgbench -N` (simple-update) on",
            "the same cluster.",
            "",
            "![SQL throughput](sql-throughput.png)",
            "",
            "| clients | pgbench -N tps | mixed 50/50 tps | ratio | p50 / p99 ms | spend-heavy tps | ratio "
            "| p50 / p99 ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        batches = {name: runs.pop(name) for name in BATCHES if name in runs}
        for c in sorted(runs["pgbench -N"]):
            base = summarize(runs["pgbench -N"][c])
            row = [str(c), fmt_range(base)]
            for name in ("mixed 50/50", "spend-heavy 20/80"):
                s = summarize(runs[name][c])
                p50 = statistics.fmean(r["p50_ms"] for r in runs[name][c])
                p99 = statistics.fmean(r["p99_ms"] for r in runs[name][c])
                row += [fmt_range(s), f"{s['mean'] / base['mean']:.2f}x", f"{p50:.2f} / {p99:.2f}"]
            lines.append("| " + " | ".join(row) + " |")
        m = {c: summarize(runs["mixed 50/50"][c])["mean"] for c in runs["mixed 50/50"]}
        if 16 in m and 32 in m:
            lines += [
                "",
                f"Mixed at 32 clients is {m[32] / m[16]:.2f}x of 16 clients (no collapse on system accounts).",
            ]
        if batches:
            lines += [
                "",
                "**Batch calls** (`wallet_post_batch`, half top-ups and half spends of 1 GOLD for random users, "
                "one commit per call, measured in the same run):",
                "",
                "| clients | postings per call | calls/s | postings/s | vs mixed single postings | p99 ms per call |",
                "|---|---|---|---|---|---|",
            ]
            for c in sorted(runs["mixed 50/50"]):
                single = summarize(runs["mixed 50/50"][c])["mean"]
                for name, batch in batches.items():
                    n, s = BATCHES[name], summarize(batch[c])
                    lines.append(
                        f"| {c} | {n:,} | {fmt_range(s)} | {s['mean'] * n:,.0f} | {s['mean'] * n / single:.1f}x | "
                        f"{statistics.fmean(r['p99_ms'] for r in batch[c]):.2f} |"
                    )
            runs.update(batches)
        if sql.get("server_ms"):
            ms = sql["server_ms"]
            lines += [
                "",
                "Server time per posting (pg_stat_statements' execution time, one client, no round trip or "
                f"commit): single postings {ms['single']:.3f} ms; "
                + "; ".join(
                    f"in batches of {n:,} {ms[str(n)]:.3f} ms ({ms[str(n)] / ms['single']:.2f}x)" for n in BATCH_SIZES
                )
                + ".",
            ]
        failed = sum(r["failed"] for by_c in runs.values() for rs in by_c.values() for r in rs)
        lines += [
            "",
            f"Failed transactions: {failed}. After the run the ledger held {sql['entries']:,} entries and "
            f"`wallet_verify()` returned {sql['verify_rows']} rows.",
            "",
            "Where the database time goes (pg_stat_statements over the whole SQL run):",
            "",
            "| statement | calls | mean ms | share |",
            "|---|---|---|---|",
        ]
        lines += [f"| `{q}` | {calls:,} | {mean} | {pct}% |" for q, calls, mean, pct in sql["profile"]]
        records, nbytes, syncs = sql["wal"]
        lines += ["", f"WAL over the cluster's life: {records:,} records, {nbytes:,} bytes, {syncs:,} syncs.", ""]
    if "http" in report:
        http = report["http"]
        runs = http["runs"]
        lines += [
            "## HTTP level",
            "",
            f"{http.get('server', 'gunicorn')} with {http['workers']} workers x {http['threads']} threads "
            "(a pool of as many connections per worker), as production runs it (`WALLET_ENV=production`, the "
            f"API's own database login, default limits); wrk with 2 threads, {http['seconds']} s per point, a Lua "
            "script posting spends (service token `game`), a 50/50 mix with top-ups (`payments`) or batches of "
            f"{HTTP_BATCH_SIZE} spends, with fresh keys. `/auth/whoami` checks the JWT and touches no database: "
            "the framework's own cost. The SQL column is pgbench running the same spend at the same client count, "
            "interleaved. API CPU is the server's processes' user + system time per request (a batch is one "
            "request).",
            "",
            "![HTTP throughput](http-throughput.png)",
            "",
            "| concurrency | HTTP spend req/s | p50 / p99 ms | SQL spend tx/s | HTTP/SQL | HTTP mixed req/s "
            "| whoami req/s | HTTP batch postings/s | batch/SQL | statuses |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in sorted(runs["HTTP spend"]):
            spend = runs["HTTP spend"][c]
            s = summarize(spend, "rps")
            sq = summarize(runs["SQL spend (pgbench)"][c], "rps")
            batch = HTTP_BATCH_SIZE * summarize(runs[HTTP_BATCH][c], "rps")["mean"]
            statuses: dict = {}
            for name in ("HTTP spend", "HTTP mixed 50/50", HTTP_BATCH):
                for r in runs[name][c]:
                    for k, v in r["statuses"].items():
                        statuses[k] = statuses.get(k, 0) + v
            lines.append(
                f"| {c} | {fmt_range(s)} | {statistics.fmean(r['p50_ms'] for r in spend):.1f} / "
                f"{statistics.fmean(r['p99_ms'] for r in spend):.1f} | {fmt_range(sq)} | "
                f"{s['mean'] / sq['mean']:.2f}x | {fmt_range(summarize(runs['HTTP mixed 50/50'][c], 'rps'))} | "
                f"{fmt_range(summarize(runs['HTTP whoami (no database)'][c], 'rps'))} | {batch:,.0f} | "
                f"{batch / sq['mean']:.2f}x | {statuses} |"
            )
        if all("api_cpu_ms" in r for rs in runs["HTTP spend"].values() for r in rs):  # measured since it was added
            names = ("HTTP whoami (no database)", "HTTP spend", "HTTP mixed 50/50", HTTP_BATCH)
            lines += [
                "",
                "API CPU per request, ms (min-max over the runs):",
                "",
                "| concurrency | " + " | ".join(names) + " |",
                "|---" * (len(names) + 1) + "|",
            ]
            for c in sorted(runs["HTTP spend"]):
                cells = [fmt_range(summarize(runs[name][c], "api_cpu_ms"), 3) for name in names]
                lines.append(f"| {c} | " + " | ".join(cells) + " |")
        lines += [
            "",
            "Where an API worker's CPU goes during spends (py-spy on one worker, samples holding the GIL, by the",
            "package of the innermost frame):",
            "",
            "| package | share of samples |",
            "|---|---|",
            http["profile"],
            "",
        ]
    if "servers" in report:
        srv = report["servers"]
        lines += [
            "## HTTP servers",
            "",
            f"The same app under gunicorn (gthread) and granian's WSGI interface, each 2 workers x 4 threads with "
            f"a pool of 4 connections per worker, {srv['seconds']} s per point, {srv['reps']} repetitions, "
            "interleaved; wrk on `/auth/whoami` (no database) and on spends. CPU is the server's processes' "
            "user + system time per request.",
            "",
            "| server | connections | whoami req/s | spend req/s | spend / whoami | spend p99 ms "
            "| CPU us per whoami | CPU us per spend |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in sorted(next(iter(srv["runs"].values()))["whoami"], key=int):
            for name, modes in srv["runs"].items():
                who, spend = summarize(modes["whoami"][c], "rps"), summarize(modes["spend"][c], "rps")
                lines.append(
                    f"| {name} | {c} | {fmt_range(who)} | {fmt_range(spend)} | {spend['mean'] / who['mean']:.2f}x | "
                    f"{statistics.fmean(r['p99_ms'] for r in modes['spend'][c]):.1f} | "
                    f"{statistics.fmean(r['cpu_us'] for r in modes['whoami'][c]):.0f} | "
                    f"{statistics.fmean(r['cpu_us'] for r in modes['spend'][c]):.0f} |"
                )
        names = list(srv["runs"])
        if len(names) == 2:
            a, b = names
            ratios = [
                summarize(srv["runs"][b][mode][c], "rps")["mean"] / summarize(srv["runs"][a][mode][c], "rps")["mean"]
                for mode in ("whoami", "spend")
                for c in srv["runs"][a][mode]
            ]
            lines += ["", f"{b} / {a}: {min(ratios):.2f}x to {max(ratios):.2f}x across the points above.", ""]
    if "memory" in report:
        mem = report["memory"]
        samples = mem["samples"]
        warm = statistics.fmean(samples[1]["rss_mib"])
        end = statistics.fmean(samples[-1]["rss_mib"])
        lines += [
            "## Memory",
            "",
            f"{mem.get('server', 'gunicorn')} 2 x 4 under the mixed HTTP load at 16 connections: a minute of warm-up, "
            f"then {mem['seconds']} s "
            "more, RSS of each API worker and the database's client backends sampled along the way.",
            "",
            "| when | API worker RSS MiB | client backends |",
            "|---|---|---|",
            *(f"| {x['at']} | {', '.join(f'{m:.1f}' for m in x['rss_mib'])} | {x['backends']} |" for x in samples),
            "",
            f"Growth after warm-up: {100 * (end - warm) / warm:+.1f}% (mean worker RSS {warm:.1f} -> {end:.1f} MiB).",
            "",
        ]
    if "growth" in report:
        g = report["growth"]
        res = g["results"]
        lines += [
            "## Growth",
            "",
            f"{PROBE_USERS} probe users with {PROBE_ENTRIES} entries each, so that a history page is always a "
            f"full 50 entries; the rest of the ledger is bulk-loaded for {g['users']:,} other users with "
            "`INSERT ... SELECT` through the ledger's triggers and constraints. At each size: the probe users' "
            f"spends, then their newest history pages, at 4 clients for {g['seconds']} s each, then one "
            "`wallet_verify()` over the whole ledger, `wallet_balance_at(probe user, now())` (mean of 20) and "
            "`wallet_outstanding()` for the present (wallet rows) and for a second ago (every lot rebuilt "
            "from the ledger).",
            "",
            "![Growth](growth.png)",
            "",
            "| entries | spend p50 / p99 ms | history page p50 / p99 ms | wallet_verify() s | balance_at ms "
            "| outstanding now s | outstanding past s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in res:
            rep = r.get("reports", {})
            reports = (f"{rep['balance_at_ms']:.2f} | {rep['outstanding_now_s']:.2f} | {rep['outstanding_past_s']:.2f}"
                       if rep else "- | - | -")  # fmt: skip
            lines.append(
                f"| {r['entries']:,} | {r['spend']['p50_ms']:.2f} / {r['spend']['p99_ms']:.2f} | "
                f"{r['history']['p50_ms']:.2f} / {r['history']['p99_ms']:.2f} | {r['verify_s']:.2f} | {reports} |"
            )
        first, last = res[0], res[-1]
        lines += [
            "",
            f"Spend p99 at {last['entries']:,} entries is "
            f"{last['spend']['p99_ms'] / first['spend']['p99_ms']:.2f}x of {first['entries']:,}; "
            f"history p99 {last['history']['p99_ms'] / first['history']['p99_ms']:.2f}x.",
            "",
        ]
    if "lots" in report:
        lots = report["lots"]
        spend, expire = lots["spend"], lots["expire"]
        lines += [
            "## Lots",
            "",
            "Spends of 1, one transaction each, interleaved between a wallet of 1,000 open lots (paid and free,",
            "a third of them expiring) and a wallet of one lot:",
            "",
            "| wallet | spends | p50 ms | p99 ms |",
            "|---|---|---|---|",
            *[f"| {name} | {v['n']} | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} |" for name, v in spend.items()],
            "",
            f"p99 with 1,000 lots is {spend['1,000 lots']['p99_ms'] / spend['1 lot']['p99_ms']:.2f}x of one lot.",
            "",
            f"`wallet_expire(1000)` in a loop over {expire['lots']:,} expired lots: {expire['seconds']:.1f} s, "
            f"{expire['lots_per_s']:,.0f} lots/s, while 16 pgbench clients post the mixed 50/50 script: "
            f"{expire['postings_beside_sweep_tps']:.0f} tps beside the sweep vs "
            f"{expire['postings_alone_tps']:.0f} tps alone, just before "
            f"({expire['postings_beside_sweep_tps'] / expire['postings_alone_tps']:.2f}x).",
            "",
        ]
    if "holds" in report:
        holds = report["holds"]
        spend, pair = summarize(holds["runs"]["spend"]), summarize(holds["runs"]["hold + capture"])
        lines += [
            "## Holds",
            "",
            f"16 pgbench clients, {holds['reps']} x {holds['seconds']} s each, interleaved: a hold of 1 and its",
            "capture (two transactions, one posting) against a spend of 1 (one transaction, one posting).",
            "",
            "| workload | postings/s (mean, min-max) | p99 ms per pair or spend |",
            "|---|---|---|",
            *[f"| {name} | {fmt_range(summarize(runs))} | {statistics.fmean(r['p99_ms'] for r in runs):.2f} |"
              for name, runs in holds["runs"].items()],
            "",
            f"Hold + capture pairs post {pair['mean'] / spend['mean']:.2f}x the postings per second of single "
            f"spends; `wallet_verify()` afterwards: {holds['verify_rows']} rows.",
            "",
        ]  # fmt: skip
    if "feed" in report:
        feed, hooks = report["feed"]["feed"], report["feed"]["webhooks"]
        lines += [
            "## Events and webhooks",
            "",
            "One consumer calling `wallet_events(last, 1000)` in a loop while 16 pgbench clients post the mixed",
            f"script for {report['feed']['seconds']} s ({feed['postings_tps']:.0f} postings/s): it read "
            f"{feed['read']:,} of the {feed['written']:,} events written meanwhile, {feed['read_per_s']:,.0f} "
            "events/s.",
            "",
            "Webhooks: the worker delivering every event to a receiver on loopback that verifies each signature,",
            f"while 4 clients post {hooks['rate_tps']} postings/s: {hooks['arrived']:,} of {hooks['events']:,} events "
            f"arrived ({hooks['unsigned']} unsigned); from the event's transaction start to its arrival p50 "
            f"{hooks['p50_ms']:.0f} ms, p99 {hooks['p99_ms']:.0f} ms (the worker's notifier checks the feed every "
            "50 ms).",
            "",
        ]  # fmt: skip
    missing = [name for key, name in (("http", "HTTP"), ("growth", "Growth")) if key not in report]
    if missing:
        lines += [
            f"{' and '.join(missing)} {'was' if len(missing) == 1 else 'were'} not re-run for this report; the last "
            "figures (before lots) are in `git log -p bench/RESULTS.md`.",
            "",
        ]
    lines += [
        "## What the profiles changed",
        "",
        "- Lots (paid and free credit) first cost single postings more than half their throughput: 0.38-0.45x",
        "  of `pgbench -N` at 16 clients, against 1.0-1.1x before. pg_stat_statements with track = all put a",
        "  spend at 0.64 ms of server time against 0.35 ms before lots: more PL/pgSQL statements, a non-HOT",
        "  update of the lot (its `remaining > 0` was the indexes' predicate), a row lock per foreign key and",
        "  one more index. Indexes now filter on a generated `open` column (lot updates stay HOT), the only",
        "  foreign key is the already-locked wallet row's, every write is one statement of data-modifying",
        "  CTEs, and a spend covered by its first lot makes one probe: 0.53 ms, and 0.44-0.48x at 16",
        "  clients. The rest is the lot row and the allocation row a posting now writes; see",
        "  docs/benchmarks.md for what is left to try.",
        "- pg_stat_statements put the writers at 0.18 ms of server time each against 0.02 ms for the three",
        "  statements of `pgbench -N`, and mixed postings fell to 0.77x of it at 32 clients. The public",
        "  writers were SQL functions wrapping the private posting routine, and PostgreSQL 15 plans a",
        "  non-inlined SQL function's body again on every call; they are PL/pgSQL now (plans kept per",
        "  session), the private routine has no `SET search_path` of its own (its callers pin it), and the",
        "  Treasury id is read inside the ledger insert. Writers now take 0.13 ms; mixed postings went",
        "  from 0.94x to 1.12x of `pgbench -N` at 16 clients and from 0.77x to 0.96x at 32, between two",
        "  full runs.",
        "- cProfile and py-spy on the API showed the JWT verified twice per write (the rate limiter's key",
        "  and the route), each verification parsing the token four times; it is verified once per",
        "  request now.",
        "- py-spy on a worker serving `/auth/whoami` then put 9% of its samples in `uuid4` (a random",
        "  request id per request) and a fifth in verifying the same service token again and again. A",
        "  worker now keeps the claims of tokens it has verified (their expiry still checked on every",
        "  request) and numbers requests from a random per-process prefix: server CPU per whoami went from",
        "  997 to 587 us, per spend from 2,026 to 1,732 us (the old and the new tree served side by side,",
        "  3 x 8 s each at 16 connections, interleaved).",
        "- `wallet_post_batch` posted item by item (one subtransaction each), so a batch saved commits but",
        '  not work. It is set-at-a-time now (docs/benchmarks.md, "Batches"): server time per posting',
        "  about a third of a single posting's.",
        "- py-spy (samples holding the GIL) and callgrind on the API process (`bench/api_instructions.py`)",
        "  then showed flask-limiter's hooks and route checks running for services it does not throttle,",
        "  the standard library's JSON encoder, Flask's coroutine check on every hook and the logging",
        "  module's caller lookup on every access line. They are skipped or replaced (docs/benchmarks.md,",
        '  "The HTTP path"): instructions per whoami 1,377,005 to 711,998, per spend 2,411,807 to 1,405,632.',
        "- The HTTP ceiling on these two cores is still the framework's: a spend costs the API about 0.6 ms",
        "  of CPU against the database's 0.2-0.3 ms, and a third of a worker's CPU is inside granian's own",
        "  response call. Trusted services that need more use `POST /wallet/batch`, which carries many",
        "  postings per request and per commit.",
        "",
    ]
    (BENCH / "RESULTS.md").write_text("\n".join(lines) + "\n")
    (OUT / "results.json").write_text(json.dumps(report, indent=1, default=str))


def load_report(path: Path) -> dict:
    """results.json as the report it was written from (JSON keys are strings)."""
    report = json.loads(path.read_text())
    for section in ("sql", "http"):
        if section in report:
            report[section]["runs"] = {
                name: {int(c): rs for c, rs in by_c.items()} for name, by_c in report[section]["runs"].items()
            }
    if "sql" in report:
        report["sql"]["wal"] = [int(v) for v in report["sql"]["wal"]]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, for checking the harness")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md and the charts from bench/out/results.json"
    )
    args = parser.parse_args()
    if args.report_only:
        report = load_report(OUT / "results.json")
        charts(report)
        write_results(report, "make bench")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the cluster is stopped below
    only = set(args.only.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    OUT.chmod(0o777)
    seconds, reps = (3, 1) if args.quick else (10, 2)
    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    tmp.chmod(0o755)
    cluster = start_cluster(tmp)
    report: dict = {}
    try:
        if "sql" in only:
            report["sql"] = bench_sql(cluster, seconds, reps, [1, 4, 16, 32])
        if "http" in only:
            if "sql" not in only:
                bench_sql(cluster, 1, 1, [1])  # the bench database and its users
            report["http"] = bench_http(cluster, seconds, reps, [4, 16, 64], workers=2, threads=4)
        if "servers" in only:
            if not only & {"sql", "http"}:
                bench_sql(cluster, 1, 1, [1])  # the bench database and its users
            report["servers"] = bench_servers(cluster, seconds, reps, [4, 16, 64])
        if "memory" in only:
            if not only & {"sql", "http", "servers"}:
                bench_sql(cluster, 1, 1, [1])  # the bench database and its users
            report["memory"] = bench_memory(cluster, 30 if args.quick else 300)
        if "holds" in only:
            if not only & {"sql", "http", "servers", "memory"}:
                bench_sql(cluster, 1, 1, [1])  # the bench database and its users
            report["holds"] = bench_holds(cluster, seconds, reps)
        if "feed" in only:
            if not only & {"sql", "http", "servers", "memory", "holds"}:
                bench_sql(cluster, 1, 1, [1])  # the bench database and its users
            report["feed"] = bench_feed(cluster, seconds)
        if "lots" in only:
            report["lots"] = bench_lots(cluster, seconds, 400 if args.quick else 2000,
                                        10_000 if args.quick else 100_000)  # fmt: skip
        if "growth" in only:
            sizes = [10_000, 100_000, 1_000_000] if args.quick else [10_000, 1_000_000, 10_000_000]
            report["growth"] = bench_growth(cluster, seconds, sizes, users=100_000)
    finally:
        cluster.stop("fast")
        shutil.rmtree(tmp, ignore_errors=True)
    earlier = OUT / "results.json"
    if earlier.exists() and only != set(SECTIONS):  # keep the sections not re-run
        report = {**load_report(earlier), **report}
    charts(report)
    write_results(report, "make bench" + (" (--quick)" if args.quick else ""))
    log(f"wrote {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

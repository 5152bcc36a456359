"""The SQL section: postings through pgbench against `pgbench -N`, interleaved, and the
server time per posting."""

import random
import statistics
import uuid

import psycopg
import psycopg.sql
from cluster import (
    BATCH_SIZES,
    BATCHES,
    BENCH_ROLE,
    USERS,
    funded_bench_database,
    log,
    pgbench,
    placing_feed,
    run_pgbench,
    scripts,
)
from psycopg.types.json import Jsonb

from wallet_dev.pgcluster import PgCluster


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
    with placing_feed(url):  # as the worker does beside the writers, for every workload alike
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

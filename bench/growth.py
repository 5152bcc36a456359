"""The growth section: spends, history pages and reports as the ledger grows."""

import time

import psycopg
import psycopg.sql
from cluster import BENCH, BENCH_ROLE, add_rounds, load_users, log, pgbench, prepare_database

from wallet_dev.pgcluster import PgCluster

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

"""The lots section: spends across many lots and the expiry sweep beside postings."""

import threading
import time
import uuid

import psycopg
import psycopg.sql
from cluster import BENCH_ROLE, USER_UUID, USERS, load_users, log, percentile, pgbench, prepare_database, scripts

from wallet_dev.pgcluster import PgCluster


def timed_calls(conn: psycopg.Connection, query: str, user: str, n: int) -> list[float]:
    """Latencies (ms) of n calls of query for one user, one transaction each; a query with
    a second placeholder gets a fresh idempotency key each call."""
    values, prefix = [], uuid.uuid4().hex
    keyed = query.count("%s") == 2
    for i in range(n):
        started = time.perf_counter()
        conn.execute(query, (user, f"{prefix}-{i}") if keyed else (user,)).fetchall()
        values.append((time.perf_counter() - started) * 1000)
    return values


SPEND = "SELECT * FROM wallet_spend(%s, 1, 1, %s)"
BALANCE = "SELECT * FROM wallet_balance(%s)"
BATCH_SPEND = ("SELECT count(*) FROM wallet_post_batch(jsonb_build_array(jsonb_build_object('kind', 'spend',"
               " 'user_id', %s::text, 'asset_type_id', 1, 'amount', 1, 'idempotency_key', %s::text)))")  # fmt: skip


def interleaved(conn: psycopg.Connection, query: str, wallets: dict[str, str], n: int) -> dict[str, list[float]]:
    """Latencies of n calls of query for each named wallet's user, in four interleaved rounds."""
    latencies: dict[str, list[float]] = {name: [] for name in wallets}
    for _ in range(4):
        for name, user in wallets.items():
            latencies[name] += timed_calls(conn, query, user, n // 4)
    return latencies


def latency_summary(latencies: dict[str, list[float]]) -> dict:
    return {name: {"p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99), "n": len(v)}
            for name, v in latencies.items()}  # fmt: skip


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
    log("Lots: a spend over 1,000 open lots, and after 10,000 spent ones, vs one lot; wallet_expire() over a backlog")
    url = prepare_database(cluster, "lots")
    with psycopg.connect(url, autocommit=True) as conn:
        load_users(conn, USERS, USERS, 1_000_000_000)
        many, spent, one = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        for user in (many, spent, one):
            conn.execute("SELECT wallet_open_account(%s, 'lots bench')", (user,))
        conn.execute("SELECT * FROM wallet_topup(%s, 1, 1000000000, 'one-lot')", (one,))
        # a long history: 10,000 lots made and spent to nothing, then the one lot spends take from
        for kind in ("topup", "spend"):
            conn.execute(f"SELECT count(*) FROM generate_series(1, 10000) n, wallet_{kind}(%s, 1, 1, '{kind}-' || n)",
                         (spent,))  # fmt: skip
        conn.execute("SELECT * FROM wallet_topup(%s, 1, 1000000000, 'after-history')", (spent,))
        for n in range(1000):  # free and paid, some expiring: the order has work to do
            kind = "bonus" if n % 2 else "topup"
            expires = f"now() + interval '{n + 1} hours'" if n % 3 == 0 else "NULL"
            conn.execute(f"SELECT * FROM wallet_{kind}(%s, 1, 1000000, %s, '{{}}', {expires})", (many, f"lot-{n}"))
        conn.execute("VACUUM ANALYZE")
        conn.execute("SET ROLE wallet_service")
        spend = latency_summary(
            interleaved(conn, SPEND, {"1,000 lots": many, "1 lot and 10,000 spent": spent, "1 lot": one}, spends)
        )
        balance = latency_summary(interleaved(conn, BALANCE, {"1 lot and 10,000 spent": spent, "1 lot": one}, spends))
        # a batch of one spend: the batch engine's own read of the lots
        batch = latency_summary(interleaved(conn, BATCH_SPEND, {"1,000 lots": many, "1 lot": one}, spends))
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
    return {"spend": spend, "balance": balance, "batch": batch, "expire": expire}

"""The data life cycle section: an import of a million players through the importer, and
a reconciliation of a million payments against a ledger of a million top-ups through the
reconciliation command, each timed end to end (the commands as an operator runs them)."""

import csv
import os
import random
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from cluster import BENCH_PASSWORD, BENCH_ROLE, OUT, ROOT, USER_UUID, load_users, log, prepare_database

from wallet_dev.pgcluster import PgCluster


def as_bench_role(url: str) -> str:
    """The database's URL for the bench role (a member of wallet_service), as a service
    would run the commands."""
    rest = url.split("@", 1)[1]
    return f"postgresql://{BENCH_ROLE}:{BENCH_PASSWORD}@{rest}"


def command(args: list[str], url: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", *args], env={**os.environ, "DATABASE_URL": url}, cwd=ROOT / "api",
                          capture_output=True, text=True)  # fmt: skip
    return proc, time.monotonic() - started


def bench_import(cluster: PgCluster, rows: int) -> dict:
    url = prepare_database(cluster, "imports")
    path = OUT / "import.csv"
    rng = random.Random(30)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["external_id", "user_id", "name", "asset_type_id", "class", "amount", "expires_at"])
        for i in range(rows):
            out.writerow([f"legacy-{i}", uuid.UUID(int=rng.getrandbits(128), version=4), f"Player {i}",
                          1 + (i % 4 == 0), "paid" if i % 3 else "free", rng.randint(1, 100_000),
                          "2099-01-01T00:00:00Z" if i % 10 == 0 else ""])  # fmt: skip
    log(f"import: {rows:,} rows through python -m wallet_api.importer")
    proc, seconds = command(["wallet_api.importer", str(path)], as_bench_role(url))
    if proc.returncode != 0:
        raise RuntimeError(f"importer failed: {proc.stdout[-1000:]} {proc.stderr[-2000:]}")
    summary = proc.stdout.strip().splitlines()[-1]
    rerun, rerun_seconds = command(["wallet_api.importer", str(path)], as_bench_role(url))
    with psycopg.connect(url, autocommit=True) as conn:
        entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries WHERE kind = 'import'").fetchone()[0]
        problems = len(conn.execute("SELECT * FROM wallet_verify()").fetchall())
    path.unlink()
    log(f"import: {seconds:.0f} s, {rows / seconds:,.0f} rows/s; again (all replays) {rerun_seconds:.0f} s")
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "summary": summary,
            "rerun_seconds": rerun_seconds, "rerun_summary": rerun.stdout.strip().splitlines()[-1],
            "entries": entries, "verify_rows": problems}  # fmt: skip


def bench_reconcile(cluster: PgCluster, payments: int) -> dict:
    url = prepare_database(cluster, "reconcile")
    start = datetime.now(UTC) - timedelta(seconds=1)
    log(f"reconcile: a ledger of {payments:,} top-ups (one per user)")
    with psycopg.connect(url, autocommit=True) as conn:
        load_users(conn, payments, payments, 1000)  # each user's top-up of 1000, key bulk-1
        conn.execute("VACUUM ANALYZE")
        users = [u for (u,) in conn.execute(f"SELECT {USER_UUID}::text FROM generate_series(1, %s) n", (payments,))]
    end = datetime.now(UTC) + timedelta(seconds=1)
    planted = {"missing_topup": 10, "amount_differs": 10, "unknown_topup": 10}
    path = OUT / "payments.csv"
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["payment_id", "user_id", "amount", "refunded"])
        for n, user in enumerate(users):
            if n < planted["unknown_topup"]:
                continue  # a top-up the provider has no record of
            if n < 20:
                out.writerow(["bulk-1", user, 999, 0])  # amount_differs
            elif n < 30:
                out.writerow(["bulk-2", user, 1000, 0])  # missing_topup (and its bulk-1 is unknown too)
            else:
                out.writerow(["bulk-1", user, 1000, 0])
    log(f"reconcile: {payments - 10:,} payments through python -m wallet_api.reconcile")
    proc, seconds = command(["wallet_api.reconcile", "--from", start.isoformat(), "--to", end.isoformat(),
                             str(path)], as_bench_role(url))  # fmt: skip
    path.unlink()
    if proc.returncode != 1:
        raise RuntimeError(f"reconcile answered {proc.returncode}: {proc.stderr[-2000:]}")
    counts = dict(re.findall(r"(\w+_\w+) (\d+)", proc.stderr.strip().splitlines()[-1]))
    log(f"reconcile: {seconds:.1f} s; {counts}")
    differences = {k: int(v) for k, v in counts.items()}
    return {"payments": payments - 10, "topups": payments, "seconds": seconds, "differences": differences,
            "summary": proc.stderr.strip().splitlines()[-1]}  # fmt: skip


def bench_lifecycle(cluster: PgCluster, rows: int) -> dict:
    return {"import": bench_import(cluster, rows), "reconcile": bench_reconcile(cluster, rows)}

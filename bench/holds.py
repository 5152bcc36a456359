"""The holds section: hold + capture pairs against single spends."""

import psycopg
import psycopg.sql
from cluster import BENCH_ROLE, log, pgbench, scripts

from wallet_dev.pgcluster import PgCluster


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

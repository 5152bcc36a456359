#!/usr/bin/env python3
"""WAL and CPU per posting: what each kind of transaction writes to the write-ahead log,
and of which records, and the machine's CPU time it took, measured under load.

    python bench/wal.py [--clients N] [--seconds S] [--only NAME[,NAME...]] [--no-placer]
                        [--synchronous-commit off]

Starts a throwaway cluster with the bench's users (as make bench's SQL section), and for
each workload runs pgbench for S seconds at N clients with the feed placed beside it as
the worker does, then reads the WAL those seconds wrote with pg_waldump: per transaction,
the records and their bytes (full-page images apart: they follow the checkpoints, not
the posting), the commits each WAL flush carried, and the records by kind and relation; and from
/proc/stat, how busy the machine's CPUs were and their time per transaction (server,
pgbench and kernel together). With --synchronous-commit off no commit waits for its
flush: what the throughput gains then is what the flushes cost it.
"""

import argparse
import collections
import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as bench  # noqa: E402  (the bench cluster and its users)

from wallet_dev.pgcluster import _as_postgres  # noqa: E402

WORKLOADS = {
    "pgbench": ("postgres", ["-N"]),
    "spend": (bench.BENCH_ROLE, bench.scripts(("spend", 1))),
    "topup": (bench.BENCH_ROLE, bench.scripts(("topup", 1))),
    "hold": (bench.BENCH_ROLE, bench.scripts(("hold_capture", 1))),
}
RECORD = re.compile(r"^rmgr: (\w+)\s+len \(rec/tot\):\s+(\d+)/\s*(\d+),.*?desc: (\w+)(.*)$")
RELATION = re.compile(r"blkref #0: rel \d+/\d+/(\d+)")


def wal_records(cluster, start: str, end: str, names: dict[str, str]) -> list[tuple[str, int, int]]:
    """(kind and relation, record bytes, full-page image bytes) of each record from start to end."""
    cmd = [str(cluster.pgbin / "pg_waldump"), "-p", str(cluster.pgdata / "pg_wal"), "-s", start, "-e", end]
    out = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, cwd="/").stdout
    records = []
    for line in out.splitlines():
        m = RECORD.match(line)
        if m:
            rel = RELATION.search(m.group(5))
            where = names.get(rel.group(1), "other") if rel else "-"
            records.append((f"{m.group(1)}/{m.group(4)} {where}", int(m.group(2)), int(m.group(3)) - int(m.group(2))))
    return records


def wal_position(url: str) -> tuple[str, int]:
    """The WAL's insert position and how many times it has been flushed."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pg_current_wal_insert_lsn()::text, wal_sync FROM pg_stat_wal").fetchone()


def cpu_ticks() -> list[int]:
    """The machine's CPU time so far, in clock ticks: user, nice, system, idle, iowait, irq, softirq, ..."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", help="comma-separated workloads, of: " + ", ".join(WORKLOADS))
    parser.add_argument("--no-placer", action="store_true", help="no feed placing beside the writers")
    parser.add_argument("--synchronous-commit", choices=("on", "off"), default="on")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else set(WORKLOADS)
    if only - set(WORKLOADS):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(WORKLOADS)))}")
    bench.OUT.mkdir(exist_ok=True)
    with bench.throwaway_cluster("wallet-wal-") as (cluster, _):
        url = bench.funded_bench_database(cluster, bench.USERS)
        bench.run_pgbench(cluster, "postgres", ["-i", "-s", "1", "-q", "bench"])
        with psycopg.connect(url, autocommit=True) as conn:
            names = dict(conn.execute("SELECT pg_relation_filenode(oid)::text, relname FROM pg_class"
                                      " WHERE pg_relation_filenode(oid) IS NOT NULL").fetchall())  # fmt: skip
            conn.execute(f"ALTER SYSTEM SET synchronous_commit = {args.synchronous_commit}")
            conn.execute("SELECT pg_reload_conf()")
        placed = "no feed placing" if args.no_placer else "the feed placed every 20 ms"
        print(f"WAL per transaction ({args.clients} clients, {args.seconds} s each, {bench.USERS:,} users,"
              f" {placed}, synchronous_commit {args.synchronous_commit};"
              " hold = a hold and its capture, two transactions):")  # fmt: skip
        with contextlib.nullcontext() if args.no_placer else bench.placing_feed(url):
            for name, (user, pgbench_args) in WORKLOADS.items():
                if name not in only:
                    continue
                start, syncs = wal_position(url)
                ticks = cpu_ticks()
                result = bench.pgbench(cluster, "bench", user, args.clients, args.seconds, pgbench_args)
                ticks = [after - before for before, after in zip(ticks, cpu_ticks(), strict=True)]
                end, syncs_after = wal_position(url)
                records = wal_records(cluster, start, end, names)
                commits = sum(1 for kind, _, _ in records if kind.startswith("Transaction/COMMIT"))
                n = max(result["tx"], 1)
                record_bytes, image_bytes = sum(r[1] for r in records) / n, sum(r[2] for r in records) / n
                print(f"  {name:<8} {result['tps']:7,.0f} tps  {len(records) / n:5.1f} records  "
                      f"{record_bytes:6,.0f} bytes (+{image_bytes:,.0f} in page images)  "
                      f"{commits / max(syncs_after - syncs, 1):4.1f} commits per flush")  # fmt: skip
                busy = sum(ticks) - ticks[3] - ticks[4]  # not idle, not waiting for I/O
                per_tx = 1e6 / os.sysconf("SC_CLK_TCK") / n  # us per tick, per transaction
                print(f"      CPUs {100 * busy / sum(ticks):.0f}% busy; per transaction {busy * per_tx:,.0f} us of CPU,"
                      f" {(ticks[0] + ticks[1]) * per_tx:,.0f} us of it in user space")  # fmt: skip
                by_kind: collections.Counter = collections.Counter()
                bytes_of: collections.Counter = collections.Counter()
                for kind, size, _ in records:
                    by_kind[kind] += 1
                    bytes_of[kind] += size
                for kind, count in by_kind.most_common(14):
                    if count / n >= 0.05:
                        print(f"      {count / n:5.2f} x {bytes_of[kind] / count:4,.0f} B  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""`make bench`: throughput, HTTP and growth benchmarks of the wallet, each measured side
by side with its baseline in one run (these machines are noisy), written to
bench/RESULTS.md with one chart per benchmark.

    python bench/run.py [--quick] [--only sql,http,servers,memory,growth,lots,holds,feed,lifecycle]

It starts its own PostgreSQL cluster with default durability settings (fsync and
synchronous_commit on) in a temp dir, plus pg_stat_statements for the profile.
"""

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from cluster import BENCH, OUT, log, start_cluster
from feed import bench_feed
from growth import bench_growth
from holds import bench_holds
from http_api import bench_http, bench_memory, bench_servers
from lifecycle import bench_lifecycle
from lots import bench_lots
from report import charts, load_report, write_results
from sql_postings import bench_sql

SECTIONS = ("sql", "http", "servers", "memory", "growth", "lots", "holds", "feed", "lifecycle")


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
        if "lifecycle" in only:
            report["lifecycle"] = bench_lifecycle(cluster, 20_000 if args.quick else 1_000_000)
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

#!/usr/bin/env python3
"""Throughput of this tree against an earlier commit, side by side on one cluster: the
figure for "did this change slow postings under load", which runs of the whole bench
cannot give (they move by 30-60% between runs here).

    python bench/compare.py REV [--clients 16] [--seconds 10] [--reps 4] [--users 100000]

Starts a throwaway cluster with two databases, "before" migrated from REV's sql/ (a
detached git worktree) and "after" from this tree, each with the same funded bench users,
then runs the mixed 50/50 pgbench script (top-ups and spends of 1 GOLD) on one and the
other in turn, `reps` times each, and prints every run and the ratio of the medians.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as bench  # noqa: E402  (the bench cluster and its users)


def migrated_from(worktree: Path, url: str) -> None:
    """Migrates url with the migrations and functions of the tree at worktree."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(worktree / "api")}
    subprocess.run([sys.executable, "-m", "wallet_api.migrate", "migrate"], cwd=worktree, env=env, check=True,
                   capture_output=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the commit to compare with (anything git rev-parse takes)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--users", type=int, default=bench.USERS)
    args = parser.parse_args()
    rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=bench.ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()  # fmt: skip
    bench.OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="wallet-compare-"))
    tmp.chmod(0o777)
    worktree = tmp / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), rev], cwd=bench.ROOT, check=True,
                   capture_output=True)  # fmt: skip
    cluster = bench.start_cluster(tmp)
    try:
        urls = {}
        for name in ("before", "after"):
            urls[name] = bench.prepare_database(cluster, name)
            if name == "before":  # prepare_database migrated it from this tree: start it again from REV's
                with psycopg.connect(cluster.url, autocommit=True) as conn:
                    conn.execute('DROP DATABASE "before"')
                    conn.execute('CREATE DATABASE "before"')
                migrated_from(worktree, urls[name])
                with psycopg.connect(urls[name], autocommit=True) as conn:
                    conn.execute(f"GRANT wallet_service TO {bench.BENCH_ROLE}")
            with psycopg.connect(urls[name], autocommit=True) as conn:
                bench.load_users(conn, args.users, args.users, 1_000_000_000)
                conn.execute("VACUUM ANALYZE")
            bench.log(f"{name}: {args.users:,} funded users")
        mixed = [*bench.scripts(("topup", 1), ("spend", 1)), "-D", f"users={args.users}"]
        runs: dict[str, list[float]] = {"before": [], "after": []}
        for rep in range(args.reps):
            for name in ("before", "after") if rep % 2 == 0 else ("after", "before"):
                with psycopg.connect(cluster.url, autocommit=True) as conn:
                    conn.execute("CHECKPOINT")
                result = bench.pgbench(cluster, name, bench.BENCH_ROLE, args.clients, args.seconds, mixed)
                runs[name].append(result["tps"])
                bench.log(f"rep {rep + 1} {name:<6} {result['tps']:8.0f} tps  p99 {result['p99_ms']:.2f} ms  "
                          f"failed {result['failed']}")  # fmt: skip
        before, after = statistics.median(runs["before"]), statistics.median(runs["after"])
        print(f"mixed 50/50 at {args.clients} clients, {args.reps} runs of {args.seconds} s each, interleaved:")
        print(f"  {rev} (before)   median {before:8.0f} tps  ({min(runs['before']):.0f}-{max(runs['before']):.0f})")
        print(f"  this tree (after) median {after:8.0f} tps  ({min(runs['after']):.0f}-{max(runs['after']):.0f})")
        print(f"  after / before   {after / before:.3f}")
    finally:
        cluster.stop("fast")
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=bench.ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The PL/Proxy router's cost (make bench-shards): the SQL mix (50/50 top-ups and spends
of random users, bench/pgbench) straight into one database and through the router over
1, 2, 4 and 8 shard databases, all in one PostgreSQL server on this machine, interleaved;
and the router's added latency per call (one client, balance reads and spends). The mix
is also counted over the second half of each run, once every session has opened and
warmed its connections to the shards (a router session opens one per shard it calls).
The CPU time per routed call of the router's backend and of the shards' backends is read
from /proc (one client, balance reads, after a warm-up). The shards share the
machine's cores, so this measures what routing costs, not what sharding gains
(docs/sharding.md works that out from the single-database figures).

    .venv/bin/python bench/shards.py [--seconds 10] [--reps 2] [--clients 16] [--users 4000]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as bench  # noqa: E402  (the bench cluster and its pgbench runs)

from wallet_api.migrate import migrate  # noqa: E402
from wallet_dev.pgcluster import PgCluster  # noqa: E402
from wallet_dev.shards import build  # noqa: E402

BENCH = bench.BENCH
BALANCE = "\\set uid random(1, :users)\nSELECT * FROM wallet_balance(('00000000-0000-4000-8000-' || lpad(:uid::text, 12, '0'))::uuid);\n"  # noqa: E501


def bench_user(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def load_users(url: str, users: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn, conn.pipeline():
        for n in range(1, users + 1):
            conn.execute("SELECT wallet_open_account(%s, 'bench')", (bench_user(n),))
            conn.execute("SELECT * FROM wallet_topup(%s, 1, 1000000000, 'bench-fund')", (bench_user(n),))


def _cpu_ns(pids: list[int]) -> int:
    """CPU time the processes have run, in ns (/proc/PID/schedstat)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def cpu_per_call(admin_url: str, url: str, users: int, calls: int, one_shard: bool = False) -> dict[str, float]:
    """One client's balance reads of random users through `url`, after a warm-up that
    opens every connection the router makes: the wall time per call and the CPU time per
    call of the backend it talks to (the router's, or the one database's) and of the shard
    backends that backend opened (none for one database). `one_shard`: the measured reads
    are of the first shard's users only (the warm-up still reads everyone's)."""
    rng = random.Random(7)
    with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(admin_url, autocommit=True) as admin:
        read = "SELECT * FROM wallet_balance(%s)"
        for _ in range(max(calls // 5, 200)):
            conn.execute(read, (bench_user(rng.randint(1, users)),)).fetchall()
        chosen = [bench_user(n) for n in range(1, users + 1)]
        if one_shard:
            chosen = [user for (user,) in conn.execute(
                "SELECT u FROM unnest(%s::text[]) u WHERE router.user_hash(u::uuid) & (router.shard_count() - 1) = 0",
                (chosen,)).fetchall()]  # fmt: skip
        (front,) = conn.execute("SELECT pg_backend_pid()").fetchone()
        dbname = conn.info.dbname
        behind = [
            pid
            for (pid,) in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname LIKE %s AND datname <> %s"
                "   AND backend_type = 'client backend' AND usename = current_user AND pid <> pg_backend_pid()"
                "   AND application_name = ''",
                (dbname.replace("router", "shard_%"), dbname),
            ).fetchall()
        ] if dbname.endswith("router") else []  # fmt: skip
        before = (_cpu_ns([front]), _cpu_ns(behind), time.perf_counter_ns())
        for _ in range(calls):
            conn.execute(read, (rng.choice(chosen),)).fetchall()
        after = (_cpu_ns([front]), _cpu_ns(behind), time.perf_counter_ns())
    return {
        "wall_us": (after[2] - before[2]) / calls / 1000,
        "front_cpu_us": (after[0] - before[0]) / calls / 1000,
        "behind_cpu_us": (after[1] - before[1]) / calls / 1000,
        "shard_backends": len(behind),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--calls", type=int, default=5000, help="balance reads per CPU-time measurement")
    opts = parser.parse_args()

    bench.OUT.mkdir(parents=True, exist_ok=True)  # pgbench's per-transaction logs
    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-shards-"))
    tmp.chmod(0o755)
    cluster = PgCluster(tmp / "cluster")
    cluster.ensure({"max_connections": "300"})
    scripts = tmp / "scripts"
    scripts.mkdir()
    scripts.chmod(0o755)
    (scripts / "balance.sql").write_text(BALANCE)
    mix = [f"{BENCH / 'pgbench' / 'topup.sql'}@1", f"{BENCH / 'pgbench' / 'spend.sql'}@1"]
    balance = [str(scripts / "balance.sql")]
    try:
        targets = {"one database": "wallet"}
        migrate(cluster.url)
        print(f"loading {opts.users:,} users into each target", flush=True)
        load_users(cluster.url, opts.users)
        for n in (1, 2, 4, 8):
            router_url, _ = build([cluster.url], n, f"b{n}_", "bench-router-password")
            load_users(router_url, opts.users)
            targets[f"router, {n} shard{'s' if n > 1 else ''}"] = f"b{n}_router"
        results: dict[str, dict[str, list[dict]]] = {t: {"mix": [], "balance 1": [], "mix 1": []} for t in targets}
        cpu: dict[str, list[dict[str, float]]] = {t: [] for t in targets}
        cpu["router, 8 shards, one shard's users"] = []
        for rep in range(opts.reps):
            for target, dbname in [*targets.items(), ("router, 8 shards, one shard's users", "b8_router")]:
                url = cluster.url.rsplit("/", 1)[0] + "/" + dbname
                cpu[target].append(cpu_per_call(cluster.url, url, opts.users, opts.calls, "one shard" in target))
                c = cpu[target][-1]
                print(f"rep {rep + 1} {target:<17} cpu/call  front {c['front_cpu_us']:.1f} us, behind "
                      f"{c['behind_cpu_us']:.1f} us over {c['shard_backends']} backends, wall {c['wall_us']:.1f} us",
                      flush=True)  # fmt: skip
            for target, dbname in targets.items():
                for name, clients, files in (("mix", opts.clients, mix), ("mix 1", 1, mix), ("balance 1", 1, balance)):
                    args = [arg for f in files for arg in ("-f", f)] + ["-D", f"users={opts.users}"]
                    r = bench.pgbench(cluster, dbname, "postgres", clients, opts.seconds, args)
                    results[target][name].append(r)
                    print(f"rep {rep + 1} {target:<17} {name:<10} {r['tps']:8.0f} tps  {r['mean_ms']:.3f} ms",
                          flush=True)  # fmt: skip
    finally:
        cluster.stop("immediate")
    base = {name: statistics.fmean(r["tps"] for r in results["one database"][name]) for name in ("mix",)}
    base_warm = statistics.fmean(r["tps_second_half"] for r in results["one database"]["mix"])
    one = {
        name: statistics.fmean(r["mean_ms"] for r in results["one database"][name]) for name in ("mix 1", "balance 1")
    }
    lines = [f"| target | mix at {opts.clients} clients, tps | vs one database | its second half, tps "
             "| vs one database | spend/top-up at 1 client, ms | added | balance read at 1 client, ms | added |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for target, runs in results.items():
        tps = [r["tps"] for r in runs["mix"]]
        warm = statistics.fmean(r["tps_second_half"] for r in runs["mix"])
        lat = {name: statistics.fmean(r["mean_ms"] for r in runs[name]) for name in ("mix 1", "balance 1")}
        lines.append(
            f"| {target} | {statistics.fmean(tps):,.0f} ({min(tps):,.0f}-{max(tps):,.0f}) "
            f"| {statistics.fmean(tps) / base['mix']:.2f}x | {warm:,.0f} | {warm / base_warm:.2f}x "
            f"| {lat['mix 1']:.3f} | {lat['mix 1'] - one['mix 1']:+.3f} "
            f"| {lat['balance 1']:.3f} | {lat['balance 1'] - one['balance 1']:+.3f} |"
        )
    lines += ["", f"CPU per balance read, one client, {opts.calls:,} calls after a warm-up "
              f"({opts.reps} repetitions, mean):", "",
              "| target | wall per call, us | the router's backend (or the database's), us "
              "| the shards' backends, us | shard backends |", "|---|---|---|---|---|"]  # fmt: skip
    for target, runs in cpu.items():
        mean = {k: statistics.fmean(r[k] for r in runs) for k in runs[0]}
        lines.append(f"| {target} | {mean['wall_us']:.1f} | {mean['front_cpu_us']:.1f} | {mean['behind_cpu_us']:.1f} "
                     f"| {mean['shard_backends']:.0f} |")  # fmt: skip
    table = "\n".join(lines)
    print("\n" + table)
    command = " ".join(["bench/shards.py", *sys.argv[1:]])
    (BENCH / "RESULTS-shards.md").write_text(
        f"# The PL/Proxy router's cost\n\n`{command}`: {opts.users:,} users, {opts.seconds} s per point, "
        f"{opts.reps} repetitions interleaved; router and shards in one PostgreSQL server on this machine "
        f"(docs/sharding.md).\n\n{table}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Instructions per posting, counted by callgrind: the one figure here that does not
move with the machine's noise (the same count to 0.1% run after run), so a change to
the posting functions can be judged by it in minutes.

    python bench/instructions.py [--postings N] [--only NAME[,NAME...]]

Starts a throwaway cluster, migrates it and opens 10,000 bench users funded with one
paid lot each, stops it, then runs a single-user backend under
`valgrind --tool=callgrind` (collecting only inside PortalRun and the commit) for N
holds of 1 GOLD each captured in the same statement (one transaction), then N spends,
as many previews of a spend (p_dry_run) and N top-ups, each of 1 GOLD by a random user
with a fresh key, then N/10 batches of 100 such postings (half top-ups, half spends),
then N transfers of 1 GOLD between two random users and N exchanges of 1 GOLD into
POINTS; then N calls of the spend's floor (bench/spend_floor.sql: its statements without
its rules), with the chain's hash and with a constant in its place; and the same for
pgbench -N's transaction, as the yardstick. Prints instructions per call (per posting
for batches).
"""

import argparse
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as bench  # noqa: E402  (the bench cluster and its users)

from wallet_dev.pgcluster import _as_postgres  # noqa: E402

USERS = 10_000
BATCH = 100
NAMES = ("hold", "spend", "topup", "batch", "transfer", "exchange", "floor", "pgbench")
FLOOR = Path(__file__).resolve().parent / "spend_floor.sql"
HASH = "wallet.entry_hash(v_wallet.chain_head, x.r)"


def user(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def wallet_calls(kind: str, count: int, rng: random.Random, extra: str = "") -> list[str]:
    return [
        f"SELECT * FROM wallet_{kind}('{user(rng.randint(1, USERS))}'::uuid, 1, 1, 'ir-{kind}-{rng.random()}'{extra});"
        for _ in range(count)
    ]


def floor_calls(function: str, count: int, rng: random.Random) -> list[str]:
    return [
        f"SELECT * FROM {function}('{user(rng.randint(1, USERS))}'::uuid, 1, 1, 'ir-floor-{rng.random()}');"
        for _ in range(count)
    ]


def moves(kind: str, count: int, rng: random.Random) -> list[str]:
    """Transfers of 1 GOLD between two random users, or exchanges of 1 GOLD into POINTS."""
    calls = []
    for _ in range(count):
        a, b = rng.sample(range(1, USERS + 1), 2)
        calls.append(
            f"SELECT * FROM wallet_transfer('{user(a)}'::uuid, '{user(b)}'::uuid, 1, 1, 'ir-t-{rng.random()}');"
            if kind == "transfer"
            else f"SELECT * FROM wallet_exchange('{user(a)}'::uuid, 1, 2, 1, 'ir-x-{rng.random()}');"
        )
    return calls


def hold_captures(count: int, rng: random.Random) -> list[str]:
    calls = []
    for _ in range(count):
        who, key = user(rng.randint(1, USERS)), rng.random()
        calls.append(f"SELECT * FROM wallet_capture('{who}'::uuid, (SELECT hold_id FROM wallet_hold("
                     f"'{who}'::uuid, 1, 1, 'ir-hold-{key}')), 'ir-capture-{key}');")  # fmt: skip
    return calls


def batches(count: int, rng: random.Random) -> list[str]:
    """wallet_post_batch calls of BATCH postings each, half top-ups and half spends of 1 GOLD
    for random users, as make bench's batch script."""
    calls = []
    for _ in range(count):
        items = ", ".join(
            f"jsonb_build_object('kind', '{rng.choice(('topup', 'spend'))}',"
            f" 'user_id', '{user(rng.randint(1, USERS))}', 'asset_type_id', 1, 'amount', 1,"
            f" 'idempotency_key', 'ir-batch-{rng.random()}')"
            for _ in range(BATCH)
        )
        calls.append(f"SELECT count(*) FROM wallet_post_batch(jsonb_build_array({items}));")
    return calls


def pgbench_n(count: int, rng: random.Random) -> list[str]:
    statements = []
    for _ in range(count):
        aid, delta = rng.randint(1, 100_000), rng.randint(-5000, 5000)
        statements += [
            "BEGIN;",
            f"UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid};",
            f"SELECT abalance FROM pgbench_accounts WHERE aid = {aid};",
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)"
            f" VALUES (1, 1, {aid}, {delta}, CURRENT_TIMESTAMP);",
            "END;",
        ]
    return statements


def instructions(pgdata: Path, pgbin: Path, statements: list[str], workdir: Path) -> int:
    """Total instructions of the statements in a single-user backend (-j: a statement ends
    at a semicolon and an empty line)."""
    script = workdir / "script.sql"
    script.write_text("".join(s + "\n\n" for s in statements))
    script.chmod(0o644)
    out = workdir / "callgrind.out"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
           "--toggle-collect=PortalRun", "--toggle-collect=CommitTransactionCommand",
           str(pgbin / "postgres"), "--single", "-j", "-D", str(pgdata),
           "-c", "shared_preload_libraries=", "-c", "fsync=off", "bench"]  # fmt: skip
    with script.open() as stdin:
        proc = subprocess.run(_as_postgres(cmd), stdin=stdin, capture_output=True, text=True, cwd="/")
    if "ERROR" in proc.stdout + proc.stderr:
        raise RuntimeError((proc.stdout + proc.stderr)[-2000:])
    total = int(re.search(r"^summary: (\d+)", out.read_text(), re.M).group(1))
    out.unlink()
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=300)
    parser.add_argument("--only", help="comma-separated names to measure, of: " + ", ".join(NAMES))
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else set(NAMES)
    if only - set(NAMES):
        parser.error(f"--only: unknown {', '.join(sorted(only - set(NAMES)))}")
    if not shutil.which("valgrind"):
        print("instructions: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with bench.throwaway_cluster("wallet-ir-") as (cluster, tmp):
        url = bench.funded_bench_database(cluster, USERS)
        with psycopg.connect(url, autocommit=True) as conn:  # what transfers and exchanges need
            conn.execute("SELECT wallet_set_transfer_policy(1, 'all')")
            conn.execute("SELECT wallet_set_exchange_rate(1, 2, 1, 1)")
            floor = FLOOR.read_text()  # the floor, and the floor with a constant for its hash
            conn.execute(floor)
            conn.execute(floor.replace("bench_spend_floor(", "bench_spend_floor_unchained(").replace(HASH, "'\\x00'"))
        bench.run_pgbench(cluster, "postgres", ["-i", "-s", "1", "-q", "bench"])
        cluster.stop("fast")
        rng = random.Random(7)
        n = args.postings

        def per_call(make) -> float:
            """Each run is a new backend: the first 20 calls (plans, caches) are subtracted."""
            warm = instructions(cluster.pgdata, cluster.pgbin, make(20), tmp)
            return (instructions(cluster.pgdata, cluster.pgbin, make(20 + n), tmp) - warm) / n

        def per_posting_in_batches() -> float:
            """As per_call, over a tenth as many calls of BATCH postings each."""
            warm = instructions(cluster.pgdata, cluster.pgbin, batches(2, rng), tmp)
            calls = max(1, n // 10)
            return (instructions(cluster.pgdata, cluster.pgbin, batches(2 + calls, rng), tmp) - warm) / (calls * BATCH)

        measures = {
            # holds first, so that spends and top-ups probe a holds table that has rows
            "hold + capture": lambda: per_call(lambda k: hold_captures(k, rng)),
            "spend": lambda: per_call(lambda k: wallet_calls("spend", k, rng)),
            "spend preview (p_dry_run)": lambda: per_call(lambda k: wallet_calls("spend", k, rng, ", '{}', true")),
            "topup": lambda: per_call(lambda k: wallet_calls("topup", k, rng)),
            f"batch of {BATCH}, per posting": per_posting_in_batches,
            "transfer": lambda: per_call(lambda k: moves("transfer", k, rng)),
            "exchange": lambda: per_call(lambda k: moves("exchange", k, rng)),
            "floor of a spend": lambda: per_call(lambda k: floor_calls("bench_spend_floor", k, rng)),
            "floor without the hash": lambda: per_call(lambda k: floor_calls("bench_spend_floor_unchained", k, rng)),
            "pgbench -N": lambda: per_call(lambda k: pgbench_n(k, rng)),
        }
        figures = {name: measure() for name, measure in measures.items() if name.split()[0] in only}
        print(f"instructions per call (callgrind, {n} calls each, single-user backend, {USERS:,} users):")
        for name, value in figures.items():
            print(f"  {name:<25} {value:12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

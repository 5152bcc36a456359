"""The HTTP, servers and memory sections: the API under wrk beside the same SQL through
pgbench, its CPU per request, the servers side by side, its memory, and its profile."""

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import psycopg.sql
import requests
from cluster import (
    BENCH,
    BENCH_PASSWORD,
    BENCH_ROLE,
    HTTP_BATCH,
    HTTP_BATCH_SIZE,
    OUT,
    SERVER,
    USERS,
    log,
    pgbench,
    scripts,
    settle,
)

from wallet_api.credentials import set_database_login
from wallet_api.migrate import seed
from wallet_dev.pgcluster import PgCluster
from wallet_dev.ports import free_port
from wallet_dev.servers import start_server, wait_until_healthy


def service_token(base: str, client_id: str) -> str:
    r = requests.post(
        f"{base}/auth/token", json={"client_id": client_id, "client_secret": f"{client_id}-dev"}, timeout=10
    )
    r.raise_for_status()
    return r.json()["access_token"]


def wrk(base: str, mode: str, connections: int, seconds: int, env: dict) -> dict:
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk" / "load.lua"),
        base,
        "--",
        mode,
        str(USERS),
        str(HTTP_BATCH_SIZE),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
    data = json.loads(line[len("WRK_JSON ") :])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "statuses": data["statuses"],
        "socket_errors": data["socket_errors"],
        "requests": data["requests"],
    }


def bench_http(
    cluster: PgCluster, seconds: int, reps: int, concurrencies: list[int], workers: int, threads: int
) -> dict:
    log(f"HTTP level: {SERVER} {workers} workers x {threads} threads; wrk vs pgbench at the same concurrency")
    settle(cluster)
    port = free_port()
    server = start_server(api_env(cluster, workers, threads), port, OUT / "api-server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        pids = process_tree(server.pid)
        wrk_env = {
            **os.environ,
            "PAY_TOKEN": service_token(base, "payments"),
            "GAME_TOKEN": service_token(base, "game"),
        }
        runs = {
            name: {c: [] for c in concurrencies}
            for name in (
                "HTTP spend",
                "HTTP mixed 50/50",
                "HTTP whoami (no database)",
                HTTP_BATCH,
                "SQL spend (pgbench)",
            )
        }
        for rep in range(reps):
            for c in concurrencies:
                for name, mode in (
                    ("HTTP spend", "spend"),
                    ("HTTP mixed 50/50", "mix"),
                    ("HTTP whoami (no database)", "whoami"),
                    (HTTP_BATCH, "batch"),
                ):
                    cpu = cpu_seconds(pids)
                    result = wrk(base, mode, c, seconds, wrk_env)
                    result["api_cpu_ms"] = 1000 * (cpu_seconds(pids) - cpu) / max(result["requests"], 1)
                    runs[name][c].append(result)
                    log(
                        f"  rep {rep + 1} c={c:<3} {name:<26} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:.2f}"
                        f"  p99 {result['p99_ms']:.2f} ms  API CPU {result['api_cpu_ms']:.3f} ms/request"
                        f"  {result['statuses']}"
                    )
                result = pgbench(cluster, "bench", BENCH_ROLE, c, seconds, scripts(("spend", 1)))
                result["rps"] = result["tps"]
                runs["SQL spend (pgbench)"][c].append(result)
                log(f"  rep {rep + 1} c={c:<3} {'SQL spend (pgbench)':<26} {result['rps']:8.0f} tx/s")
        profile = profile_api(server.pid, base, wrk_env, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "runs": runs,
        "workers": workers,
        "threads": threads,
        "seconds": seconds,
        "profile": profile,
        "server": SERVER,
    }


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += [int(c) for c in subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout.split()]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mib(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sizes


def api_env(cluster: PgCluster, workers: int, threads: int) -> dict:
    """The API's environment against the bench database, as its own login, with a pool of
    as many connections per worker as it has threads."""
    url = cluster.url.rsplit("/", 1)[0] + "/bench"
    seed(url)  # the service clients and their dev secrets
    set_database_login(url, "wallet_app", BENCH_PASSWORD)
    return {
        **os.environ,
        "WALLET_ENV": "production",  # what production runs: its checks, its login, its settings
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": psycopg.conninfo.make_conninfo(url, user="wallet_app", password=BENCH_PASSWORD),
        "WEB_CONCURRENCY": str(workers),
        "WALLET_THREADS": str(threads),
        "WALLET_POOL_MAX_SIZE": str(threads),
        "WALLET_POOL_MIN_SIZE": str(threads),
    }  # default rate limits


def bench_servers(cluster: PgCluster, seconds: int, reps: int, concurrencies: list[int]) -> dict:
    """gunicorn gthread and granian's WSGI interface, each 2 workers x 4 threads with a pool
    of 4, on whoami and spend, interleaved; the servers' CPU time per request."""
    log("HTTP servers: gunicorn gthread vs granian WSGI, 2 workers x 4 threads each, interleaved")
    env = api_env(cluster, workers=2, threads=4)
    servers, bases = {}, {}
    ports = {"gunicorn gthread": free_port(), "granian WSGI": free_port()}
    for name, server in (("gunicorn gthread", "gunicorn"), ("granian WSGI", "granian")):
        servers[name] = start_server(
            {**env, "WALLET_SERVER": server},
            ports[name],
            OUT / f"{server}.log",
        )
    runs: dict = {name: {mode: {c: [] for c in concurrencies} for mode in ("whoami", "spend")} for name in servers}
    try:
        for name, proc in servers.items():
            bases[name] = f"http://127.0.0.1:{ports[name]}"
            wait_until_healthy(bases[name], proc)
        tokens = {name: service_token(base, "game") for name, base in bases.items()}
        for rep in range(reps):
            for c in concurrencies:
                for name in servers:
                    wrk_env = {**os.environ, "PAY_TOKEN": tokens[name], "GAME_TOKEN": tokens[name]}
                    for mode in ("whoami", "spend"):
                        pids = process_tree(servers[name].pid)
                        before = cpu_seconds(pids)
                        result = wrk(bases[name], mode, c, seconds, wrk_env)
                        result["cpu_us"] = (cpu_seconds(pids) - before) * 1e6 / max(result["requests"], 1)
                        runs[name][mode][c].append(result)
                        log(
                            f"  rep {rep + 1} c={c:<3} {name:<17} {mode:<7} {result['rps']:8.0f} req/s  "
                            f"p99 {result['p99_ms']:.2f} ms  {result['cpu_us']:.0f} us CPU/request  "
                            f"{result['statuses']}"
                        )
    finally:
        for proc in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
    return {"runs": runs, "seconds": seconds, "reps": reps}


def bench_memory(cluster: PgCluster, seconds: int) -> dict:
    """The API's workers' memory at rest, after a minute of mixed load and after `seconds`
    more of it (the API's server, 2 x 4), and the database's backends meanwhile."""
    log(f"Memory: {SERVER} 2 x 4 under mixed load at 16 connections for {seconds} s")
    env = api_env(cluster, workers=2, threads=4)
    port = free_port()
    server = start_server(env, port, OUT / "api-server.log")
    base = f"http://127.0.0.1:{port}"
    samples = []
    try:
        wait_until_healthy(base, server)
        workers = process_tree(server.pid)[1:]
        tokens = {"PAY_TOKEN": service_token(base, "payments"), "GAME_TOKEN": service_token(base, "game")}
        wrk_env = {**os.environ, **tokens}
        with psycopg.connect(cluster.url, autocommit=True) as conn:

            def sample(label: str) -> None:
                backends = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                ).fetchone()[0]
                samples.append({"at": label, "rss_mib": rss_mib(workers), "backends": backends})
                log(f"  {label:<14} worker RSS {', '.join(f'{m:.1f}' for m in samples[-1]['rss_mib'])} MiB, "
                    f"{backends} client backends")  # fmt: skip

            sample("at rest")
            wrk(base, "mix", 16, 60, wrk_env)
            sample("after warm-up")
            step = max(seconds // 5, 1)
            for k in range(1, 6):
                result = wrk(base, "mix", 16, step, wrk_env)
                sample(f"+{k * step} s")
            samples[-1]["rps"] = result["rps"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"samples": samples, "seconds": seconds, "server": SERVER}


def profile_api(master_pid: int, base: str, wrk_env: dict, seconds: int) -> str:
    """py-spy on one API worker while wrk drives spends: where a request's time goes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    if not Path(spy).exists() or not children:
        return "py-spy not available"
    out = OUT / "api-profile.txt"
    spy_proc = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            children[0],
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--gil",  # only samples holding the GIL: the worker's CPU, not its waits on the database
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(base, "spend", 16, seconds, wrk_env)
    spy_proc.wait(timeout=seconds + 60)
    if not out.exists():
        return "py-spy produced no profile"
    return summarize_profile(out)


def summarize_profile(path: Path, top: int = 10) -> str:
    """Share of a worker's samples (holding the GIL: its CPU) by the package of the frame
    it was in, from py-spy's raw stacks: a sample counts once, for the innermost frame."""
    own: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        package = frame_package(stack.rsplit(";", 1)[-1])
        own[package] = own.get(package, 0) + int(count)
    total = sum(own.values())
    if not total:
        return "no samples"
    ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return "\n".join(f"| {package} | {100 * n / total:.0f}% |" for package, n in ranked)


def frame_package(frame: str) -> str:
    """'Flask.__call__ (flask/app.py:1536)' -> 'flask'; the wallet's own code by module; a
    frame py-spy could not place ('') is native code (the server, C extensions)."""
    location = frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    if not location:
        return "native (server, C extensions)"
    parts = location.split("/")
    if parts[0] == "wallet_api" and len(parts) > 1:
        return "wallet_api." + parts[1].removesuffix(".py")
    return parts[0].removesuffix(".py")

"""`make run`: DATABASE_URL, or a project-local cluster in .data/ kept between runs;
migrate and load the dev seed as the owner; serve the API with gunicorn (wallet_api.serve;
WALLET_SERVER=granian for the image's server) on HOST:PORT (default 127.0.0.1:8000),
logged in as its own role `wallet_app`, which has only the rights of wallet_api, and run
the background worker beside it as `wallet_worker_app` (rights of wallet_worker), its
metrics on a free port (printed). The rate limits live in a redis-server kept beside the
cluster (.data/redis, a unix socket; stopped by `make stop-db`), so that they hold
across the API's workers. A child that exits is started again after a growing pause
(the other keeps running); one that exits within seconds of the first start ends make
run (a configuration error). Ctrl-C stops both. Generated secrets (database passwords,
the JWT key) are kept mode 0600 in .data/ of the current folder (or WALLET_DATA_DIR)."""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from wallet_api.credentials import set_database_login
from wallet_api.migrate import migrate, seed
from wallet_dev.pgcluster import ClusterError, PgCluster
from wallet_dev.ports import free_port
from wallet_dev.redisserver import LocalRedis, RedisError

ROOT = Path(__file__).resolve().parents[2]
API_LOGIN = "wallet_app"
WORKER_LOGIN = "wallet_worker_app"

BANNER = """
Wallet API on http://{host}:{port}  (development only: these credentials are seed data)

  users     Alice  0f6d220d-61fa-4be7-b0a2-e05dbd9aee32  password alice-dev
            Bob    b55709be-d0f6-467e-942c-cc04155ad54c  password bob-dev
  services  payments / payments-dev  (wallet:topup wallet:refund wallet:read)
            rewards  / rewards-dev   (wallet:bonus wallet:read)
            game     / game-dev      (wallet:spend wallet:hold wallet:reverse accounts:write wallet:read)
            finance  / finance-dev   (reports:read wallet:read)

First call (log in as Alice and read her balance):

  TOKEN=$(curl -s {host}:{port}/auth/login -H 'Content-Type: application/json' \\
      -d '{{"user_id":"0f6d220d-61fa-4be7-b0a2-e05dbd9aee32","password":"alice-dev"}}' \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s {host}:{port}/wallet/balance -H "Authorization: Bearer $TOKEN"

Database: {database}   (passwords in {data}; stop the local one with `make stop-db`)
Rate limits: {limits}
Worker metrics: http://127.0.0.1:{metrics_port}/metrics
"""
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0  # before starting an exited child again, doubling
STARTUP_SECONDS = 5  # a child that exits this soon after make run started it is misconfigured


def kept_secret(path: Path) -> str:
    """A random secret made on first use and kept mode 0600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def shown(conninfo: str) -> str:
    """The connection string without its password."""
    params = conninfo_to_dict(conninfo)
    params.pop("password", None)
    return make_conninfo(**params)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("WALLET_ENV", "development")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "8000")
    env.setdefault("WALLET_SERVER", "gunicorn")  # the contract's `make run` serves with gunicorn
    data = Path(env.get("WALLET_DATA_DIR") or ".data").resolve()  # make runs in the project's folder
    try:
        owner_url = env.get("DATABASE_URL")
        if not owner_url:
            cluster = PgCluster(data)
            cluster.ensure()
            owner_url = cluster.url
        migrate(owner_url)
        seed(owner_url)
        password = kept_secret(data / "api-db-password")
        set_database_login(owner_url, API_LOGIN, password)
        worker_password = kept_secret(data / "worker-db-password")
        set_database_login(owner_url, WORKER_LOGIN, worker_password, "wallet_worker")
    except (ClusterError, psycopg.Error, RuntimeError, ValueError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    env["DATABASE_URL"] = make_conninfo(owner_url, user=API_LOGIN, password=password)
    worker_url = make_conninfo(owner_url, user=WORKER_LOGIN, password=worker_password)
    env.setdefault("JWT_SECRET_KEY", kept_secret(data / "jwt-secret"))
    if "WALLET_RATE_LIMIT_STORAGE" not in env:
        try:
            store = LocalRedis(data)
            store.ensure()
            env["WALLET_RATE_LIMIT_STORAGE"] = store.url
        except RedisError as exc:
            print(f"make run: {exc}; the rate limits hold per API worker only", file=sys.stderr)
    metrics_port = env.setdefault("WALLET_WORKER_METRICS_PORT", str(free_port()))
    print(BANNER.format(host=env["HOST"], port=env["PORT"], database=shown(env["DATABASE_URL"]), data=data,
                        limits=env.get("WALLET_RATE_LIMIT_STORAGE", "memory:// (per worker)"),
                        metrics_port=metrics_port), flush=True)  # fmt: skip
    python = sys.executable
    return supervise({
        "worker": ([python, "-m", "wallet_api.worker"], {**env, "DATABASE_URL": worker_url}),
        "API": ([python, "-m", "wallet_api.serve"], env),
    })  # fmt: skip


def supervise(commands: dict[str, tuple[list[str], dict[str, str]]]) -> int:
    """Runs each command, starting again one that exits (after 1 s, 2 s ... 30 s; the
    pause starts over once it has run a minute), until a stop signal comes; then stops
    them all. A command that exits within seconds of its first start stops make run."""
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    began = time.monotonic()
    children = {name: subprocess.Popen(argv, env=env) for name, (argv, env) in commands.items()}
    started = dict.fromkeys(children, began)
    pauses = dict.fromkeys(children, FIRST_PAUSE)
    due: dict[str, float] = {}  # exited children and when to start them again
    failed = 0
    while not stopping:
        time.sleep(0.2)  # a stop signal ends the sleep early
        now = time.monotonic()
        for name, child in children.items():
            if name in due or child.poll() is None:
                continue
            if now - began < STARTUP_SECONDS:
                print(f"make run: the {name} exited with {child.returncode} as it started; stopping", flush=True)
                stopping.append(0)
                failed = abs(child.returncode) or 1
                break
            pauses[name] = FIRST_PAUSE if now - started[name] > 60 else min(pauses[name] * 2, LONGEST_PAUSE)
            due[name] = now + pauses[name]
            print(f"make run: the {name} exited with {child.returncode}; starting it again in {pauses[name]:g} s",
                  flush=True)  # fmt: skip
        for name, when in list(due.items()):
            if now >= when and not stopping:
                argv, env = commands[name]
                children[name], started[name] = subprocess.Popen(argv, env=env), now
                del due[name]
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        child.wait(timeout=30)
    return failed


def stop() -> int:
    """`make stop-db`: the local cluster and the rate limits' redis-server."""
    data = Path(os.environ.get("WALLET_DATA_DIR") or ".data").resolve()
    PgCluster(data).stop()
    LocalRedis(data).stop()
    return 0


if __name__ == "__main__":
    sys.exit(stop() if sys.argv[1:] == ["stop"] else main())

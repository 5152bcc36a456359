"""`make run`: DATABASE_URL, or a project-local cluster in .data/ kept between runs;
migrate and load the dev seed as the owner; serve the API with gunicorn (wallet_api.serve;
WALLET_SERVER=granian for the image's server) on HOST:PORT (default 127.0.0.1:8000),
logged in as its own role `wallet_app`, which has only the rights of wallet_api, and run
the background worker beside it as `wallet_worker_app` (rights of wallet_worker). Either
one stopping stops the other; so does Ctrl-C. Generated secrets (database passwords, the
JWT key) are kept mode 0600 in .data/ of the current folder (or WALLET_DATA_DIR)."""

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
"""


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
    print(BANNER.format(host=env["HOST"], port=env["PORT"], database=shown(env["DATABASE_URL"]), data=data), flush=True)
    python = sys.executable
    children = [
        subprocess.Popen([python, "-m", "wallet_api.worker"], env={**env, "DATABASE_URL": worker_url}),
        subprocess.Popen([python, "-m", "wallet_api.serve"], env=env),
    ]
    return supervise(children)


def supervise(children: list[subprocess.Popen]) -> int:
    """Waits until a child exits or a stop signal comes, then stops them all."""
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.5)  # a stop signal ends the sleep early
    for child in children:
        if child.poll() is None:
            child.terminate()
    codes = [child.wait(timeout=30) for child in children]
    return 0 if stopping else max(abs(code) for code in codes) or 1


if __name__ == "__main__":
    sys.exit(main())

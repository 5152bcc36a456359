"""`make run` and `make stop-db` as root from a folder the `postgres` user cannot enter
(a clone under /root, a `mktemp -d` folder): the local cluster is kept where the server
can reach it, asks for a password, and is found again by `make stop-db`."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests

from tests.support import ALICE, BOB, PASSWORDS, ROOT, free_port
from wallet_dev.pgcluster import PgCluster
from wallet_dev.redisserver import LocalRedis

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a private folder only stops the server's user as root")


@pytest.fixture
def private_clone():
    folder = Path(tempfile.mkdtemp(prefix="wallet-private-"))  # mode 0700, as under /root
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (folder / "wallet" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / "wallet" / name)
    yield folder / "wallet"
    cluster = PgCluster(folder / "wallet" / ".data")
    cluster.stop("immediate")
    LocalRedis(folder / "wallet" / ".data").stop()
    if cluster.pgdata != folder / "wallet" / ".data" / "pg":
        shutil.rmtree(cluster.pgdata.parent, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses listening on the port, from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(".".join(str(b) for b in reversed(bytes.fromhex(address))))
    return found


def make(clone: Path, *targets: str, **kwargs) -> subprocess.Popen:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WALLET_DATA_DIR", "MAKEFLAGS", "MAKELEVEL")
    }
    venv = str(Path(sys.executable).parent.parent)  # the suite's own virtualenv, already installed
    return subprocess.Popen(
        ["make", "--no-print-directory", f"VENV={venv}", *targets], cwd=clone, env=env, start_new_session=True, **kwargs
    )


def test_make_run_and_stop_db_from_a_private_folder(private_clone, report):
    port = free_port()
    log = private_clone / "run.log"
    with open(log, "wb") as out:
        run = make(private_clone, "run", f"PORT={port}", stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert run.poll() is None, log.read_text()
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                time.sleep(0.3)
        else:
            raise AssertionError(log.read_text())
        r = requests.post(f"{base}/auth/login", json={"user_id": ALICE, "password": PASSWORDS[ALICE]}, timeout=10)
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 30
        while '"worker": "started"' not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log.read_text()
        assert '{"worker": "started", "queues": ["wallet", "wallet.webhooks"]}' in text, (
            "the worker runs beside the API"
        )
        assert "Traceback" not in text
        assert f"http://127.0.0.1:{port}" in text and "password=" not in text

        data = private_clone / ".data"
        cluster = PgCluster(data)
        assert cluster.pgdata.parent != data, "the server's files live where the postgres user can reach them"
        for secret in ("password", "api-db-password", "worker-db-password", "jwt-secret"):
            assert stat.S_IMODE((data / secret).stat().st_mode) == 0o600, secret
        hba = subprocess.run(
            ["runuser", "-u", "postgres", "--", "cat", str(cluster.pgdata / "pg_hba.conf")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rules = [line.split() for line in hba.splitlines() if line.strip() and not line.startswith("#")]
        assert rules and all(rule[-1] in ("scram-sha-256", "peer") for rule in rules), rules
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/wallet", connect_timeout=5)
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)

    stopped = make(private_clone, "stop-db", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = stopped.communicate(timeout=60)[0].decode()
    assert stopped.returncode == 0, output
    assert not cluster.is_running()
    assert '{"worker": "stopped"}' in log.read_text(), "the worker stopped with make run"
    report(
        f"make run from a 0700 folder: served on 127.0.0.1:{port}, cluster kept in {cluster.pgdata.parent}; "
        "make stop-db stopped it"
    )


def worker_pids(session: int) -> list[int]:
    """The worker processes make run started (they share its session)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                if b"wallet_api.worker" in cmdline and os.getsid(int(entry.name)) == session:
                    pids.append(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
    return pids


def wait_for(condition, seconds: float, what: str, log: Path) -> float:
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except requests.RequestException:  # the API is starting again
            pass
        assert time.monotonic() - started < seconds, f"timed out waiting for {what}\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def test_make_run_rides_out_a_database_crash_and_a_killed_worker_and_shares_its_limits(private_clone, report):
    """Under make run: the login limit is the documented one across two API workers (a
    shared redis beside the cluster); the database crashes and comes back: the API answers
    again by itself and a lot that expires after it is swept (default schedule: every
    minute); the worker is SIGKILLed: make run starts it again and the API stays up."""
    port = free_port()
    log = private_clone / "run.log"
    with open(log, "wb") as out:
        run = make(private_clone, "run", f"PORT={port}", "WEB_CONCURRENCY=2", stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{base}/readyz", timeout=2).status_code == 200, 120, "make run", log)
        text = log.read_text()
        assert "redis+unix://" in text, "the rate limits live in the local redis"
        metrics = next(line.split()[-1] for line in text.splitlines() if line.startswith("Worker metrics:"))
        wait_for(lambda: "wallet_worker_job_runs" in requests.get(metrics, timeout=2).text, 30, "worker metrics", log)
        # 30 wrong passwords for one account from one address, spread over both workers
        guess = {"user_id": BOB, "password": "wrong"}
        statuses = [requests.post(f"{base}/auth/login", json=guess, timeout=10).status_code for _ in range(30)]
        assert sorted(statuses) == [401] * 20 + [429] * 10, statuses

        PgCluster(private_clone / ".data").restart("immediate")
        back = wait_for(lambda: requests.post(f"{base}/auth/token", json={"client_id": "rewards", "client_secret":
                        "rewards-dev"}, timeout=5).status_code == 200, 60, "the API answering again", log)  # fmt: skip
        rewards = requests.post(f"{base}/auth/token", json={"client_id": "rewards", "client_secret": "rewards-dev"},
                                timeout=10).json()["access_token"]  # fmt: skip
        auth = {"Authorization": f"Bearer {rewards}"}
        expires = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
        key = f"after-crash-{time.time_ns()}"
        bonus = {"user_id": ALICE, "asset_type_id": 2, "amount": 3, "idempotency_key": key, "expires_at": expires}
        r = requests.post(f"{base}/wallet/bonus", headers=auth, timeout=10, json=bonus)
        assert r.status_code == 201, r.text

        def swept() -> bool:
            items = requests.get(f"{base}/wallet/transactions", headers=auth, timeout=5,
                                 params={"user_id": ALICE, "asset_type_id": 2, "limit": 5}).json()["items"]  # fmt: skip
            return any(item["kind"] == "expire" and item["amount"] == -3 for item in items)

        took = wait_for(swept, 150, "the lot that expired after the crash swept", log)

        (worker,) = worker_pids(run.pid)
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: worker_pids(run.pid) not in ([], [worker]), 30, "a new worker", log)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
        assert "make run: the worker exited with -9; starting it again" in log.read_text()
        assert run.poll() is None
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=60)
    assert "Traceback" not in "".join(line for line in log.read_text().splitlines(True) if "wallet_api" in line)
    report(f"make run: login limit 20 across 2 workers (30 guesses: {statuses.count(401)} x 401, "
           f"{statuses.count(429)} x 429); after a database crash the API answered again in {back:.1f} s and a lot "
           f"expiring after it was swept {took:.0f} s later; a SIGKILLed worker was started again")  # fmt: skip

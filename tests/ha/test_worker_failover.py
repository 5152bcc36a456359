"""The worker through a failover: logged in with the formation's multi-host URL
(target_session_attrs=read-write) as its own role, it loses the primary when the whole
node is killed, reconnects to the promoted standby by itself, and its periodic sweep
resumes there: a lot that expires after the failover is swept."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

import psycopg
from psycopg.conninfo import make_conninfo

from wallet_api.credentials import set_database_login


def wait_until(condition, timeout: float, what: str, log_path) -> float:
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except psycopg.Error:  # the primary is changing
            pass
        assert time.monotonic() - started < timeout, f"timed out: {what}\n{log_path.read_text()[-3000:]}"
        time.sleep(0.5)


def test_the_worker_rides_out_a_failover_and_sweeps_on_the_new_primary(formation, tmp_path, report):
    formation.revive()
    formation.wait_healthy()
    password = secrets.token_urlsafe(24)
    set_database_login(formation.url, "wallet_worker_ha", password, "wallet_worker")
    env = {**os.environ, "DATABASE_URL": make_conninfo(formation.url, user="wallet_worker_ha",
           password=password), "WALLET_EXPIRE_CRON": "* * * * * */2", "WALLET_WORKER_METRICS_PORT": "0"}  # fmt: skip
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "wallet_api.worker"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:

        def sweeps() -> int:
            return sum(1 for line in log_path.read_text().splitlines() if line.startswith('{"job": "wallet.expire"'))

        wait_until(lambda: sweeps() > 0, 60, "a first sweep", log_path)
        before = formation.primary()
        formation.kill_node(before)
        struck = time.monotonic()
        user = uuid.uuid4()

        def bonus_written() -> bool:
            with psycopg.connect(formation.url, autocommit=True) as conn:
                conn.execute("SET ROLE wallet_service")
                conn.execute("SELECT wallet_open_account_status(%s, 'after the failover')", (user,))
                conn.execute("SELECT * FROM wallet_bonus(%s, 1, 4, 'ha-promo', '{}', now() + interval '2 seconds')",
                             (user,))  # fmt: skip
            return True

        wait_until(bonus_written, 120, "a write on the new primary", log_path)
        promoted = time.monotonic() - struck

        def swept() -> bool:
            with psycopg.connect(formation.url, autocommit=True) as conn:
                conn.execute("SET ROLE wallet_service")
                return conn.execute("SELECT count(*) FROM wallet_history(%s, 1, NULL, 10) WHERE kind = 'expire'",
                                    (user,)).fetchone()[0] == 1  # fmt: skip

        took = wait_until(swept, 120, "the lot that expired after the failover swept", log_path)
        assert worker.poll() is None, log_path.read_text()
        lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
        assert any(line.get("worker") == "restarting" for line in lines)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
        formation.revive()
    assert code == 0, log_path.read_text()
    report(
        f"worker through a failover ({before} lost, {formation.primary()} promoted): writes again after "
        f"{promoted:.1f} s, a lot expiring after it swept {took:.1f} s later by the same worker process"
    )

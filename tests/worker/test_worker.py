"""The background worker as it runs beside the API: a real process on procrastinate,
logged in as its own role (a member of wallet_worker only), sweeping expired lots and
releasing expired holds on its schedule, notifying wallet_events listeners when the
event feed moves, logging JSON lines, and stopping cleanly on SIGTERM."""

import json
import signal
import socket
import time


def test_worker_sweeps_expired_lots_and_holds_and_stops_on_sigterm(worker_env, start_worker, new_user, connect, admin,
                                                                   report):  # fmt: skip
    user = new_user(points=30)
    conn = connect()
    conn.execute("SELECT * FROM wallet_bonus(%s, 1, 25, 'promo', '{}', now() + interval '1 hour')", (user,))
    conn.execute("SELECT * FROM wallet_topup(%s, 1, 40, 'pay')", (user,))
    (hold_id,) = conn.execute("SELECT hold_id FROM wallet_hold(%s, 2, 10, 'entry-fee', '1 hour')", (user,)).fetchone()
    # an hour passes for this user's hold
    admin.execute("UPDATE wallet.holds SET expires_at = now() - interval '1 second' WHERE hold_id = %s", (hold_id,))
    admin.execute("UPDATE wallet.wallets w SET next_hold_expiry = now() - interval '1 second' FROM wallet.accounts a"
                  " WHERE a.account_id = w.account_id AND a.user_id = %s", (user,))  # fmt: skip
    # an hour passes for this user's lot
    admin.execute("UPDATE wallet.lots l SET expires_at = now() - interval '1 second' FROM wallet.accounts a"
                  " WHERE a.account_id = l.account_id AND a.user_id = %s AND l.amount = 25", (user,))  # fmt: skip
    admin.execute("UPDATE wallet.wallets w SET next_expiry = now() - interval '1 second' FROM wallet.accounts a"
                  " WHERE a.account_id = w.account_id AND a.user_id = %s", (user,))  # fmt: skip
    listener = connect()
    listener.execute("LISTEN wallet_events")
    worker, log_path = start_worker(worker_env)
    try:
        started = time.monotonic()
        expired, hold_state = None, "open"
        while time.monotonic() - started < 30 and (expired is None or hold_state == "open"):
            assert worker.poll() is None, log_path.read_text()
            expired = admin.execute(
                "SELECT e.amount, e.free_amount, e.balance_after FROM wallet.ledger_entries e"
                " JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s AND e.kind = 'expire'",
                (user,),
            ).fetchone()
            (hold_state,) = admin.execute("SELECT state FROM wallet.holds WHERE hold_id = %s", (hold_id,)).fetchone()
            time.sleep(0.3)
        assert expired == (25, 25, 40), log_path.read_text()
        assert hold_state == "expired", log_path.read_text()
        # the sweep's events moved the feed: the worker's notifier tells listeners
        assert list(listener.notifies(timeout=5, stop_after=1)), "no NOTIFY wallet_events from the worker"
        waited = time.monotonic() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    runs = [line for line in lines if line.get("job") == "wallet.expire"]
    assert code == 0, log_path.read_text()
    assert {"worker": "started", "queues": ["wallet", "wallet.webhooks"]} in lines and {"worker": "stopped"} in lines
    assert runs and sum(run["lots_expired"] for run in runs) >= 1 and sum(run["holds_expired"] for run in runs) >= 1
    assert conn.execute("SELECT balance FROM wallet_balance(%s) WHERE asset_type_id = 1", (user,)).fetchone() == (40,)
    points = "SELECT balance, held, available FROM wallet_balance(%s) WHERE asset_type_id = 2"
    assert conn.execute(points, (user,)).fetchone() == (30, 0, 30)
    assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []
    report(f"worker: expired lot posted and expired hold released {waited:.1f} s after start, {len(runs)} runs "
           f"logged, SIGTERM -> exit {code}")  # fmt: skip


def test_a_stop_as_the_worker_starts_is_clean(worker_env, start_worker, report):
    """SIGTERM just after "started", before procrastinate has its own handlers in place:
    the worker still says it stopped and exits 0 (make run's supervisor and a container
    runtime may both send it at such a moment)."""
    outcomes = []
    for _ in range(5):
        worker, log_path = start_worker(worker_env)
        deadline = time.monotonic() + 30
        while '"worker": "started"' not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.005)
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=30)
        text = log_path.read_text()
        assert code == 0 and '{"worker": "stopped"}' in text and "Traceback" not in text, text
        outcomes.append(code)
    report(f"worker stopped with SIGTERM right after it started: {len(outcomes)} of 5 exit 0 and say so")


def test_a_taken_metrics_port_leaves_the_worker_running(worker_env, start_worker, report):
    """Another process (a second clone's worker) holds the metrics port: the worker says
    so and does its work without the endpoint."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        worker, log_path = start_worker({**worker_env, "WALLET_WORKER_METRICS_PORT": str(port)})
        deadline = time.monotonic() + 30
        while '"job": "wallet.expire"' not in log_path.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, log_path.read_text()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert [line for line in lines if line.get("worker") == "metrics endpoint off" and line["port"] == port]
    report(f"worker with its metrics port {port} taken: ran, swept, said the endpoint is off, exit 0")

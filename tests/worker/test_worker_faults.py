"""The worker when what stands around it fails: the database crashes and comes back
(the worker reconnects and its periodic jobs resume), and webhook receivers that
trickle their answer a byte every 3 s: one its body after a 200 (delivered at the
status line: the body is never read), one its status line itself (cut at the deadline
and backed off). Neither delays another receiver's deliveries or the expiry sweep."""

import json
import signal
import socket
import threading
import time
import uuid

import psycopg

from tests.worker.test_webhooks import Receiver, run_command, wait_for
from wallet_dev.ports import free_port


def log_lines(log_path) -> list[dict]:
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]


def test_worker_rides_out_a_database_crash_and_sweeps_after_it(worker_env, start_worker, cluster, db_url, report):
    worker, log_path = start_worker(worker_env)  # sweeps every 2 s
    wait_for(lambda: any(line.get("job") == "wallet.expire" for line in log_lines(log_path)), 30, "a first sweep")
    cluster.restart("immediate")  # pg_ctl stop -m immediate, then start
    user = uuid.uuid4()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET ROLE wallet_service")
        conn.execute("SELECT wallet_open_account(%s, 'after the crash')", (user,))
        conn.execute("SELECT * FROM wallet_bonus(%s, 1, 7, 'short-promo', '{}', now() + interval '2 seconds')", (user,))

        def swept() -> bool:
            return conn.execute(
                "SELECT count(*) FROM wallet_history(%s, 1, NULL, 10) WHERE kind = 'expire'", (user,)
            ).fetchone()[0] == 1  # fmt: skip

        took = wait_for(swept, 120, "the lot that expired after the crash swept")
    assert worker.poll() is None, log_path.read_text()
    lines = log_lines(log_path)
    assert any(line.get("worker") == "restarting" for line in lines), log_path.read_text()
    assert [line for line in lines if line.get("worker") == "started"][1:], "its job workers started again"
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, log_path.read_text()
    report(f"worker through a database crash: still running, expired lot swept {took:.1f} s after the restart "
           "(sweeps every 2 s here)")  # fmt: skip


class Trickler:
    """A receiver on loopback that reads the request and then sends its answer a byte
    every 3 s: all of it (`head=True`), or its body after the status line and headers."""

    def __init__(self, head: bool) -> None:
        self.port, self.requests, self.head = free_port(), 0, head
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.stopped = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:  # stop() closed the socket
                return
            self.requests += 1
            threading.Thread(target=self.trickle, args=(conn,), daemon=True).start()

    def trickle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
            if not self.head:
                conn.sendall(head)
            try:
                for byte in (head if self.head else b"") + b"." * 20:
                    if self.stopped.wait(3):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the worker gave up on it
                pass

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


def test_a_trickling_receiver_delays_neither_another_receiver_nor_the_sweep(
    worker_env, start_worker, connect, admin, db_url, monkeypatch, capsys, report
):
    trickler, body_trickler = Trickler(head=True), Trickler(head=False)
    slow = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target",
                       f"http://127.0.0.1:{trickler.port}/hooks", "entry.topup")  # fmt: skip
    slow_body = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target",
                            f"http://127.0.0.1:{body_trickler.port}/hooks", "entry.topup")  # fmt: skip
    port = free_port()
    fast = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target", f"http://127.0.0.1:{port}/hooks",
                       "entry.topup")  # fmt: skip
    healthy = Receiver(port, fast["secret"])
    healthy.start()
    worker, log_path = start_worker({**worker_env, "WALLET_WEBHOOK_TIMEOUT_SECONDS": "10"})
    conn = connect()
    committed: dict[str, float] = {}
    try:
        wait_for(lambda: any(line.get("job") == "wallet.expire" for line in log_lines(log_path)), 30, "a first sweep")
        sweeps_before = len([line for line in log_lines(log_path) if line.get("job") == "wallet.expire"])
        user = uuid.uuid4()
        conn.execute("SELECT wallet_open_account(%s, 'watched')", (user,))
        for n in range(25):  # over about 25 s: the trickler's deliveries time out meanwhile
            key = f"trickle-{n}-{uuid.uuid4().hex[:6]}"
            conn.execute("SELECT * FROM wallet_topup(%s, 1, 1, %s)", (user, key))
            committed[key] = time.time()
            time.sleep(1)
        wait_for(lambda: len(healthy.received) >= len(committed), 20, "every top-up at the healthy receiver")
        delays = sorted(healthy.received_at[e] - committed[p["data"]["idempotency_key"]]
                        for e, p in healthy.received.items() if p["data"]["idempotency_key"] in committed)  # fmt: skip
        sweeps = [line for line in log_lines(log_path) if line.get("job") == "wallet.expire"][sweeps_before:]
        (paused,) = admin.execute(
            "SELECT paused_until > now() OR consecutive_failures > 0 FROM wallet.webhook_subscriptions"
            " WHERE subscription_id = %s", (slow["subscription_id"],)).fetchone()  # fmt: skip
        errors = admin.execute(
            "SELECT DISTINCT last_error FROM wallet.webhook_deliveries WHERE subscription_id = %s"
            " AND last_error IS NOT NULL", (slow["subscription_id"],)).fetchall()  # fmt: skip
        body_delivered = admin.execute(
            "SELECT count(*) FILTER (WHERE state = 'delivered'), max(delivered_at - first_attempt_at)"
            " FROM wallet.webhook_deliveries WHERE subscription_id = %s", (slow_body["subscription_id"],)
        ).fetchone()  # fmt: skip
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
        for subscription in (slow, slow_body, fast):
            run_command(monkeypatch, capsys, db_url, "unsubscribe", str(subscription["subscription_id"]))
        healthy.stop()
        trickler.stop()
        body_trickler.stop()
    assert code == 0, log_path.read_text()
    assert len(delays) == len(committed) and delays[-1] < 2.0, delays
    assert len(sweeps) >= 10 and max(s["late_ms"] for s in sweeps) < 2000, sweeps
    assert trickler.requests >= 1 and paused, "the trickling receiver was tried and backed off"
    assert errors == [("TimeoutError: no answer within 10 s",)], errors
    assert body_delivered[0] == len(committed) and body_delivered[1].total_seconds() < 2, body_delivered
    report(
        f"a receiver trickling its answer beside a healthy one: {len(committed)} events, the healthy one got each "
        f"{delays[len(delays) // 2] * 1000:.0f} ms (median) / {delays[-1] * 1000:.0f} ms (max) after its commit; "
        f"{len(sweeps)} sweeps at most {max(s['late_ms'] for s in sweeps)} ms late; the trickler had "
        f"{trickler.requests} requests, each cut at 10 s, and was paused; the one trickling its body after a 200 "
        f"had every event delivered, at most {body_delivered[1].total_seconds() * 1000:.0f} ms after its attempt"
    )

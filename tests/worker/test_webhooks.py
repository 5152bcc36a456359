"""Webhooks end to end: operator command, the worker process, a real receiver on
loopback that verifies every Standard Webhooks signature, fails on purpose some of the
time and goes away for a while, a worker killed with SIGKILL mid-delivery, dead
deliveries listed and redelivered."""

import json
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wallet_api.webhook_admin import main as webhooks_command
from wallet_dev.ports import free_port


class Receiver:
    """A webhook receiver on 127.0.0.1:port that can fail, stall and go away."""

    def __init__(self, port: int, secret: str):
        self.port, self.webhook = port, Webhook(secret)
        self.lock = threading.Lock()
        self.received: dict[int, dict] = {}  # event id -> payload, verified
        self.received_at: dict[int, float] = {}  # event id -> when it first arrived (time.time())
        self.requests = self.refused_on_purpose = self.bad_signatures = self.in_flight = 0
        self.fail_rate, self.stall_seconds = 0.0, 0.0
        self.random = random.Random(7)
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.requests += 1
                    receiver.in_flight += 1
                    fail = receiver.random.random() < receiver.fail_rate
                try:
                    time.sleep(receiver.stall_seconds)
                    try:
                        payload = receiver.webhook.verify(body, dict(self.headers))
                    except WebhookVerificationError:
                        with receiver.lock:
                            receiver.bad_signatures += 1
                        self.send_response(400)
                    else:
                        assert self.headers["webhook-id"] == str(payload["data"]["event_id"])
                        if fail:
                            with receiver.lock:
                                receiver.refused_on_purpose += 1
                            self.send_response(503)
                        else:
                            with receiver.lock:
                                receiver.received[payload["data"]["event_id"]] = payload
                                receiver.received_at.setdefault(payload["data"]["event_id"], time.time())
                            self.send_response(204)
                    self.end_headers()
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def log_message(self, *args) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def run_command(monkeypatch, capsys, db_url, *argv: str) -> object:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert webhooks_command(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def wait_for(condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.1)
    return time.monotonic() - started


def test_every_event_arrives_signed_despite_failures_an_outage_and_a_killed_worker(
    worker_env, start_worker, connect, admin, db_url, monkeypatch, capsys, report
):
    port, dead_port = free_port(), free_port()
    sub = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target", f"http://127.0.0.1:{port}/hooks")
    topups = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target",
                         f"http://127.0.0.1:{dead_port}/hooks", "entry.topup")  # fmt: skip
    receiver = Receiver(port, sub["secret"])
    receiver.fail_rate = 0.3
    receiver.start()
    metrics_port = free_port()
    env = {**worker_env, "WALLET_WORKER_METRICS_PORT": str(metrics_port),
           "WALLET_WEBHOOK_RETRY_SECONDS": "120", "WALLET_WEBHOOK_BACKOFF_CAP_SECONDS": "1",
           "WALLET_WEBHOOK_TIMEOUT_SECONDS": "2", "WALLET_WEBHOOK_LEASE_SECONDS": "3"}  # fmt: skip
    worker, log_path = start_worker(env)

    conn = connect()
    users = [uuid.uuid4() for _ in range(4)]
    for user in users:
        conn.execute("SELECT wallet_open_account(%s, 'hooked')", (user,))

    def post(count: int, tag: str) -> None:
        for i in range(count):
            user = users[i % len(users)]
            conn.execute("SELECT * FROM wallet_topup(%s, 1, 10, %s)", (user, f"{tag}-t{i}"))
            conn.execute("SELECT * FROM wallet_spend(%s, 1, 3, %s)", (user, f"{tag}-s{i}"))
            time.sleep(0.01)

    post(40, "calm")
    receiver.stop()  # the receiver goes away for a while; events keep coming
    post(40, "outage")
    time.sleep(2)
    receiver.start()
    post(40, "back")
    # stall the receiver, and kill the worker while its requests are in flight
    receiver.stall_seconds = 1.5
    post(20, "stalled")
    wait_for(lambda: receiver.in_flight > 0, 20, "a delivery in flight")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    receiver.stall_seconds = 0
    in_flight_at_kill = admin.execute(
        "SELECT count(*) FROM wallet.webhook_deliveries WHERE state = 'pending' AND due_at > now()"
        " AND subscription_id = %s", (sub["subscription_id"],)).fetchone()[0]  # fmt: skip
    post(20, "restarted")
    worker, log_path = start_worker(env)

    # every event committed since the subscription, from the feed itself (placed now
    # rather than at the worker's next run)
    admin.execute("SELECT wallet_notify_events()")
    expected = {row[0] for row in admin.execute(
        "SELECT f.event_id FROM wallet.event_feed f JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = ANY(%s)", (users,)).fetchall()}  # fmt: skip
    assert len(expected) == 160 * 2  # a top-up and a spend each
    waited = wait_for(lambda: expected <= set(receiver.received), 90, "every event at the receiver")
    receiver.fail_rate = 0
    assert receiver.bad_signatures == 0
    # the worker's own sweep may post other users' expiries meanwhile: those arrive too
    ours = {event_id for event_id, p in receiver.received.items() if p["data"]["user_id"] in {str(u) for u in users}}
    assert ours == expected, "each event under its own id"
    state = dict(admin.execute("SELECT state, count(*) FROM wallet.webhook_deliveries WHERE subscription_id = %s"
                               " GROUP BY state", (sub["subscription_id"],)).fetchall())  # fmt: skip
    wait_for(lambda: admin.execute("SELECT count(*) FROM wallet.webhook_deliveries WHERE subscription_id = %s"
                                   " AND state <> 'delivered'", (sub["subscription_id"],)).fetchone()[0] == 0,
             20, "every delivery settled as delivered")  # fmt: skip

    # nothing listens at the second subscription's URL: its top-ups die once they have
    # been failing for the retry window, here cut to a second
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, log_path.read_text()
    worker, log_path = start_worker({**env, "WALLET_WEBHOOK_RETRY_SECONDS": "1"})
    topup_events = {e for e in expected if receiver.received[e]["type"] == "entry.topup"}
    wait_for(lambda: {row["event_id"] for row in run_command(monkeypatch, capsys, db_url, "dead",
                                                             str(topups["subscription_id"]))} == topup_events,
             60, "the top-up subscription's deliveries dead")  # fmt: skip
    listed = run_command(monkeypatch, capsys, db_url, "list")
    assert [s["dead"] for s in listed if s["subscription_id"] == topups["subscription_id"]] == [len(topup_events)]
    late = Receiver(dead_port, topups["secret"])
    late.start()
    try:
        again = run_command(monkeypatch, capsys, db_url, "redeliver", str(topups["subscription_id"]))
        assert again == {"redelivered": len(topup_events)}
        wait_for(lambda: set(late.received) == topup_events, 30, "the redelivered top-ups")
        assert late.bad_signatures == 0
        assert run_command(monkeypatch, capsys, db_url, "dead", str(topups["subscription_id"])) == []

        def delivered_metric() -> float:
            scraped = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
            samples = [s for f in text_string_to_metric_families(scraped) for s in f.samples]
            ok = {"outcome": "delivered"}
            return sum(s.value for s in samples if s.name == "wallet_webhook_deliveries_total" and s.labels == ok)

        # the last worker's own metrics count the redelivered top-ups
        wait_for(lambda: delivered_metric() >= len(topup_events), 10, "the worker's delivery metric")
    finally:
        for subscription in (sub, topups):
            run_command(monkeypatch, capsys, db_url, "unsubscribe", str(subscription["subscription_id"]))
        late.stop()
        receiver.stop()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log_path.read_text()
    assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []
    report(f"webhooks: {len(expected)} events, {receiver.requests} requests ({receiver.refused_on_purpose} refused "
           f"on purpose, a 2 s outage, a SIGKILL with {in_flight_at_kill} leased), all at the receiver {waited:.1f} s "
           f"after the last posting, 0 unsigned; {len(topup_events)} dead, redelivered; states {state}")  # fmt: skip


def test_subscribe_refuses_bad_input(monkeypatch, capsys, db_url, worker_env):
    monkeypatch.setenv("DATABASE_URL", db_url)
    for argv in (["subscribe", "ftp://example.com/x"], ["subscribe", "http://hooks.example:1/x", "entry.nonsense"],
                 ["subscribe"], ["redeliver"], ["frobnicate"], ["subscribe", "http://169.254.169.254/latest"],
                 ["subscribe", "http://127.0.0.1:1/x"]):  # fmt: skip
        assert webhooks_command(argv) != 0
    err = capsys.readouterr().err
    assert "invalid_request: url must be an http or https URL" in err
    assert err.count("invalid_request: url must not name a loopback, private or link-local address") == 2
    assert "invalid_request: event types must be some of" in err


def test_the_command_runs_as_a_module(db_url, worker_env):
    proc = subprocess.run([sys.executable, "-m", "wallet_api.webhook_admin", "list"],
                          env={**worker_env, "DATABASE_URL": db_url}, capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert isinstance(json.loads(proc.stdout), list)


def test_private_targets_are_refused_when_sent_and_redirects_are_never_followed(
    worker_env, start_worker, admin, connect, db_url, monkeypatch, capsys, report
):
    """2130706433 is 127.0.0.1 spelled as one number: the subscribe check cannot see it,
    the worker resolves it and refuses to send (unless private targets are allowed). A
    receiver answering 302 to another address is a failed attempt, never followed."""
    port, target_port = free_port(), free_port()
    hits = {"redirector": 0, "target": 0}

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits["redirector" if self.server.server_port == port else "target"] += 1
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target_port}/metadata")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", p), Redirect) for p in (port, target_port)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    numeric = run_command(monkeypatch, capsys, db_url, "subscribe", f"http://2130706433:{port}/hooks", "entry.topup")
    conn = connect()
    user = uuid.uuid4()
    conn.execute("SELECT wallet_open_account(%s, 'guarded')", (user,))
    conn.execute("SELECT * FROM wallet_topup(%s, 1, 5, 'guard-1')", (user,))
    not_allowed = {k: v for k, v in worker_env.items() if k != "WALLET_WEBHOOK_PRIVATE_TARGETS"}

    def last_error(subscription) -> str | None:
        query = ("SELECT last_error FROM wallet.webhook_deliveries WHERE subscription_id = %s"
                 " AND last_error IS NOT NULL LIMIT 1")  # fmt: skip
        row = admin.execute(query, (subscription["subscription_id"],)).fetchone()
        return row[0] if row else None

    def first_error(env: dict, subscription) -> str:
        """Runs a worker until the subscription's first attempt has failed; ends both."""
        worker, log_path = start_worker(env)
        try:
            wait_for(lambda: last_error(subscription) is not None, 30, "a failed attempt")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0, log_path.read_text()
            run_command(monkeypatch, capsys, db_url, "unsubscribe", str(subscription["subscription_id"]))
        return last_error(subscription) or ""

    assert first_error(not_allowed, numeric).startswith("refused: 2130706433 is a loopback, private or link-local")
    assert hits == {"redirector": 0, "target": 0}

    redirecting = run_command(monkeypatch, capsys, db_url, "subscribe", "--private-target",
                              f"http://127.0.0.1:{port}/hooks", "entry.topup")  # fmt: skip
    conn.execute("SELECT * FROM wallet_topup(%s, 1, 5, 'guard-2')", (user,))
    try:
        assert first_error(worker_env, redirecting) == "HTTP 302"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert hits["redirector"] >= 1 and hits["target"] == 0
    report("webhooks: a loopback receiver spelled 2130706433 refused when sent (nothing reached it); a 302 to another "
           "address counted as a failure and never followed")  # fmt: skip

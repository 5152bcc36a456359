"""The events section: one consumer of the feed while writers post, and webhooks from
commit to arrival."""

import base64
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import psycopg.sql
from cluster import BENCH_ROLE, log, percentile, pgbench, placing_feed, scripts
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wallet_api.credentials import set_database_login
from wallet_dev.pgcluster import PgCluster


class TimingReceiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that verifies each signature and notes, per event,
    how long after it occurred it arrived."""

    daemon_threads = True

    def __init__(self, secret: str):
        self.webhook, self.arrivals, self.bad = Webhook(secret), {}, 0
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a receiver in production would

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            arrived = datetime.now(UTC)
            try:
                payload = self.server.webhook.verify(body, dict(self.headers))
            except WebhookVerificationError:
                self.server.bad += 1
                self.send_response(400)
            else:
                occurred = datetime.fromisoformat(payload["timestamp"])
                self.server.arrivals.setdefault(payload["data"]["event_id"], (arrived - occurred).total_seconds())
                self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass


def bench_feed(cluster: PgCluster, seconds: int) -> dict:
    """One consumer reading wallet_events while 16 pgbench clients post and a thread places
    the feed every 20 ms, as the worker does; then webhook deliveries by the worker to a
    receiver on loopback at a steady rate, commit to arrival."""
    log("Feed: events one consumer reads while 16 writers post; webhook latency from commit to arrival")
    url = cluster.url.rsplit("/", 1)[0] + "/bench"
    mixed = scripts(("topup", 1), ("spend", 1))
    read, placed_last = 0, threading.Event()

    def consume(last: int) -> None:
        nonlocal read
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET ROLE wallet_service")
            while True:
                finished = placed_last.is_set()  # read before the poll: nothing placed after it is missed
                rows = conn.execute("SELECT event_id FROM wallet_events(%s, 1000)", (last,)).fetchall()
                if rows:
                    read, last = read + len(rows), rows[-1][0]
                elif finished:
                    return
                else:
                    time.sleep(0.005)

    with psycopg.connect(url, autocommit=True) as conn:
        with placing_feed(url):
            first = conn.execute("SELECT wallet_notify_events()").fetchone()[0]
            consumer = threading.Thread(target=consume, args=(first,))
            consumer.start()
            started = time.perf_counter()
            writers = pgbench(cluster, "bench", BENCH_ROLE, 16, seconds, mixed)
            elapsed = time.perf_counter() - started
        conn.execute("SELECT wallet_notify_events()")  # the last commits placed
        placed_last.set()
        consumer.join()
        written = conn.execute("SELECT count(*) FROM wallet.event_feed WHERE event_id > %s", (first,)).fetchone()[0]
    feed = {"written": written, "read": read, "seconds": elapsed, "read_per_s": read / elapsed,
            "written_per_s": written / elapsed, "postings_tps": writers["tps"]}  # fmt: skip
    log(f"  feed: {read:,} of {written:,} events read while written ({feed['read_per_s']:,.0f}/s)")

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = TimingReceiver(secret)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    worker_password = "bench-worker-password"  # noqa: S105 (a throwaway cluster on loopback)
    set_database_login(url, "wallet_bench_worker", worker_password, "wallet_worker")
    with psycopg.connect(url, autocommit=True) as conn:
        hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
        conn.execute("SET wallet.webhook_private_targets = 'allow'")  # the receiver is on loopback
        sub = conn.execute("SELECT wallet_webhook_subscribe(%s, %s)", (hook_url, secret)).fetchone()[0]
    env = {**os.environ, "WALLET_WEBHOOK_PRIVATE_TARGETS": "allow",
           "DATABASE_URL": psycopg.conninfo.make_conninfo(url, user="wallet_bench_worker",
                                                          password=worker_password)}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "wallet_api.worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(6)  # the worker's first delivery run starts at its first 5-second tick
        rate = 200
        pgbench(cluster, "bench", BENCH_ROLE, 4, seconds, [*mixed, "-R", str(rate)])
        with psycopg.connect(url, autocommit=True) as conn:
            # until every event is fanned out to the subscription and delivered (or a minute)
            behind = """SELECT (SELECT fanned_out_through FROM wallet.webhook_subscriptions
                                WHERE subscription_id = %(s)s)
                               < (SELECT max(event_id) FROM wallet.event_feed)
                           OR EXISTS (SELECT FROM wallet.webhook_deliveries
                                      WHERE subscription_id = %(s)s AND state <> 'delivered')"""
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and conn.execute(behind, {"s": sub}).fetchone()[0]:
                time.sleep(0.2)
            expected = conn.execute("SELECT count(*) FROM wallet.webhook_deliveries WHERE subscription_id = %s",
                                    (sub,)).fetchone()[0]  # fmt: skip
            conn.execute("SELECT wallet_webhook_unsubscribe(%s)", (sub,))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        receiver.shutdown()
    latencies = [v * 1000 for v in receiver.arrivals.values()]
    webhooks = {"rate_tps": rate, "events": expected, "arrived": len(latencies), "unsigned": receiver.bad,
                "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}  # fmt: skip
    log(f"  webhooks: {len(latencies):,} of {expected:,} events arrived, commit to arrival p50 "
        f"{webhooks['p50_ms']:.0f} ms, p99 {webhooks['p99_ms']:.0f} ms")  # fmt: skip
    return {"feed": feed, "webhooks": webhooks, "seconds": seconds}

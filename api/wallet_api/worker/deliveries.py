"""Webhook deliveries, run by the worker's `wallet.deliver_webhooks` job. The decisions
live in SQL: wallet_webhook_fan_out makes a pending delivery per matching event,
wallet_webhook_claim hands out what is due (leased, so a worker killed mid-send leaves
it due again), wallet_webhook_settle records the outcome (delivered, retried after a
backoff with jitter, or dead after the retry window). This module only signs (Standard
Webhooks, with the subscription's secret) and sends.

Settings (environment):
  WALLET_WEBHOOK_RETRY_SECONDS     keep retrying a failing delivery this long (86400)
  WALLET_WEBHOOK_BACKOFF_CAP_SECONDS  longest wait between two attempts (3600)
  WALLET_WEBHOOK_TIMEOUT_SECONDS   per request (10)
  WALLET_WEBHOOK_CONCURRENCY       requests in flight (8)
  WALLET_WEBHOOK_RUN_SECONDS       how long one job keeps delivering and waiting for
                                   new events before the next takes over (5)
  WALLET_WEBHOOK_LEASE_SECONDS     a claimed delivery is due again after this long if
                                   its worker died (60; more than the timeout)
"""

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from prometheus_client import Counter
from standardwebhooks.webhooks import Webhook

log = logging.getLogger("wallet_api.worker")
DELIVERIES = Counter("wallet_webhook_deliveries", "Webhook delivery attempts by outcome (delivered, failed: to be "
                     "retried, dead)", ["outcome"])  # fmt: skip
FANNED_OUT = Counter("wallet_webhook_fanned_out", "Webhook deliveries made from new events")
FAN_OUT_POSITIONS = 10000  # feed positions per subscription per call
CLAIM_BATCH = 100


@dataclass(frozen=True)
class DeliverySettings:
    retry_for: timedelta
    backoff_cap: timedelta
    timeout: float
    concurrency: int
    run_for: float
    lease: timedelta

    @classmethod
    def from_env(cls) -> "DeliverySettings":
        env = os.environ.get
        timeout = float(env("WALLET_WEBHOOK_TIMEOUT_SECONDS", 10))
        return cls(
            retry_for=timedelta(seconds=float(env("WALLET_WEBHOOK_RETRY_SECONDS", 86400))),
            backoff_cap=timedelta(seconds=float(env("WALLET_WEBHOOK_BACKOFF_CAP_SECONDS", 3600))),
            timeout=timeout,
            concurrency=int(env("WALLET_WEBHOOK_CONCURRENCY", 8)),
            run_for=float(env("WALLET_WEBHOOK_RUN_SECONDS", 5)),
            # longer than a request may take, so that a live worker settles before a re-claim
            lease=timedelta(seconds=max(float(env("WALLET_WEBHOOK_LEASE_SECONDS", 60)), timeout + 1)),
        )


def signed_request(event_id: int, secret: str, payload: str) -> dict[str, str]:
    """The Standard Webhooks headers for one delivery: webhook-id is the event id."""
    now = datetime.now(UTC)
    msg_id = str(event_id)
    return {
        "content-type": "application/json",
        "user-agent": "wallet-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, payload),
    }


def send(client: httpx.Client, url: str, event_id: int, secret: str, payload: str) -> str | None:
    """Sends one delivery; answers None when the receiver took it (2xx), else why not."""
    try:
        response = client.post(url, content=payload.encode(), headers=signed_request(event_id, secret, payload))
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def deliver_webhooks(database_url: str, settings: DeliverySettings | None = None) -> dict[str, int]:
    """Fans out, claims, sends and settles until `run_for` seconds have passed, waiting
    for NOTIFY wallet_events when nothing is due. Answers counts for the log line."""
    settings = settings or DeliverySettings.from_env()
    deadline = time.monotonic() + settings.run_for
    counts = {"fanned_out": 0, "delivered": 0, "failed": 0, "dead": 0}
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        httpx.Client(timeout=settings.timeout, follow_redirects=False) as client,
        ThreadPoolExecutor(settings.concurrency, thread_name_prefix="webhook") as pool,
    ):
        conn.execute("LISTEN wallet_events")
        while True:
            (made,) = conn.execute("SELECT public.wallet_webhook_fan_out(%s)", (FAN_OUT_POSITIONS,)).fetchall()[0]
            counts["fanned_out"] += made
            FANNED_OUT.inc(made)
            due = conn.execute(
                "SELECT subscription_id, event_id, attempt, url, secret, payload"
                " FROM public.wallet_webhook_claim(%s, %s)",
                (CLAIM_BATCH, settings.lease),
            ).fetchall()
            errors = list(pool.map(lambda d: send(client, d[3], d[1], d[4], d[5]), due))
            if due:  # one call settles the claim's deliveries
                states = conn.execute(
                    "SELECT state FROM public.wallet_webhook_settle(%s::bigint[], %s::bigint[], %s::integer[],"
                    " %s::text[], %s, %s)",
                    ([d[0] for d in due], [d[1] for d in due], [d[2] for d in due], errors, settings.retry_for,
                     settings.backoff_cap),
                ).fetchall()  # fmt: skip
                for (state,), error in zip(states, errors, strict=True):
                    outcome = "delivered" if error is None else "dead" if state == "dead" else "failed"
                    counts[outcome] += 1
                    DELIVERIES.labels(outcome).inc()
            left = deadline - time.monotonic()
            if left <= 0:
                return counts
            if not due and not made:
                # new events wake it at once (the worker's notifier); retries come due by time
                for _ in conn.notifies(timeout=min(left, 0.5), stop_after=1):
                    pass


def log_run(counts: dict[str, int], started: float) -> None:
    """One line per run that did something."""
    if not any(counts.values()):
        return
    log.info(json.dumps({"job": "wallet.deliver_webhooks", **counts,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))  # fmt: skip

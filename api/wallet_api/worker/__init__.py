"""The background worker: procrastinate (a PostgreSQL-backed job library) on the wallet's
own database, in the schema `procrastinate`. Its periodic job calls wallet_expire()
until expired lots are posted and expired holds released; the logic stays in SQL. Beside
it, a thread calls wallet_notify_events() every `WALLET_NOTIFY_INTERVAL_MS` (default 50),
which sends NOTIFY wallet_events when the event feed has moved. Run it beside the API:

    DATABASE_URL=... python -m wallet_api.worker

It logs one JSON line per run, as the API does per request, and stops cleanly on
SIGTERM or SIGINT (procrastinate finishes the running job first). `WALLET_EXPIRE_CRON`
sets how often it sweeps (default every minute; a sixth field counts seconds).
"""

import json
import logging
import os
import threading
import time

import procrastinate
import psycopg

log = logging.getLogger("wallet_api.worker")
SCHEMA = "procrastinate"
QUEUE = "wallet"
EXPIRE_BATCH = 1000  # lots (and holds) per call and per transaction
MAX_BATCHES = 100  # per run: a backlog larger than this is left for the next run


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("worker: DATABASE_URL is required")
    return url


# the connector is given its DATABASE_URL when the worker starts (main)
app = procrastinate.App(connector=procrastinate.PsycopgConnector())


@app.periodic(cron=os.environ.get("WALLET_EXPIRE_CRON", "* * * * *"), periodic_id="expire")
@app.task(name="wallet.expire", queue=QUEUE, queueing_lock="wallet.expire", pass_context=False)
def expire(timestamp: int) -> None:
    """Posts expired lot remainders and releases expired holds."""
    started = time.perf_counter()
    lots = holds = batches = 0
    with psycopg.connect(database_url(), autocommit=True) as conn:
        while batches < MAX_BATCHES:
            (lots_now, holds_now) = conn.execute(
                "SELECT lots_expired, holds_expired FROM public.wallet_expire(%s)", (EXPIRE_BATCH,)
            ).fetchall()[0]
            batches += 1
            lots, holds = lots + lots_now, holds + holds_now
            if lots_now < EXPIRE_BATCH and holds_now < EXPIRE_BATCH:
                break
    log.info(json.dumps({"job": "wallet.expire", "scheduled_at": timestamp, "lots_expired": lots,
                         "holds_expired": holds, "batches": batches,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))  # fmt: skip


def notify_events_forever(stop: threading.Event) -> None:
    """Tells LISTENing consumers that the event feed moved, once per interval at most
    (the writers do not NOTIFY themselves: see wallet_notify_events). Reconnects after a
    lost connection; ends when `stop` is set."""
    interval = int(os.environ.get("WALLET_NOTIFY_INTERVAL_MS", "50")) / 1000
    seen = None
    while not stop.is_set():
        try:
            with psycopg.connect(database_url(), autocommit=True) as conn:
                while not stop.wait(interval):
                    (seen,) = conn.execute("SELECT public.wallet_notify_events(%s)", (seen,)).fetchall()[0]
        except psycopg.OperationalError as exc:
            log.warning(json.dumps({"worker": "event notifier reconnecting", "error": type(exc).__name__}))
            stop.wait(1)

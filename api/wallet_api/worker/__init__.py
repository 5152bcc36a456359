"""The background worker: procrastinate (a PostgreSQL-backed job library) on the wallet's
own database, in the schema `procrastinate`. Two procrastinate workers run in the one
process, each on its own queue, so that neither kind of work can hold up the other:

- queue `wallet`: `wallet.expire` calls wallet_expire() until expired lots are posted
  and expired holds released (every minute, `WALLET_EXPIRE_CRON`; a sixth field counts
  seconds); `wallet.prune_jobs` removes finished job rows after three days (hourly);
  behind a router, `wallet.complete_transfers` finishes transfers between shards that
  their callers left between steps (every 5 seconds, `WALLET_TRANSFERS_CRON`).
- queue `wallet.webhooks`: `wallet.deliver_webhooks` claims webhook deliveries in runs
  of a few seconds and hands them to the process's sender (deliveries.py), which sends
  and settles each on its own.

Beside them, a thread calls wallet_notify_events() every `WALLET_NOTIFY_INTERVAL_MS`
(default 20), which gives feed positions to the events committed since its last call
and sends NOTIFY wallet_events when the feed has moved. The logic stays in SQL. Run it
beside the API:

    DATABASE_URL=... python -m wallet_api.worker

It rides out a database restart or failover: when the database goes away the workers
stop, and the process connects again with a growing pause (1 s up to 30 s) and starts
them again; periodic jobs resume where they are due. It logs one JSON line per run, as
the API does per request, and stops cleanly on SIGTERM or SIGINT (running jobs finish
first).
"""

import json
import logging
import threading
import time

import procrastinate
import psycopg
from prometheus_client import Counter, Gauge

from wallet_api.config import DeliverySettings, WorkerSettings
from wallet_api.worker.deliveries import Sender, log_run
from wallet_api.worker.deliveries import deliver_webhooks as deliver_webhooks_for

log = logging.getLogger("wallet_api.worker")

# served on WALLET_WORKER_METRICS_PORT by __main__ (one process: the default registry)
JOB_RUNS = Counter("wallet_worker_job_runs", "Job runs finished, by job", ["job"])
LOTS_EXPIRED = Counter("wallet_worker_lots_expired", "Expired lot remainders posted by wallet_expire()")
HOLDS_EXPIRED = Counter("wallet_worker_holds_expired", "Expired holds released by wallet_expire()")
LAST_SWEEP = Gauge("wallet_worker_last_sweep_timestamp_seconds", "When the last expiry sweep finished (Unix time)")
LAST_PLACING = Gauge("wallet_worker_last_feed_placing_timestamp_seconds",
                     "When the event feed was last placed (Unix time)")  # fmt: skip

SCHEMA = "procrastinate"
QUEUE = "wallet"  # the sweep and the housekeeping
WEBHOOK_QUEUE = "wallet.webhooks"
EXPIRE_BATCH = 1000  # lots (and holds) per call and per transaction
MAX_BATCHES = 100  # per run: a backlog larger than this is left for the next run


SETTINGS = WorkerSettings.from_env()


def database_url() -> str:
    if not SETTINGS.database_url:
        raise SystemExit("worker: DATABASE_URL is required")
    return SETTINGS.database_url


# the connector is given its DATABASE_URL when the worker starts (main)
app = procrastinate.App(connector=procrastinate.PsycopgConnector())


@app.periodic(cron=SETTINGS.expire_cron, periodic_id="expire")
@app.task(name="wallet.expire", queue=QUEUE, queueing_lock="wallet.expire", pass_context=False, priority=10)
def expire(timestamp: int) -> None:
    """Posts expired lot remainders and releases expired holds."""
    started, late_ms = time.perf_counter(), round((time.time() - timestamp) * 1000)
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
    JOB_RUNS.labels("wallet.expire").inc()
    LOTS_EXPIRED.inc(lots)
    HOLDS_EXPIRED.inc(holds)
    LAST_SWEEP.set_to_current_time()
    log.info(json.dumps({"job": "wallet.expire", "scheduled_at": timestamp, "lots_expired": lots,
                         "holds_expired": holds, "batches": batches,
                         "late_ms": late_ms,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))  # fmt: skip


TRANSFERS_LEFT_FOR = "2 seconds"  # a transfer younger than this is still its caller's to finish
TRANSFERS_PER_SHARD = 500


@app.periodic(cron=SETTINGS.transfers_cron, periodic_id="complete_transfers")
@app.task(name="wallet.complete_transfers", queue=QUEUE, queueing_lock="wallet.complete_transfers",
          pass_context=False)  # fmt: skip
def complete_transfers(timestamp: int) -> None:
    """Delivers or undoes the transfers between shards left in flight (a router only: one
    database has none, and no such function)."""
    started = time.perf_counter()
    with psycopg.connect(database_url(), autocommit=True) as conn:
        (routed,) = conn.execute(
            "SELECT to_regprocedure('public.wallet_complete_transfers(interval, integer)') IS NOT NULL"
        ).fetchall()[0]
        if not routed:
            return
        delivered = undone = 0
        while True:  # another round while a shard had a full one
            (delivered_now, undone_now, left, error) = conn.execute(
                "SELECT delivered, undone, left_in_flight, last_error"
                " FROM public.wallet_complete_transfers(%s::interval, %s)",
                (TRANSFERS_LEFT_FOR, TRANSFERS_PER_SHARD),
            ).fetchall()[0]
            delivered, undone = delivered + delivered_now, undone + undone_now
            if delivered_now + undone_now < TRANSFERS_PER_SHARD or left or error:
                break
    JOB_RUNS.labels("wallet.complete_transfers").inc()
    log.info(json.dumps({"job": "wallet.complete_transfers", "scheduled_at": timestamp, "delivered": delivered,
                         "undone": undone, "left_in_flight": left, "last_error": error,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 2)}))  # fmt: skip


_sender: Sender | None = None


def sender() -> Sender:
    """The process's webhook sender, made on first use in the worker's event loop."""
    global _sender
    if _sender is None:
        _sender = Sender(database_url(), DeliverySettings.from_env())
    return _sender


async def drain_sender() -> None:
    """At the end: waits for the deliveries in flight (each within its deadline)."""
    if _sender is not None:
        await _sender.drain()


# every 5 seconds; a run lasts about that long, so one follows the other (the queueing
# lock keeps at most one waiting)
@app.periodic(cron="* * * * * */5", periodic_id="deliver_webhooks")
@app.task(name="wallet.deliver_webhooks", queue=WEBHOOK_QUEUE, queueing_lock="wallet.deliver_webhooks",
          pass_context=False)  # fmt: skip
async def deliver_webhooks(timestamp: int) -> None:
    """Claims webhook deliveries that are due for about WALLET_WEBHOOK_RUN_SECONDS."""
    started = time.perf_counter()
    counts = await deliver_webhooks_for(database_url(), sender())
    JOB_RUNS.labels("wallet.deliver_webhooks").inc()
    log_run(counts, started)


@app.periodic(cron="17 * * * *", periodic_id="prune_jobs")
@app.task(name="wallet.prune_jobs", queue=QUEUE, queueing_lock="wallet.prune_jobs", pass_context=True)
async def prune_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Removes the rows of jobs that finished more than three days ago (one per run)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=72)


def place_events_forever(stop: threading.Event, url: str | None = None) -> None:
    """Places the events committed since the last run on the feed and tells LISTENing
    consumers that it moved, once per interval (the writers neither place nor NOTIFY
    themselves: see wallet_notify_events), on `url` or the worker's DATABASE_URL.
    Reconnects after a lost connection; ends when `stop` is set."""
    interval = SETTINGS.notify_interval_seconds
    seen = None
    while not stop.is_set():
        try:
            with psycopg.connect(url or database_url(), autocommit=True) as conn:
                while not stop.wait(interval):
                    (seen,) = conn.execute("SELECT public.wallet_notify_events(%s)", (seen,)).fetchall()[0]
                    LAST_PLACING.set_to_current_time()
        except psycopg.Error as exc:  # a restart, a failover, a standby that cannot write yet
            log.warning(json.dumps({"worker": "event placer reconnecting", "error": type(exc).__name__}))
            stop.wait(1)

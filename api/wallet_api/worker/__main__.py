"""`python -m wallet_api.worker`: the worker process (see the package's docstring). The
app lives in the package, not here, so that procrastinate finds its tasks under their
module's name."""

import asyncio
import json
import logging
import signal
import sys
import threading
import time

import procrastinate
from prometheus_client import Counter, start_http_server

from wallet_api.worker import (
    QUEUE,
    SCHEMA,
    SETTINGS,
    WEBHOOK_QUEUE,
    app,
    database_url,
    drain_sender,
    log,
    place_events_forever,
)

RESTARTS = Counter("wallet_worker_restarts", "Times the worker lost the database (or a job worker) and started again")
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0  # seconds between reconnection attempts, doubling
STEADY_SECONDS = 60  # a run that lasted this long starts the pauses over


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per webhook request is too many
    serve_metrics()
    stop = threading.Event()
    threading.Thread(target=place_events_forever, args=(stop,), name="event-placer", daemon=True).start()
    try:
        asyncio.run(run_until_stopped())
    finally:
        stop.set()
    log.info(json.dumps({"worker": "stopped"}))
    return 0


def serve_metrics() -> None:
    """/metrics on WALLET_WORKER_METRICS_PORT (default 9102; 0: none). A port that is
    taken is logged and the worker runs without the endpoint, rather than not at all."""
    port, host = SETTINGS.metrics_port, SETTINGS.metrics_host
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.error(json.dumps({"worker": "metrics endpoint off", "port": port, "error": str(exc)}))
        return
    log.info(json.dumps({"worker": "metrics", "url": f"http://{host}:{port}/metrics"}))


async def run_until_stopped() -> None:
    """Runs the job workers until SIGTERM or SIGINT; when they end for any other reason
    (the database went away), waits and starts them again."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    pause = FIRST_PAUSE
    while not stop.is_set():
        started = time.monotonic()
        try:
            await run_job_workers(stop)
            error = None if stop.is_set() else "a job worker stopped"
        except Exception as exc:  # noqa: BLE001 - whatever the database did, try again
            error = f"{type(exc).__name__}: {exc}"[:300]
        if stop.is_set():
            break
        RESTARTS.inc()
        pause = FIRST_PAUSE if time.monotonic() - started > STEADY_SECONDS else min(pause * 2, LONGEST_PAUSE)
        log.warning(json.dumps({"worker": "restarting", "error": error, "in_seconds": pause}))
        try:
            await asyncio.wait_for(stop.wait(), pause)
        except TimeoutError:
            pass
    await drain_sender()


async def run_job_workers(stop: asyncio.Event) -> None:
    """One procrastinate worker per queue on a fresh connection pool, until `stop` is set
    or one of them ends (then the other is stopped too and the caller starts over)."""
    connector = procrastinate.PsycopgConnector(conninfo=database_url(), kwargs={"options": f"-c search_path={SCHEMA}"})
    with app.replace_connector(connector):
        async with app.open_async():
            log.info(json.dumps({"worker": "started", "queues": [QUEUE, WEBHOOK_QUEUE]}))
            workers = [
                asyncio.create_task(app.run_worker_async(queues=[QUEUE], concurrency=1, name="sweeps",
                                                         install_signal_handlers=False, shutdown_graceful_timeout=30)),
                # a delivery run that ends as the next is deferred can miss procrastinate's
                # notification (it clears it after an empty fetch): polling bounds the gap
                # between runs, otherwise up to its default 5 s of no deliveries
                asyncio.create_task(app.run_worker_async(queues=[WEBHOOK_QUEUE], concurrency=1, name="webhooks",
                                                         install_signal_handlers=False, shutdown_graceful_timeout=30,
                                                         fetch_job_polling_interval=0.5)),
            ]  # fmt: skip
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait([*workers, stopped], return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            for task in workers:
                task.cancel()  # procrastinate stops that worker gracefully: its running job finishes
            results = await asyncio.gather(*workers, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)]
    if failures and not stop.is_set():
        raise failures[0]


sys.exit(main())

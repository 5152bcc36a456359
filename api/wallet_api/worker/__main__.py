"""`python -m wallet_api.worker`: the worker process (see the package's docstring). The
app lives in the package, not here, so that procrastinate finds its tasks under their
module's name."""

import json
import logging
import os
import signal
import sys
import threading

import procrastinate
from prometheus_client import start_http_server

from wallet_api.worker import QUEUE, SCHEMA, app, database_url, log, notify_events_forever


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per webhook request is too many
    connector = procrastinate.PsycopgConnector(conninfo=database_url(), kwargs={"options": f"-c search_path={SCHEMA}"})
    # A stop that comes before procrastinate has put its own handlers in place (it puts
    # these back when it returns) ends the process at once: no job has started yet.
    signal.signal(signal.SIGTERM, _stop_before_start)
    signal.signal(signal.SIGINT, _stop_before_start)
    metrics_port = int(os.environ.get("WALLET_WORKER_METRICS_PORT", "9102"))
    if metrics_port:  # 0: none
        start_http_server(metrics_port, addr=os.environ.get("WALLET_WORKER_METRICS_HOST", "127.0.0.1"))
    stop = threading.Event()
    threading.Thread(target=notify_events_forever, args=(stop,), name="event-notifier", daemon=True).start()
    with app.replace_connector(connector):
        log.info(json.dumps({"worker": "started", "queues": [QUEUE]}))
        app.run_worker(queues=[QUEUE], concurrency=2, install_signal_handlers=True)
    stop.set()
    log.info(json.dumps({"worker": "stopped"}))
    return 0


def _stop_before_start(signum, frame) -> None:
    log.info(json.dumps({"worker": "stopped"}))
    os._exit(0)


sys.exit(main())

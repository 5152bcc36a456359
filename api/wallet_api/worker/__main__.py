"""`python -m wallet_api.worker`: the worker process (see the package's docstring). The
app lives in the package, not here, so that procrastinate finds its tasks under their
module's name."""

import json
import logging
import sys

import procrastinate

from wallet_api.worker import QUEUE, SCHEMA, app, database_url, log


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    connector = procrastinate.PsycopgConnector(conninfo=database_url(), kwargs={"options": f"-c search_path={SCHEMA}"})
    with app.replace_connector(connector):
        log.info(json.dumps({"worker": "started", "queues": [QUEUE]}))
        app.run_worker(queues=[QUEUE], install_signal_handlers=True)
    log.info(json.dumps({"worker": "stopped"}))
    return 0


sys.exit(main())

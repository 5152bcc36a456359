"""Serves the API: `python -m wallet_api.serve` (what `make serve`, `make run` and the
Docker image run). granian's WSGI interface by default (`make run` asks for gunicorn, as
the contract names it), the faster of the two servers
measured (bench/RESULTS.md, "HTTP servers"); WALLET_SERVER=gunicorn serves it with
gunicorn's gthread workers instead (api/gunicorn.conf.py).

HOST and PORT (127.0.0.1:8000), WEB_CONCURRENCY worker processes (the CPU count) and
WALLET_THREADS request threads per worker (4; keep WALLET_POOL_MAX_SIZE equal). Each
worker writes its metrics to PROMETHEUS_MULTIPROC_DIR, emptied here before the server
starts, so that a restart begins from zero."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from wallet_api.config import ConfigError, ServerSettings, Settings

CONFIG = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def server_command(settings: ServerSettings) -> list[str]:
    server = settings.server
    if server == "gunicorn":
        return [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "wallet_api.wsgi:app"]
    if server != "granian":
        raise SystemExit(f"WALLET_SERVER must be granian or gunicorn, not {server!r}")
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws",
        "--host", settings.host, "--port", settings.port, "--workers", settings.workers,
        "--blocking-threads", settings.threads,
        "--respawn-failed-workers",  # a worker that dies is replaced, as gunicorn does
        "--workers-kill-timeout", "20",  # on SIGTERM, requests in flight get this long
        "wallet_api.wsgi:app",
    ]  # fmt: skip


def main() -> None:
    try:  # a configuration error is said once here, not by every worker the server starts
        Settings.from_env()
    except ConfigError as exc:
        raise SystemExit(f"wallet_api.serve: {exc}") from None
    settings = ServerSettings.from_env()
    metrics_dir = settings.metrics_dir or os.path.join(tempfile.gettempdir(), f"wallet-metrics-{settings.port}")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # for the server's workers
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, mode=0o700)
    command = server_command(settings)
    os.execv(command[0], command)  # the server gets this process's signals


if __name__ == "__main__":
    main()

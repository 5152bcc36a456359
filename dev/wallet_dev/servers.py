"""The API under its real server (wallet_api.serve: granian, or gunicorn with
WALLET_SERVER=gunicorn) on a free port, for tests and benchmarks."""

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from wallet_dev.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """`python -m wallet_api.serve` on 127.0.0.1:port, its output appended to log_path."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "wallet_api.serve"],
            env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until_healthy(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API server exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.1)
    raise RuntimeError("the API server did not become healthy")


@contextlib.contextmanager
def serving(env: dict, log_path: Path) -> Iterator[str]:
    """The API on a free port while the block runs; yields its base URL."""
    port = free_port()
    proc = start_server(env, port, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)

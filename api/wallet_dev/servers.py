"""The API under a real gunicorn (or granian, for the benchmark) on a free port, for tests
and benchmarks."""

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from wallet_dev.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "api" / "gunicorn.conf.py"), "wallet_api.wsgi:app"],
            env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_granian(env: dict, port: int, log_path: Path, workers: int, threads: int) -> subprocess.Popen:
    """The same app under granian's WSGI interface (the benchmark's comparison)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws", "wallet_api.wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_until_healthy(base: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become healthy")


@contextlib.contextmanager
def serving(env: dict, log_path: Path) -> Iterator[str]:
    """The API under gunicorn on a free port while the block runs; yields its base URL."""
    port = free_port()
    proc = start_gunicorn(env, port, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)

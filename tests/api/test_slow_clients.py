"""Slow clients: 64 connections trickling their headers or body one byte at a time.
Straight at the API's server (1 worker x 4 threads; granian, and gunicorn alike) they
hold every thread and /healthz stops answering; through the buffering proxy of the
Docker path (nginx, docker/nginx.conf) neither /healthz nor a spend is delayed by more
than a second."""

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from wallet_dev.ports import free_port
from wallet_dev.servers import serving

CONF = Path(__file__).resolve().parents[2] / "docker" / "nginx.conf"


class Trickle:
    """`n` connections each sending a request one byte every `gap` seconds: half stall in
    their headers, half in their body."""

    def __init__(self, port: int, n: int, gap: float = 1.0):
        self.port, self.n, self.gap, self.stop = port, n, gap, threading.Event()
        self.threads = [threading.Thread(target=self._one, args=(i,), daemon=True) for i in range(n)]

    def _one(self, i: int) -> None:
        if i % 2:
            request = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"x" * 500
        else:
            request = (b"POST /auth/login HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 600\r\n\r\n" + b" " * 500)  # fmt: skip
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as conn:
                head = request.index(b"\r\n\r\n") + 4 if b"\r\n\r\n" in request else 0
                conn.sendall(request[:head])  # a body trickler sends its headers at once
                for byte in request[head:]:
                    if self.stop.wait(self.gap):
                        return
                    conn.send(bytes([byte]))
        except OSError:
            pass

    def __enter__(self) -> "Trickle":
        for thread in self.threads:
            thread.start()
        time.sleep(3)  # every connection is in and stalling
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()


def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    try:
        outcome: object = call().status_code
    except requests.RequestException as exc:
        outcome = type(exc).__name__
    return time.monotonic() - started, outcome


@pytest.fixture
def nginx_in_front():
    """A real nginx with docker/nginx.conf in front of a given API port."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is needed (apt-get install nginx-light)")
    started: list[tuple[subprocess.Popen, str]] = []

    def _start(upstream_port: int) -> int:
        temp = tempfile.mkdtemp(prefix="wallet-proxy-")
        Path(temp).chmod(0o755)
        port = free_port()
        conf = Path(temp) / "nginx.conf"
        conf.write_text(CONF.read_text().replace("@LISTEN@", f"127.0.0.1:{port}")
                        .replace("@UPSTREAM@", f"127.0.0.1:{upstream_port}").replace("@TEMP@", temp))  # fmt: skip
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", temp, "-g", "daemon off;"],
                                stderr=subprocess.PIPE)  # fmt: skip
        started.append((proc, temp))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return port
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.05)
        raise AssertionError("nginx did not start")

    yield _start
    for proc, temp in started:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(temp, ignore_errors=True)


def test_slow_clients_stall_the_server_but_not_the_proxied_api(server_env, tmp_path, funded_user, api, nginx_in_front,
                                                             report):  # fmt: skip
    user = funded_user(1000)
    game = api.service_token("game")
    env = {**server_env, "WEB_CONCURRENCY": "1", "WALLET_THREADS": "4", "WALLET_TRUSTED_PROXIES": "1"}
    with serving(env, tmp_path / "slow.log") as base:
        port = int(base.rsplit(":", 1)[1])
        with Trickle(port, 64):
            direct, outcome = timed(lambda: requests.get(f"{base}/healthz", timeout=3))
        assert outcome != 200 or direct > 1, "the server alone answered despite them: the test proves nothing"

        proxy = nginx_in_front(port)
        front = f"http://127.0.0.1:{proxy}"
        times = []
        with Trickle(proxy, 64):
            for n in range(10):
                times.append(timed(lambda: requests.get(f"{front}/healthz", timeout=5)))
                body = {"user_id": user, "asset_type_id": 1, "amount": 1, "idempotency_key": f"slow-{n}"}
                times.append(timed(lambda: requests.post(f"{front}/wallet/spend", json=body, timeout=5,  # noqa: B023
                                                         headers={"Authorization": f"Bearer {game}"})))  # fmt: skip
    assert {outcome for _, outcome in times} == {200, 201}, times
    worst = max(seconds for seconds, _ in times)
    assert worst < 1.0, times
    report(
        f"64 slow clients: the server alone /healthz {direct:.1f} s ({outcome}); behind nginx, /healthz and spends "
        f"at most {worst * 1000:.0f} ms"
    )

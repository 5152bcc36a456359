"""A redis-server for `make run`'s rate limits, kept beside the local cluster in .data/
and started and stopped with it: on a unix socket only (mode 0700 folder), nothing
saved to disk. It makes the documented limits hold across the API's server workers, as
a shared store does in production."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


class RedisError(RuntimeError):
    """No redis-server could be started; the message says why."""


class LocalRedis:
    def __init__(self, datadir: Path):
        self.folder = Path(datadir).resolve() / "redis"

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"redis+unix://{self.socket}"

    def _pid(self) -> int | None:
        try:
            pid = int((self.folder / "redis.pid").read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def ensure(self) -> None:
        """Starts it unless it already runs."""
        if self._pid() and self.socket.exists():
            return
        server = shutil.which("redis-server")
        if not server:
            raise RedisError("redis-server is not installed (apt-get install redis-server)")
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        proc = subprocess.run(
            [server, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder), "--daemonize", "yes",
             "--pidfile", str(self.folder / "redis.pid"), "--logfile", str(self.folder / "redis.log")],
            capture_output=True, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if proc.returncode != 0 or time.monotonic() > deadline:
                raise RedisError(f"redis-server did not start: {proc.stderr.strip() or 'see ' + str(self.folder)}")
            time.sleep(0.05)

    def stop(self) -> None:
        if pid := self._pid():
            os.kill(pid, signal.SIGTERM)

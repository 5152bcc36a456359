#!/usr/bin/env python3
"""A PostgreSQL 15 cluster for tests and local runs, started as the `postgres` user
when run as root (the server refuses to run as root).

    bin/pgcluster.py run -- CMD...   throwaway cluster in a temp dir; runs CMD with
                                      DATABASE_URL set, then stops and removes it.
                                      With DATABASE_URL already set, just runs CMD.
    bin/pgcluster.py start DIR       a kept cluster in DIR (made on first use); prints
                                      its DATABASE_URL.
    bin/pgcluster.py stop DIR

CMD also gets WALLET_PGDATA and WALLET_PGBIN so that fault tests can crash and restart
the server (see PgCluster.restart).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

PGBIN = Path(os.environ.get("WALLET_PGBIN", "/usr/lib/postgresql/15/bin"))
DBNAME = "wallet"


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, datadir: Path, pgbin: Path = PGBIN):
        self.datadir = Path(datadir)
        self.pgbin = Path(pgbin)

    @property
    def port(self) -> int:
        return int((self.datadir / "port").read_text())

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DBNAME}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(_as_postgres([str(self.pgbin / args[0]), *args[1:]]),
                              capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def init(self, settings: dict[str, str] | None = None) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
        os.chmod(self.datadir, 0o700)
        self._run("initdb", "-D", str(self.datadir / "pg"), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-locale")
        conf = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": "''",
                "max_connections": "200", **(settings or {})}
        with open(self.datadir / "pg" / "postgresql.conf", "a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        (self.datadir / "port").write_text(str(_free_port()))

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.datadir / "pg"), "status", check=False).returncode == 0

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir / "pg"), "-w", "-t", "60",
                  "-l", str(self.datadir / "pg" / "server.log"),
                  "-o", f"-p {self.port}", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.datadir / "pg"), "-w", "-m", mode, "stop", check=False)

    def restart(self, mode: str = "immediate") -> None:
        """Stops the server (by default as a crash would) and starts it again."""
        self.stop(mode)
        self.start()

    def create_db(self) -> None:
        made = self._run("createdb", "-p", str(self.port), "-h", "127.0.0.1", "-U", "postgres", DBNAME, check=False)
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise RuntimeError(f"createdb failed: {made.stderr.strip()}")

    def ensure(self, settings: dict[str, str] | None = None) -> None:
        if not (self.datadir / "pg" / "PG_VERSION").exists():
            self.init(settings)
        if not self.is_running():
            self.start()
        self.create_db()


def run_throwaway(cmd: list[str]) -> int:
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(cmd)
    tmp = Path(tempfile.mkdtemp(prefix="wallet-pg-"))
    tmp.chmod(0o755)  # the server runs as another user when we are root
    cluster = PgCluster(tmp / "cluster")
    try:
        # fsync off: a throwaway cluster need not survive the machine, only a server crash
        cluster.ensure({"fsync": "off", "full_page_writes": "off"})
        env = {**os.environ, "DATABASE_URL": cluster.url,
               "WALLET_PGDATA": str(cluster.datadir), "WALLET_PGBIN": str(cluster.pgbin)}
        return subprocess.call(cmd, env=env)
    finally:
        cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run" and argv[1] == "--":
        return run_throwaway(argv[2:])
    if len(argv) == 2 and argv[0] == "start":
        cluster = PgCluster(Path(argv[1]).resolve())
        cluster.ensure()
        print(cluster.url)
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        PgCluster(Path(argv[1]).resolve()).stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A PostgreSQL 15 cluster for tests and local runs, started as the `postgres` user
when run as root (the server refuses to run as root).

    python -m wallet_dev.pgcluster run -- CMD...   throwaway cluster in a temp dir; runs
                                                    CMD with DATABASE_URL set, then stops
                                                    and removes it. With DATABASE_URL
                                                    already set, just runs CMD.
    python -m wallet_dev.pgcluster start DIR       a kept cluster for DIR (made on first
                                                    use); prints its DATABASE_URL.
    python -m wallet_dev.pgcluster stop DIR

The cluster listens on 127.0.0.1 only and asks for a password (scram-sha-256); the
password is generated and kept mode 0600 in DIR. When root works in a folder the
`postgres` user cannot enter (a clone under /root, a `mktemp -d` folder), the data
folder lives under the `postgres` user's home instead, and DIR records where.

CMD also gets WALLET_PGDATA and WALLET_PGBIN so that fault tests can crash and restart
the server (see PgCluster.restart).
"""

import hashlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from wallet_dev.ports import free_port

PGBIN = Path(os.environ.get("WALLET_PGBIN", "/usr/lib/postgresql/15/bin"))
DBNAME = "wallet"
SUPERUSER = "postgres"


class ClusterError(RuntimeError):
    """The cluster cannot be made or started; the message says what to do."""


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if _is_root() else cmd


def _postgres_home() -> Path:
    try:
        return Path(pwd.getpwnam("postgres").pw_dir)
    except KeyError:
        raise ClusterError(
            "running as root needs a `postgres` system user to run the server as "
            "(install postgresql-15, or run as an ordinary user)"
        ) from None


def write_as_postgres(path: Path, text: str, append: bool = False) -> None:
    """Writes (or appends to) a file in a folder only the server's user may write."""
    subprocess.run(_as_postgres(["sh", "-c", f"cat {'>>' if append else '>'} '{path}'"]), input=text, text=True,
                   check=True, cwd="/")  # fmt: skip


def _postgres_can_enter(path: Path) -> bool:
    return subprocess.run(_as_postgres(["test", "-x", str(path)]), cwd="/").returncode == 0


class PgCluster:
    """`datadir` belongs to the caller and holds the port, the password and, when the
    server's files live elsewhere, where they are; `pgdata` is the server's own folder."""

    def __init__(self, datadir: Path, pgbin: Path = PGBIN):
        self.datadir = Path(datadir).resolve()
        self.pgbin = Path(pgbin)

    @property
    def _pointer(self) -> Path:
        return self.datadir / "pgdata-path"

    @property
    def pgdata(self) -> Path:
        if self._pointer.exists():
            return Path(self._pointer.read_text().strip())
        return self.datadir / "pg"

    @property
    def port(self) -> int:
        return int((self.datadir / "port").read_text())

    @property
    def password(self) -> str:
        return (self.datadir / "password").read_text().strip()

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{DBNAME}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # cwd "/": the server's user may not be allowed into the caller's folder
        proc = subprocess.run(
            _as_postgres([str(self.pgbin / args[0]), *args[1:]]), capture_output=True, text=True, cwd="/"
        )
        if check and proc.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def _choose_pgdata(self) -> Path:
        """Where a new cluster's files go: in datadir, unless root works in a folder
        the postgres user cannot enter."""
        if not _is_root() or _postgres_can_enter(self.datadir.parent):
            self.datadir.chmod(0o711)  # the server's user passes through; the secrets stay 0600
            pgdata = self.datadir / "pg"
        else:
            name = hashlib.sha256(str(self.datadir).encode()).hexdigest()[:16]
            pgdata = _postgres_home() / "wallet-clusters" / name / "pg"
            if (pgdata / "PG_VERSION").exists():  # orphaned: its DIR, password and all, was removed
                self._run("pg_ctl", "-D", str(pgdata), "-m", "immediate", "stop", check=False)
                shutil.rmtree(pgdata)
            self._pointer.write_text(f"{pgdata}\n")
        try:
            pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
            if _is_root():
                for folder in (pgdata, *pgdata.parents):  # up to the folder that was already there
                    if folder in (self.datadir, _postgres_home()):
                        break
                    shutil.chown(folder, "postgres", "postgres")
        except OSError as exc:
            raise ClusterError(
                f"cannot keep the cluster in {pgdata} ({exc.strerror}); "
                "set DATABASE_URL to a PostgreSQL 15 database instead"
            ) from None
        return pgdata

    def init(self, settings: dict[str, str] | None = None) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.datadir.chmod(0o700)
        pgdata = self._choose_pgdata()
        password = secrets.token_urlsafe(24)
        secret = self.datadir / "password"
        secret.touch(mode=0o600)
        secret.write_text(password + "\n")
        # initdb reads the password from a file its user can open, removed right after
        scratch = Path(tempfile.mkdtemp(prefix="wallet-initdb-"))
        try:
            pwfile = scratch / "pw"
            pwfile.write_text(password)
            if _is_root():
                shutil.chown(scratch, "postgres", "postgres")
                shutil.chown(pwfile, "postgres", "postgres")
            self._run(
                "initdb",
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
            "max_connections": "200",
            **(settings or {}),
        }
        with open(pgdata / "postgresql.conf", "a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        (self.datadir / "port").write_text(str(free_port()))

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.pgdata), "status", check=False).returncode == 0

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.pgdata / "server.log"),
            "-o",
            f"-p {self.port}",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        if (self.pgdata / "PG_VERSION").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-w", "-m", mode, "stop", check=False)

    def restart(self, mode: str = "immediate") -> None:
        """Stops the server (by default as a crash would) and starts it again."""
        self.stop(mode)
        self.start()

    def create_db(self) -> None:
        admin_url = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            # SELECT 1: a row of no columns would come back as (), which reads as none
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DBNAME)))

    def ensure(self, settings: dict[str, str] | None = None) -> None:
        if not (self.pgdata / "PG_VERSION").exists():
            self.init(settings)
        elif not (self.datadir / "password").exists():
            raise ClusterError(
                f"the cluster in {self.datadir} predates password authentication; "
                f"stop it (`make stop-db`) and remove {self.datadir} to start afresh"
            )
        if not self.is_running():
            self.start()
        self.create_db()


def run_throwaway(cmd: list[str]) -> int:
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(cmd)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop and remove the cluster on kill too
    tmp = Path(tempfile.mkdtemp(prefix="wallet-pg-"))
    tmp.chmod(0o755)  # the server runs as another user when we are root
    cluster = PgCluster(tmp / "cluster")
    try:
        # fsync off: a throwaway cluster need not survive the machine, only a server crash
        cluster.ensure({"fsync": "off", "full_page_writes": "off"})
        env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "WALLET_PGDATA": str(cluster.datadir),
            "WALLET_PGBIN": str(cluster.pgbin),
        }
        return subprocess.call(cmd, env=env)
    finally:
        cluster.stop("immediate")
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    try:
        if len(argv) >= 2 and argv[0] == "run" and argv[1] == "--":
            return run_throwaway(argv[2:])
        if len(argv) == 2 and argv[0] == "start":
            cluster = PgCluster(Path(argv[1]))
            cluster.ensure()
            print(cluster.url)
            return 0
        if len(argv) == 2 and argv[0] == "stop":
            PgCluster(Path(argv[1])).stop()
            return 0
    except ClusterError as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

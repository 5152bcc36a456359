"""Backups and point-in-time recovery with pgBackRest (Debian's `pgbackrest`) for a
cluster of wallet_dev.pgcluster: WAL archived continuously, full backups on demand,
restores to a moment into the same folder. Run as the `postgres` user when root.

    python -m wallet_dev.backup setup DIR     WAL archiving on for DIR's cluster (a
                                              restart), the repository in DIR/backup
    python -m wallet_dev.backup backup DIR    a full backup (after setup, if it was not)
    python -m wallet_dev.backup restore DIR TIME   stops the cluster, restores it as it
                                              was at TIME (RFC 3339), starts it
    python -m wallet_dev.backup drill DIR [TIME]   restores TIME (or the latest) into a new
                                              cluster beside it, runs wallet_verify()
                                              there, removes it

`make backup` and `make restore-drill` use them on the local cluster in .data/.
"""

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from wallet_dev.pgcluster import PgCluster, _as_postgres, _is_root, write_as_postgres
from wallet_dev.ports import free_port

STANZA = "wallet"


class Backups:
    def __init__(self, cluster: PgCluster):
        self.cluster = cluster
        self.dir = cluster.pgdata.parent / "backup"  # beside the server's folder: the postgres user's

    @property
    def conf(self) -> Path:
        return self.dir / "pgbackrest.conf"

    @property
    def socket_dir(self) -> Path:
        return self.dir / "socket"

    def run(self, *args: str) -> str:
        proc = subprocess.run(_as_postgres(["pgbackrest", f"--config={self.conf}", f"--stanza={STANZA}", *args]),
                              capture_output=True, text=True, cwd="/")  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"pgbackrest {' '.join(args)} failed: {(proc.stdout + proc.stderr)[-2000:]}")
        return proc.stdout

    def as_postgres(self, *cmd: str, text: str | None = None) -> None:
        subprocess.run(_as_postgres(list(cmd)), input=text, text=True, check=True, cwd="/")

    def setup(self) -> None:
        """The repository and its configuration, the server's socket for pgBackRest,
        archive_command; restarts the server and makes the stanza."""
        self.dir.mkdir(mode=0o700, exist_ok=True)
        if _is_root():
            shutil.chown(self.dir, "postgres", "postgres")
        for folder in ("repo", "log", "lock", "socket"):
            self.as_postgres("mkdir", "-p", "-m", "0700", str(self.dir / folder))
        write_as_postgres(self.conf, (
            "[global]\n"
            f"repo1-path={self.dir / 'repo'}\n"
            "repo1-retention-full=2\n"
            f"log-path={self.dir / 'log'}\n"
            f"lock-path={self.dir / 'lock'}\n"
            "start-fast=y\n"
            "log-level-console=warn\n"
            f"[{STANZA}]\n"
            f"pg1-path={self.cluster.pgdata}\n"
            f"pg1-port={self.cluster.port}\n"
            f"pg1-socket-path={self.socket_dir}\n"
        ))  # fmt: skip
        settings = {
            "unix_socket_directories": f"'{self.socket_dir}'",  # pgBackRest connects through it (peer)
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'pgbackrest --config={self.conf} --stanza={STANZA} archive-push %p'",
            "archive_timeout": "60",
        }
        write_as_postgres(self.cluster.pgdata / "postgresql.conf", "".join(f"{k} = {v}\n" for k, v in settings.items()),
                          append=True)  # fmt: skip
        self.cluster.restart("fast")
        self.run("stanza-create")
        self.run("check")

    def backup(self) -> None:
        if not self.conf.exists():
            self.setup()
        self.run("--type=full", "backup")

    @staticmethod
    def target(at: str) -> list[str]:
        """A restore to `at` that then takes writes; the moment in pgBackRest's form: to
        the millisecond, with +00."""
        moment = datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "+00"
        return ["--type=time", f"--target={moment}", "--target-action=promote"]

    def restore(self, at: str) -> None:
        """The cluster as it was at `at`: stopped, its folder emptied, restored to that
        moment from the last backup and the archived WAL, started (promoted)."""
        self.cluster.stop("fast")
        self.as_postgres("find", str(self.cluster.pgdata), "-mindepth", "1", "-delete")
        self.run(*self.target(at), "restore")
        self.cluster.start()
        wait_promoted(self.cluster.url)

    def drill(self, at: str | None) -> dict[str, int]:
        """Restores the backups to `at` (or, without it, to the end of the archived WAL)
        into a new cluster beside this one (archiving off), starts it on a free port,
        counts its entries and runs wallet_verify(), removes it. The cluster itself is
        untouched. A moment needs WAL after it in the archive (a later commit): PostgreSQL
        refuses to stop short of a target it has not reached."""
        drill = self.dir / "drill"
        self.as_postgres("rm", "-rf", str(drill))
        self.as_postgres("mkdir", "-m", "0700", str(drill))
        self.run(f"--pg1-path={drill}", *(self.target(at) if at else []), "--archive-mode=off", "restore")
        port = free_port()
        pg_ctl = str(self.cluster.pgbin / "pg_ctl")
        options = f"-p {port} -c unix_socket_directories='' -c listen_addresses=127.0.0.1"
        self.as_postgres(pg_ctl, "-D", str(drill), "-o", options, "-w", "-t", "120", "-l", str(self.dir / "drill.log"),
                         "start")  # fmt: skip
        try:
            url = self.cluster.url.replace(f":{self.cluster.port}/", f":{port}/")
            wait_promoted(url)
            with psycopg.connect(url, autocommit=True) as conn:
                (entries,) = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone() or (0,)
                problems = len(conn.execute("SELECT * FROM wallet_verify()").fetchall())
            return {"entries": entries, "verify_rows": problems}
        finally:
            subprocess.run(_as_postgres([pg_ctl, "-D", str(drill), "-m", "fast", "-w", "stop"]), cwd="/",
                           capture_output=True)  # fmt: skip
            self.as_postgres("rm", "-rf", str(drill))


def wait_promoted(url: str, timeout: float = 120) -> None:
    """A restored server answers reads while it replays; done when it has promoted itself."""
    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        if row and not row[0]:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the restored cluster did not finish recovery in {timeout:.0f} s")
        time.sleep(0.2)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] in ("setup", "backup", "restore", "drill"):
        backups = Backups(PgCluster(Path(argv[1])))
        if argv[0] == "setup" and len(argv) == 2:
            backups.setup()
            return 0
        if argv[0] == "backup" and len(argv) == 2:
            backups.backup()
            return 0
        if argv[0] == "restore" and len(argv) == 3:
            backups.restore(argv[2])
            return 0
        if argv[0] == "drill" and len(argv) in (2, 3):
            at = argv[2] if len(argv) == 3 and argv[2] else None
            outcome = backups.drill(at)
            print(f"restore drill to {at or 'the latest'}: {outcome['entries']} entries, "
                  f"wallet_verify() {outcome['verify_rows']} rows")  # fmt: skip
            return 0 if outcome["verify_rows"] == 0 else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

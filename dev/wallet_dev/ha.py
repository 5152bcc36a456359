"""A high-availability PostgreSQL formation on loopback with pg_auto_failover
(`pg_autoctl`, Debian's postgresql-15-auto-failover): a monitor, a primary and a
synchronous standby, each a local pg_autoctl process. For `make ha` and the failover
tests; started as the `postgres` user when run as root.

    python -m wallet_dev.ha start DIR        made on first use (migrated and seeded), then
                                             started; prints the multi-host DATABASE_URL
    python -m wallet_dev.ha stop DIR
    python -m wallet_dev.ha run -- CMD...    a throwaway formation for CMD (DATABASE_URL,
                                             WALLET_HA_DIR set), removed afterwards

Loopback only: every server listens on 127.0.0.1, and connections from it are trusted
(`--auth trust`), as on a developer's machine; never expose these ports. The monitor is
tuned to fail over in seconds (HEALTH below), which on a slow or lossy network would
also fail over when a primary is only slow: production keeps the defaults or close.
"""

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from wallet_dev.pgcluster import _as_postgres, _is_root, _postgres_home, write_as_postgres
from wallet_dev.ports import free_port

PGBIN = Path(os.environ.get("WALLET_PGBIN", "/usr/lib/postgresql/15/bin"))
DBNAME = "wallet"
NODES = ("node1", "node2")
# The monitor's health checks (milliseconds). Defaults: a check every 5 s, a node
# unhealthy after 20 s, a primary's demotion waited for 30 s: about 30 s of refused
# writes when a whole node is lost. These settle it in a few seconds on loopback.
HEALTH = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "2000",
    "pgautofailover.primary_demote_timeout": "1000",
}


class Formation:
    """DIR keeps the ports; the servers' folders are DIR/pg, or under the postgres user's
    home when root works in a folder that user may not enter."""

    def __init__(self, directory: Path):
        self.dir = Path(directory).resolve()

    @property
    def home(self) -> Path:
        if not _is_root():
            return self.dir / "pg"
        return _postgres_home() / "wallet-ha" / hashlib.sha256(str(self.dir).encode()).hexdigest()[:16]

    def pgdata(self, name: str) -> Path:
        return self.home / name

    @property
    def ports(self) -> dict[str, int]:
        return json.loads((self.dir / "ports.json").read_text())

    @property
    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}/pg_auto_failover?sslmode=disable"

    @property
    def url(self) -> str:
        """The URL to give clients: both nodes; libpq finds the one that takes writes."""
        hosts = ",".join(f"127.0.0.1:{self.ports[n]}" for n in NODES)
        return f"postgresql://postgres@{hosts}/{DBNAME}?target_session_attrs=read-write&connect_timeout=2"

    def node_url(self, name: str, dbname: str = DBNAME) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[name]}/{dbname}?connect_timeout=2"

    def _env(self) -> list[str]:
        """pg_autoctl's environment: pg_ctl on PATH, and its own configuration and state
        files kept with the formation (not in the postgres user's home, where a formation
        made earlier at the same path would leave them)."""
        path = f"{PGBIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"
        return ["env", f"PATH={path}", f"XDG_CONFIG_HOME={self.home}/config", f"XDG_DATA_HOME={self.home}/share"]

    def autoctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(_as_postgres([*self._env(), "pg_autoctl", *args]), capture_output=True, text=True,
                              cwd="/")  # fmt: skip
        if check and proc.returncode != 0:
            raise RuntimeError(f"pg_autoctl {' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
        return proc

    def spawn(self, name: str, *args: str) -> None:
        """`pg_autoctl ARGS` in the background, detached, logging to DIR/NAME.log."""
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        proc = subprocess.Popen(_as_postgres([*self._env(), "pg_autoctl", *args]), stdout=log, stderr=log, cwd="/",
                                start_new_session=True)  # fmt: skip
        # its own process group: the node's pg_autoctl services and postgres are all in it
        (self.dir / f"{name}.pgid").write_text(str(proc.pid))

    def states(self) -> dict[str, str]:
        """Each node's reported state, from the monitor."""
        try:
            with psycopg.connect(self.node_url("monitor", "pg_auto_failover"), autocommit=True) as conn:
                rows = conn.execute("SELECT nodename, reportedstate FROM pgautofailover.node").fetchall()
        except psycopg.Error:
            return {}
        return dict(rows)

    def events_since(self, since: float) -> list[tuple[float, str, str, str]]:
        """The monitor's state changes since `since` (Unix time): seconds after it, the
        node, its reported state and the goal the monitor set it."""
        with psycopg.connect(self.node_url("monitor", "pg_auto_failover"), autocommit=True) as conn:
            return conn.execute(
                "SELECT extract(epoch FROM eventtime)::float8 - %s, nodename, reportedstate::text, goalstate::text"
                " FROM pgautofailover.event WHERE eventtime >= to_timestamp(%s) ORDER BY eventid",
                (since, since),
            ).fetchall()

    def wait_for(self, wanted: dict[str, str], timeout: float = 120, checkpoint: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self.states()
            if all(states.get(n) == s for n, s in wanted.items()):
                return
            if checkpoint:
                self.checkpoint(checkpoint)
            time.sleep(1)
        raise RuntimeError(f"the formation did not reach {wanted}: {self.states()}")

    def checkpoint(self, name: str) -> None:
        """A standby being built waits for a checkpoint on its primary: make one now."""
        try:
            with psycopg.connect(self.node_url(name), autocommit=True) as conn:
                conn.execute("CHECKPOINT")
        except psycopg.Error:
            pass

    def revive(self) -> None:
        """Brings back every node whose pg_autoctl is not running (as a standby)."""
        for name in NODES:
            if not self.keeper_pid(name):
                self.rejoin(name)

    def wait_healthy(self, timeout: float = 120) -> None:
        """Until one node is primary and the other its secondary (again)."""
        deadline = time.monotonic() + timeout
        while sorted(self.states().values()) != ["primary", "secondary"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the formation is not healthy: {self.states()}")
            primary = self.primary()
            if primary:
                self.checkpoint(primary)
            time.sleep(1)

    def primary(self) -> str | None:
        """The node that takes writes now, asked of the nodes themselves (the monitor's
        view of a node that just died lags)."""
        for name in NODES:
            try:
                with psycopg.connect(self.node_url(name), autocommit=True) as conn:
                    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                    if row and not row[0]:
                        return name
            except psycopg.Error:
                continue
        return None

    def create(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.home.exists():  # orphaned from an earlier DIR of the same path
            self.kill_all()
            shutil.rmtree(self.home)
        self.home.mkdir(parents=True, mode=0o700)
        if _is_root():
            for folder in (self.home, self.home.parent):
                shutil.chown(folder, "postgres", "postgres")
            shutil.chown(self.dir, "postgres", "postgres")
        (self.dir / "ports.json").write_text(json.dumps({name: free_port() for name in ("monitor", *NODES)}))
        self.autoctl("create", "monitor", "--pgdata", str(self.pgdata("monitor")), "--pgport",
                     str(self.ports["monitor"]), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl")  # fmt: skip
        self.autoctl("config", "set", "--pgdata", str(self.pgdata("monitor")), "postgresql.listen_addresses",
                     "127.0.0.1")  # fmt: skip
        conf = "".join(f"{k} = {v}\n" for k, v in HEALTH.items())
        write_as_postgres(self.pgdata("monitor") / "postgresql.conf", conf, append=True)
        self.start_monitor()
        for name in NODES:
            self.spawn(name, "create", "postgres", "--pgdata", str(self.pgdata(name)), "--pgport",
                       str(self.ports[name]), "--listen", "127.0.0.1", "--hostname", "127.0.0.1", "--auth",
                       "trust", "--no-ssl", "--monitor", self.monitor_uri, "--dbname", DBNAME, "--name", name,
                       "--run")  # fmt: skip
            if name == NODES[0]:  # the first node is the primary: up before the second follows it
                self.wait_for({name: "single"})
        # number_sync_standbys stays 0, the only value pg_auto_failover takes with one
        # standby: while the standby is healthy the primary still commits synchronously to
        # it (synchronous_standby_names 'ANY 1 (...)'); only once the monitor has declared
        # it lost does the primary go on alone (wait_primary). 1 needs two standbys.
        self.wait_for({"node1": "primary", "node2": "secondary"}, checkpoint="node1")

    def start_monitor(self) -> None:
        self.spawn("monitor", "run", "--pgdata", str(self.pgdata("monitor")))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                psycopg.connect(self.node_url("monitor", "pg_auto_failover")).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.5)
        raise RuntimeError("the monitor did not start")

    def start(self) -> None:
        """Starts what is not running of an existing formation."""
        if not self.states():
            self.start_monitor()
        self.revive()
        self.wait_healthy()

    def keeper_pid(self, name: str) -> int | None:
        """The node's pg_autoctl process, if alive."""
        out = subprocess.run(["pgrep", "-f", f"pg_autoctl .*--pgdata {self.pgdata(name)}( |$)"],
                             capture_output=True, text=True)  # fmt: skip
        pids = [int(p) for p in out.stdout.split()]
        return min(pids) if pids else None

    def postmaster_pid(self, name: str) -> int | None:
        try:
            return int((self.pgdata(name) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill_node(self, name: str) -> None:
        """A whole node lost at once: its pg_autoctl processes and its postgres, SIGKILL."""
        postmaster = self.postmaster_pid(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int((self.dir / f"{name}.pgid").read_text()), signal.SIGKILL)
        if postmaster:  # in the group too, unless it was started from elsewhere
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGKILL)

    def pause_node(self, name: str, seconds: float) -> None:
        """A node that stalls without failing: every process of it (pg_autoctl, postgres
        and its backends) SIGSTOPped for `seconds`, then SIGCONT."""
        group = int((self.dir / f"{name}.pgid").read_text())
        os.killpg(group, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.killpg(group, signal.SIGCONT)

    def rejoin(self, name: str) -> None:
        """Brings a lost node back: it follows the new primary (pg_rewind as needed)."""
        self.spawn(name, "run", "--pgdata", str(self.pgdata(name)))

    def stop(self) -> None:
        for name in (*NODES, "monitor"):
            self.autoctl("stop", "--pgdata", str(self.pgdata(name)), check=False)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(self.keeper_pid(n) for n in (*NODES, "monitor")):
            time.sleep(0.5)

    def kill_all(self) -> None:
        subprocess.run(["pkill", "-KILL", "-f", f"pg_autoctl .*--pgdata {self.home}/"])
        subprocess.run(["pkill", "-KILL", "-f", f"postgres -D {self.home}/"])


def prepare(formation: Formation) -> None:
    """The wallet's schema and the development seed, through the primary."""
    from wallet_api.migrate import migrate, seed

    migrate(formation.url)
    seed(formation.url)


def run_throwaway(cmd: list[str]) -> int:
    directory = Path(tempfile.mkdtemp(prefix="wallet-ha-"))
    directory.chmod(0o755)
    formation = Formation(directory)
    try:
        formation.create()
        prepare(formation)
        env = {**os.environ, "DATABASE_URL": formation.url, "WALLET_HA_DIR": str(directory)}
        return subprocess.call(cmd, env=env)
    finally:
        formation.stop()
        formation.kill_all()
        shutil.rmtree(formation.home, ignore_errors=True)
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "run" and argv[1] == "--":
        return run_throwaway(argv[2:])
    if len(argv) == 2 and argv[0] in ("start", "stop"):
        formation = Formation(Path(argv[1]))
        if argv[0] == "stop":
            formation.stop()
            return 0
        if (formation.dir / "ports.json").exists():
            formation.start()
        else:
            formation.create()
            prepare(formation)
        print(formation.url)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

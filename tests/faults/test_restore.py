"""Point-in-time recovery with pgBackRest: a cluster archiving its WAL, a full backup,
top-ups before and after a noted moment, the cluster's folder wiped, a restore to that
moment: exactly the top-ups committed before it come back, nothing after, and
wallet_verify() is clean."""

import shutil
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from wallet_api.migrate import migrate
from wallet_dev.backup import Backups
from wallet_dev.pgcluster import PgCluster


def test_restore_to_a_moment_brings_back_exactly_what_was_committed_before_it(report):
    folder = Path(tempfile.mkdtemp(prefix="wallet-pitr-"))
    folder.chmod(0o755)
    cluster = PgCluster(folder / "cluster")
    try:
        cluster.init()
        cluster.start()
        cluster.create_db()
        migrate(cluster.url)
        backups = Backups(cluster)
        backups.setup()
        user = uuid.uuid4()
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("SELECT wallet_open_account(%s, 'restored')", (user,))
            backups.backup()
            for n in range(30):
                conn.execute("SELECT * FROM wallet_topup(%s, 1, 1, %s)", (user, f"before-{n}"))
            time.sleep(1.1)
            (moment,) = conn.execute("SELECT clock_timestamp()").fetchone()
            (total_before,) = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()
            time.sleep(1.1)
            for n in range(20):
                conn.execute("SELECT * FROM wallet_topup(%s, 1, 1, %s)", (user, f"after-{n}"))
            conn.execute("SELECT pg_switch_wal()")  # the WAL past the moment goes to the archive
            conn.execute("CHECKPOINT")
        time.sleep(2)
        drill = backups.drill(moment.isoformat())  # beside it, leaving it as it is
        started = time.monotonic()
        backups.restore(moment.isoformat())
        took = time.monotonic() - started
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            keys = [k for (k,) in conn.execute(
                "SELECT e.idempotency_key FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
                " WHERE a.user_id = %s ORDER BY e.entry_id", (user,)).fetchall()]  # fmt: skip
            problems = conn.execute("SELECT * FROM wallet_verify()").fetchall()
            in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        assert keys == [f"before-{n}" for n in range(30)]
        assert drill["verify_rows"] == 0 and drill["entries"] == total_before
        assert problems == []
        assert not in_recovery, "the restored cluster takes writes again"
        report(f"pgBackRest restore to a moment: 30 top-ups before it back, 20 after it not, verify clean, "
               f"{took:.1f} s to restore and start; the drill beside it first: {drill['entries']} entries, "
               "verify clean")  # fmt: skip
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.pgdata.parent, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)

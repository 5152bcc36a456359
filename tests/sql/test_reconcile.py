"""The reconciliation command on a crafted set: 400 payments in calls of at most 60 (so in
parts by user), with one of each difference planted among payments that agree; it prints
exactly those and exits 1, and 0 once the records are corrected."""

import csv
import io
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from tests.support import ROOT


def reconcile(db_url: str, start: str, end: str, path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wallet_api.reconcile", "--from", start, "--to", end,
                           "--per-call", "60", str(path)],
                          env={**os.environ, "DATABASE_URL": db_url}, cwd=ROOT / "api",
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_every_kind_of_difference_is_found_across_parts(db_url, connect, tmp_path, report):
    conn = connect()
    start = datetime.now(UTC) - timedelta(seconds=1)
    users = [uuid.uuid4() for _ in range(400)]
    for n, user in enumerate(users):
        conn.execute("SELECT wallet_open_account(%s, 'payer')", (user,))
        if n != 3:  # user 3's payment never became a top-up
            conn.execute("SELECT wallet_topup(%s, 1, %s, %s)", (user, 100 + n, f"pay-{n}"))
    conn.execute("SELECT wallet_refund(%s, 'pay-5', 7, 'refund-5')", (users[5],))
    conn.execute("SELECT wallet_topup(%s, 1, 9, 'pay-extra')", (users[8],))  # no record of it
    end = datetime.now(UTC) + timedelta(seconds=1)
    records = {n: [f"pay-{n}", str(user), 100 + n, 0] for n, user in enumerate(users)}
    records[4][2] = 99  # the provider settled less than the top-up credited
    records[5][3] = 0  # the refund of 7 the ledger has is not in the provider's books
    records[6][3] = 6  # a refund the provider made that the ledger lacks
    path = tmp_path / "settled.csv"

    def write() -> None:
        with path.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["payment_id", "user_id", "amount", "refunded"])
            out.writerows(records.values())

    write()
    done = reconcile(db_url, start.isoformat(), end.isoformat(), path)
    assert done.returncode == 1, done.stderr
    found = {(r["payment_id"], r["issue"], r["expected"], r["found"]) for r in csv.DictReader(io.StringIO(done.stdout))
             if r["user_id"] in {str(u) for u in users}}  # fmt: skip
    assert found == {("pay-3", "missing_topup", "103", ""), ("pay-4", "amount_differs", "99", "104"),
                     ("pay-5", "refund_differs", "0", "7"), ("pay-6", "refund_differs", "6", "0"),
                     ("pay-extra", "unknown_topup", "", "9")}  # fmt: skip

    records[4][2], records[5][3], records[6][3] = 104, 7, 0
    records[400] = ["pay-extra", str(users[8]), 9, 0]
    conn.execute("SELECT wallet_topup(%s, 1, 103, 'pay-3')", (users[3],))
    write()
    again = reconcile(db_url, start.isoformat(), end.isoformat(), path)
    mine = [r for r in csv.DictReader(io.StringIO(again.stdout)) if r["user_id"] in {str(u) for u in users}]
    assert mine == []
    report(f"in calls of at most 60, {done.stderr.strip().splitlines()[-1]}")

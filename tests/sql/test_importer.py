"""The importer on a 100,000-row CSV with bad rows mixed in, SIGKILLed half way and run
again: every good row is posted exactly once, every bad row is refused with its reason in
the refused file, and the ledger verifies."""

import csv
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support import ROOT
from wallet_api.migrate import migrate

ROWS = 100_000
HEADER = ["external_id", "user_id", "name", "asset_type_id", "class", "amount", "expires_at"]
BAD = {  # what makes a row bad, and the refusal it gets
    "class": ("gold", "invalid_request"),
    "amount": ("0", "invalid_amount"),
    "not a number": ("12.5", "invalid_amount"),
    "asset": ("99", "asset_not_found"),
    "no name": ("", "account_not_found"),  # a new user without a name opens no account
}


def write_csv(path, run: str) -> dict[str, tuple[str, int, str | None]]:
    """ROWS rows, about 1% bad; answers external_id -> (user_id, amount, the refusal or None)."""
    rng = random.Random(run)
    expected = {}
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(ROWS):
            ext, user = f"{run}-{i}", str(uuid.UUID(int=rng.getrandbits(128), version=4))
            row = [ext, user, f"Player {i}", "1", rng.choice(("paid", "free")), str(rng.randint(1, 10_000)), ""]
            refusal = None
            if rng.random() < 0.01:
                kind = rng.choice(sorted(BAD))
                value, refusal = BAD[kind]
                column = {"class": 4, "amount": 5, "not a number": 5, "asset": 3, "no name": 2}[kind]
                row[column] = value
            elif i % 7 == 0:
                row[6] = "2099-01-01T00:00:00Z"
            out.writerow(row)
            expected[ext] = (user, int(row[5]) if refusal is None else 0, refusal)
    return expected


def importer(db_url: str, path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "wallet_api.importer", str(path), "--rows-per-call", "5000"],
                            env={**os.environ, "DATABASE_URL": db_url}, cwd=ROOT / "api",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.fixture
def import_database(db_url, admin):
    """A database of its own: 100,000 players would slow every later whole-ledger audit of
    the shared one (wallet_verify() in each step of the state machine)."""
    name = f"import_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = db_url.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            yield url, conn
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.single_database  # one database's view of what was posted, killed mid-call
def test_a_killed_import_run_again_posts_every_good_row_once(import_database, tmp_path, report):
    db_url, admin = import_database
    run = uuid.uuid4().hex[:8]
    path = tmp_path / "players.csv"
    expected = write_csv(path, run)
    good = {ext: v for ext, v in expected.items() if v[2] is None}

    def posted() -> int:
        return admin.execute("SELECT count(*) FROM wallet.ledger_entries WHERE kind = 'import'"
                             " AND idempotency_key LIKE %s", (f"import:{run}-%",)).fetchone()[0]  # fmt: skip

    first = importer(db_url, path)
    deadline = time.monotonic() + 120
    while posted() < ROWS // 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = posted()
    assert 0 < at_kill < len(good), f"killed with {at_kill} of {len(good)} posted"

    started = time.monotonic()
    second = importer(db_url, path)
    out, err = second.communicate(timeout=300)
    seconds = time.monotonic() - started
    assert second.returncode == 1, err  # some rows were refused
    summary = out.strip().splitlines()[-1]
    assert f"{ROWS:,} rows: {len(good) - at_kill:,} posted, {at_kill:,} replayed" in summary, summary

    rows = admin.execute(
        "SELECT substr(e.idempotency_key, 8), a.user_id::text, e.amount FROM wallet.ledger_entries e"
        " JOIN wallet.accounts a USING (account_id) WHERE e.kind = 'import' AND e.idempotency_key LIKE %s",
        (f"import:{run}-%",)).fetchall()  # fmt: skip
    assert len(rows) == len(good)  # each good row once, no bad row
    assert {ext: (user, amount) for ext, user, amount in rows} == {ext: v[:2] for ext, v in good.items()}
    with path.with_suffix(".refused.csv").open(newline="") as f:
        refused = {r["external_id"]: r["error_name"] for r in csv.DictReader(f)}
    assert refused == {ext: v[2] for ext, v in expected.items() if v[2] is not None}
    assert admin.execute("SELECT count(*) FROM wallet_verify()").fetchone() == (0,)
    report(f"importer: {ROWS:,} rows ({len(expected) - len(good)} bad), SIGKILLed at {at_kill:,} posted;"
           f" the re-run in {seconds:.1f} s: {summary.split(': ', 2)[-1]}")  # fmt: skip

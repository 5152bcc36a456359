"""Migrating version-1 data to lots: a database made by the last version-1 schema
(commit V1, before sql/migrations/007_lots.sql) with top-ups, bonuses and spends in
mixed order keeps every balance and entry through `migrate`, and its lots follow the
README's rule: each top-up a paid lot, each bonus a free lot, each spend taking free
credit first, oldest lot first."""

import subprocess
import tarfile
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support import ROOT
from wallet_api import migrate as migrate_module

V1 = "d710a04"  # the last commit of version 1's schema


@pytest.fixture
def v1_database(db_url, admin, tmp_path):
    if subprocess.run(["git", "cat-file", "-e", f"{V1}^{{commit}}"], cwd=ROOT).returncode != 0:
        pytest.fail(f"the version-1 commit {V1} is not in this clone")
    archive = tmp_path / "v1.tar"
    subprocess.run(["git", "archive", "-o", str(archive), V1, "sql"], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "v1", filter="data")
    name = f"v1_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = db_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url, tmp_path / "v1" / "sql"
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_version_1_data_becomes_lots(v1_database, monkeypatch, report):
    url, v1_sql = v1_database
    monkeypatch.setattr(migrate_module, "SQL_DIR", v1_sql)
    migrate_module.migrate(url)
    users = [uuid.uuid4() for _ in range(3)]
    with psycopg.connect(url, autocommit=True) as conn:
        for n, user in enumerate(users):
            conn.execute("SELECT wallet_open_account(%s, 'v1')", (user,))
            # topup 100, spend 30 (paid: no free yet), bonus 50, spend 60 (50 free + 10 paid), topup 20
            for kind, amount, key in [
                ("topup", 100, "t1"),
                ("spend", 30, "s1"),
                ("bonus", 50, "b1"),
                ("spend", 60, "s2"),
                ("topup", 20, "t2"),
                ("bonus", 5 * n + 5, "b2"),
            ]:
                conn.execute(f"SELECT * FROM wallet_{kind}(%s, 1, %s, %s)", (user, amount, key))  # noqa: S608
        before = conn.execute("SELECT account_id, asset_type_id, balance FROM wallet.wallets ORDER BY 1, 2").fetchall()
        entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0]

    monkeypatch.setattr(migrate_module, "SQL_DIR", ROOT / "sql")
    applied = migrate_module.migrate(url)
    assert "007_lots.sql" in applied
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT account_id, asset_type_id, balance FROM wallet.wallets ORDER BY 1, 2").fetchall() \
            == before  # fmt: skip
        assert conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0] == entries
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []
        for n, user in enumerate(users):
            balance = conn.execute("SELECT balance, paid, free FROM wallet_balance(%s) WHERE asset_type_id = 1",
                                   (user,)).fetchone()  # fmt: skip
            assert balance == (85 + 5 * n, 80, 5 * n + 5)
            splits = conn.execute(
                "SELECT idempotency_key, paid_amount, free_amount FROM wallet_history(%s) WHERE kind = 'spend'"
                " ORDER BY entry_id", (user,)).fetchall()  # fmt: skip
            assert splits == [("s1", -30, 0), ("s2", -10, -50)]
        # and the migrated wallets go on working
        row = conn.execute("SELECT balance, paid_amount, free_amount FROM wallet_spend(%s, 1, 10, 's3')",
                           (users[0],)).fetchone()  # fmt: skip
        assert row == (75, 5, 5)
    report(f"version-1 data: {entries} entries over {len(users)} users migrated to lots; balances kept, verify clean")

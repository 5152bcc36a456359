"""Migrating version-1 data to lots: a database at version 1's schema (migrations 001 to
006) holding top-ups, bonuses and spends in mixed order, written as version 1's posting
routine wrote them, keeps every balance and entry through `migrate`, and its lots follow
the README's rule: each top-up a paid lot, each bonus a free lot, each spend taking free
credit first, oldest lot first."""

import shutil
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support import ROOT
from wallet_api import migrate as migrate_module

V1_MIGRATIONS = ["001_roles_and_schema.sql", "002_reference_data.sql", "003_wallets.sql", "004_ledger.sql",
                 "005_credentials.sql", "006_visible_ascii_keys.sql"]  # fmt: skip


@pytest.fixture
def v1_database(db_url, admin, tmp_path):
    v1_sql = tmp_path / "sql"
    (v1_sql / "migrations").mkdir(parents=True)
    (v1_sql / "functions").mkdir()
    for name in V1_MIGRATIONS:
        shutil.copy(ROOT / "sql" / "migrations" / name, v1_sql / "migrations" / name)
    name = f"v1_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = db_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url, v1_sql
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def post_v1(conn: psycopg.Connection, user: uuid.UUID, kind: str, amount: int, key: str) -> None:
    """What version 1's post_entry wrote: one entry against the Treasury, and the cache."""
    account_id, balance = conn.execute(
        "SELECT w.account_id, w.balance FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = %s AND w.asset_type_id = 1", (user,)).fetchone()  # fmt: skip
    new = balance - amount if kind == "spend" else balance + amount
    assert new >= 0
    conn.execute(
        "INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id,"
        " amount, balance_after, idempotency_key)"
        " SELECT %(a)s, 1, %(k)s, CASE WHEN %(k)s = 'spend' THEN %(a)s ELSE t.account_id END,"
        " CASE WHEN %(k)s = 'spend' THEN t.account_id ELSE %(a)s END, %(n)s, %(b)s, %(key)s"
        " FROM wallet.accounts t WHERE t.system_code = 'treasury'",
        {"a": account_id, "k": kind, "n": amount, "b": new, "key": key})  # fmt: skip
    conn.execute("UPDATE wallet.wallets SET balance = %s WHERE account_id = %s AND asset_type_id = 1",
                 (new, account_id))  # fmt: skip


def test_version_1_data_becomes_lots(v1_database, monkeypatch, report):
    url, v1_sql = v1_database
    monkeypatch.setattr(migrate_module, "SQL_DIR", v1_sql)
    assert migrate_module.migrate(url) == V1_MIGRATIONS
    users = [uuid.uuid4() for _ in range(3)]
    with psycopg.connect(url, autocommit=True) as conn:
        for n, user in enumerate(users):
            conn.execute("INSERT INTO wallet.accounts (kind, user_id, name) VALUES ('user', %s, 'v1')", (user,))
            conn.execute("INSERT INTO wallet.wallets (account_id, asset_type_id) SELECT account_id, t.asset_type_id"
                         " FROM wallet.accounts, wallet.asset_types t WHERE user_id = %s", (user,))  # fmt: skip
            # topup 100, spend 30 (paid: no free yet), bonus 50, spend 60 (50 free + 10 paid), topup 20
            for kind, amount, key in [
                ("topup", 100, "t1"),
                ("spend", 30, "s1"),
                ("bonus", 50, "b1"),
                ("spend", 60, "s2"),
                ("topup", 20, "t2"),
                ("bonus", 5 * n + 5, "b2"),
            ]:
                post_v1(conn, user, kind, amount, key)
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

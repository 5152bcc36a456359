"""Migrating hash chains to the metadata-digest form (migration 030): a database at
migration 029, with the functions of the commit that wrote 029, holding chains of every
kind of posting (top-ups with metadata, spends, a hold captured, a transfer and its fee,
an exchange), is migrated; every chain verifies in the new form from the checkpoint of
its old head, the old chains still verify against those heads, and tampering with an
entry written before the migration is found both ways."""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from psycopg import sql

from tests.support import ROOT
from wallet_api import migrate as migrate_module

BEFORE_030 = "d0a05f4"  # the commit that added migration 029: its functions wrote the old form


@pytest.fixture
def database_at_029(db_url, admin, tmp_path):
    old_sql = tmp_path / "sql"
    (old_sql / "migrations").mkdir(parents=True)
    for path in sorted((ROOT / "sql" / "migrations").glob("*.sql")):
        if path.name < "030":
            shutil.copy(path, old_sql / "migrations" / path.name)
    archive = subprocess.run(["git", "archive", BEFORE_030, "sql/functions"], cwd=ROOT, capture_output=True)
    assert archive.returncode == 0, f"needs the repository's history (a clone without --depth): {archive.stderr!r}"
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive.stdout, check=True)
    name = f"chain_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = db_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url, old_sql
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.single_database
def test_old_chains_move_to_the_digest_form_and_keep_their_evidence(database_at_029, monkeypatch, report):
    url, old_sql = database_at_029
    monkeypatch.setattr(migrate_module, "SQL_DIR", old_sql)
    assert "030_metadata_digest_chain.sql" not in migrate_module.migrate(url)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT wallet_set_transfer_policy(1, 'all'), wallet_set_exchange_rate(1, 2, 10, 1)")
        for user, name in ((ann, "Ann"), (bob, "Bob")):
            conn.execute("SELECT wallet_open_account(%s, %s)", (user, name))
            conn.execute("SELECT wallet_topup(%s, 1, 1000, %s, %s)", (user, f"pay-{name}", f'{{"email": "{name}@x"}}'))
        conn.execute("""SELECT wallet_spend(%s, 1, 30, 'buy-1', '{"item": "sword"}')""", (ann,))
        conn.execute(
            "SELECT wallet_capture(%s, (SELECT hold_id FROM wallet_hold(%s, 1, 20, 'h-1')), 'c-1')", (ann, ann)
        )
        conn.execute("SELECT wallet_transfer(%s, %s, 1, 50, 'gift-1', 2)", (ann, bob))
        conn.execute("SELECT wallet_exchange(%s, 1, 2, 10, 'x-1')", (bob,))
        heads = dict(conn.execute(
            "SELECT (w.account_id, w.asset_type_id)::text, w.chain_head FROM wallet.wallets w"
            " WHERE w.chain_head IS NOT NULL").fetchall())  # fmt: skip
        entries = conn.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()[0]
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []

    monkeypatch.setattr(migrate_module, "SQL_DIR", ROOT / "sql")
    assert "030_metadata_digest_chain.sql" in migrate_module.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        checkpoints = dict(conn.execute(
            "SELECT (account_id, asset_type_id)::text, old_head FROM wallet.chain_checkpoints").fetchall())  # fmt: skip
        assert checkpoints == heads  # every wallet's old head, recorded
        moved = conn.execute(
            "SELECT count(*) FROM wallet.wallets w JOIN wallet.chain_checkpoints k"
            " USING (account_id, asset_type_id) WHERE w.chain_head <> k.old_head").fetchone()[0]  # fmt: skip
        assert moved == len(heads)  # and every chain re-hashed in the new form
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []
        conn.execute("SELECT wallet_spend(%s, 1, 5, 'buy-2')", (ann,))  # the chains go on
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []

        conn.execute("SET session_replication_role = replica")  # behind the ledger's guard
        conn.execute(
            """UPDATE wallet.ledger_entries SET metadata = '{"item": "shield"}' WHERE idempotency_key = 'buy-1'"""
        )
        conn.execute("SET session_replication_role = origin")
        found = {row[0] for row in conn.execute("SELECT problem FROM wallet_verify()").fetchall()}
        assert found == {"entry_hash_differs", "chain_checkpoint_differs"}
    report(f"hash chains at migration 029: {entries} entries over {len(heads)} wallets moved to the digest form;"
           f" verify clean, old heads kept as checkpoints, tampering found both ways")  # fmt: skip

"""An erasure request through the operator's command: refused while the person holds
credit; then their name, metadata and credentials are gone, deliveries not yet sent carry
none of it, the chain verifies, and tampering with their entries afterwards, or an
"erasure" of someone else's metadata made behind the functions' backs, is still found."""

import json
import subprocess
import sys

import pytest

from tests.support import ROOT
from wallet_api.credentials import set_credential


def erase(db_url: str, user) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wallet_api.erase_user", str(user), "--by", "dpo@example.com"],
                          env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, cwd=ROOT / "api",
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.single_database  # the owner's command, and tampering behind the functions' backs
def test_an_erasure_request_end_to_end(db_url, connect, admin, new_user, report):
    conn = connect()
    person, other = new_user(), new_user()
    conn.execute("""SELECT wallet_topup(%s, 1, 100, 'pay-1', '{"email": "person@example.com"}')""", (person,))
    conn.execute("""SELECT wallet_topup(%s, 1, 100, 'pay-2', '{"email": "other@example.com"}')""", (other,))
    set_credential(db_url, "user", str(person), "a-long-enough-secret", [])
    admin.execute("SET wallet.webhook_private_targets = 'allow'")
    (subscription,) = admin.execute("SELECT wallet_webhook_subscribe('http://127.0.0.1:9/hook',"
                                    " 'whsec_ZXJhc3VyZS10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWI=')").fetchone()  # fmt: skip
    try:
        check_erasure(db_url, conn, admin, person, other, subscription)
    finally:
        admin.execute("SELECT wallet_webhook_unsubscribe(%s)", (subscription,))
    report(
        "erasure: refused with a balance of 100; then 2 entries' metadata, 1 credential and the name gone,"
        " queued webhooks without metadata, verify clean; tampering afterwards and a forged erasure found"
    )


def check_erasure(db_url, conn, admin, person, other, subscription) -> None:
    refused = erase(db_url, person)
    assert refused.returncode == 1 and "still holds credit" in refused.stderr and "balance: 100" in refused.stderr
    conn.execute("""SELECT wallet_spend(%s, 1, 100, 'buy-1', '{"item": "sword", "name": "Person"}')""", (person,))
    admin.execute("SELECT wallet_notify_events()")  # placed, as the worker's run would
    admin.execute("SELECT wallet_webhook_fan_out()")

    done = erase(db_url, person)
    assert done.returncode == 0, done.stderr
    assert "metadata emptied on 2 entries" in done.stdout and "1 credentials deleted" in done.stdout
    name, status, by = admin.execute("SELECT name, status, status_changed_by FROM wallet.accounts WHERE user_id = %s",
                                     (person,)).fetchone()  # fmt: skip
    assert (name, status, by) == ("", "erased", "dpo@example.com")
    assert admin.execute("SELECT count(*) FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
                         " WHERE a.user_id = %s AND e.metadata <> '{}'", (person,)).fetchone() == (0,)  # fmt: skip
    assert admin.execute("SELECT count(*) FROM wallet.credentials WHERE subject = %s", (str(person),)).fetchone() == (
        0,
    )
    payloads = [
        json.loads(p)
        for (p,) in admin.execute(
            "SELECT payload FROM wallet_webhook_claim(1000, '1 minute', ARRAY(SELECT subscription_id"
            " FROM wallet.webhook_subscriptions WHERE subscription_id <> %s))",
            (subscription,),
        ).fetchall()
    ]
    theirs = [p["data"] for p in payloads if p["data"].get("user_id") == str(person)]
    assert theirs and all(d.get("metadata") in ({}, None) for d in theirs)  # queued before: sent without it
    assert "person@example.com" not in json.dumps(payloads) and "Person" not in json.dumps(theirs)
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []
    again = erase(db_url, person)
    assert again.returncode == 0 and "metadata emptied on 0 entries" in again.stdout
    with pytest.raises(ValueError, match="erased"):  # and they log in no more
        set_credential(db_url, "user", str(person), "a-long-enough-secret", [])

    # behind the ledger's guard: the erased person's amount changed, the other's metadata
    # emptied without the function
    admin.execute("SET session_replication_role = replica")
    of_user = " AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = %s)"
    admin.execute("UPDATE wallet.ledger_entries SET amount = 1 WHERE idempotency_key = 'buy-1'" + of_user, (person,))
    admin.execute(
        "UPDATE wallet.ledger_entries SET metadata = '{}' WHERE idempotency_key = 'pay-2'" + of_user, (other,)
    )
    admin.execute("SET session_replication_role = origin")
    found = admin.execute("SELECT problem, a.user_id FROM wallet_verify() v JOIN wallet.accounts a USING (account_id)"
                          " WHERE v.problem = 'entry_hash_differs'").fetchall()  # fmt: skip
    assert sorted(found) == sorted([("entry_hash_differs", person), ("entry_hash_differs", other)])
    admin.execute("SET session_replication_role = replica")  # put back: the database is shared with other tests
    admin.execute("UPDATE wallet.ledger_entries SET amount = 100 WHERE idempotency_key = 'buy-1'" + of_user, (person,))
    admin.execute("""UPDATE wallet.ledger_entries SET metadata = '{"email": "other@example.com"}'"""
                  " WHERE idempotency_key = 'pay-2'" + of_user, (other,))  # fmt: skip
    admin.execute("SET session_replication_role = origin")
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []

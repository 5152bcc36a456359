"""Previews (p_dry_run) under real concurrent connections: a preview keeps no lock (a
transaction that previewed a spend and stays open does not hold up a real spend on the
same wallet) and claims no key (a real call with the previewed key, made while the
preview's transaction is open, posts at once)."""

import psycopg


def test_a_preview_keeps_no_lock_and_claims_no_key(connect, new_user, report):
    user = new_user(gold=100)
    previewing, real = connect(), connect()
    previewing.execute("BEGIN")
    (entry_id, balance) = previewing.execute(
        "SELECT entry_id, balance FROM wallet_spend(%s, 1, 40, 'pv-key', '{}', true)", (user,)
    ).fetchone()
    assert (entry_id, balance) == (None, 60)
    previewing.execute("SELECT * FROM wallet_hold(%s, 1, 10, 'pv-hold', '1 minute', '{}', true)", (user,))
    real.execute("SET lock_timeout = '1s'")  # a kept lock would fail this, not hang it
    try:
        posted = real.execute("SELECT entry_id, balance FROM wallet_spend(%s, 1, 40, 'pv-key')", (user,)).fetchone()
    except psycopg.errors.LockNotAvailable as exc:
        raise AssertionError("the preview kept a lock") from exc
    finally:
        previewing.execute("COMMIT")
    assert posted[0] is not None and posted[1] == 60
    report("a preview left open: a real spend with its key on the same wallet posted at once (lock_timeout 1 s)")

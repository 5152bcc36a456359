"""A freeze racing spends: 8 clients spend from one user while support freezes it. In
the feed's order (the order of ids drawn under the wallet lock), no spend of that user comes after the freeze: a
spend that waited for the wallet lock the freeze held sees the status, and one that
held the lock first committed before it."""

import threading
import time

import psycopg
import pytest

from tests.sql.test_transfer_concurrency import in_threads


@pytest.mark.single_database  # it reads the feed behind the functions, on the one database
def test_nothing_posts_after_a_freeze_commits(connect, new_user, admin, report):
    user = new_user(gold=100_000)
    stop = threading.Event()
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def spender(i):
        conn = connect()
        k = 0
        while not stop.is_set():
            k += 1
            try:
                conn.execute("SELECT * FROM wallet_spend(%s, 1, 1, %s)", (user, f"race-{i}-{k}"))
                result = "posted"
            except psycopg.Error as exc:
                result = exc.diag.sqlstate
            with lock:
                outcomes[result] = outcomes.get(result, 0) + 1

    def freezer(_):
        time.sleep(0.3)
        connect().execute("SELECT wallet_set_account_status(%s, 'frozen', 'fraud alert')", (user,))
        time.sleep(0.3)
        stop.set()

    in_threads(9, lambda i: freezer(i) if i == 8 else spender(i))
    admin.execute("SELECT wallet_notify_events()")  # placed, as the worker's next run would
    rows = admin.execute(
        "SELECT f.type, f.event_id FROM wallet.feed_events f JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = %s ORDER BY f.event_id",
        (user,),
    ).fetchall()
    frozen_at = next(event_id for kind, event_id in rows if kind == "account.status_changed")
    after = [event_id for kind, event_id in rows if kind == "entry.spend" and event_id > frozen_at]
    report(f"8 clients spending while support freezes the account: {outcomes}; spends placed after it: {len(after)}")
    assert outcomes.get("posted", 0) > 0 and outcomes.get("WA011", 0) > 0, outcomes
    assert set(outcomes) <= {"posted", "WA011"}, outcomes
    assert after == []

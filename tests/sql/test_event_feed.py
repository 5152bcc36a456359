"""The event feed's promise under real concurrency: 16 writers post, hold and capture,
some keeping their transaction open a random while before COMMIT (and some rolling
back), while a consumer LISTENs on wallet_events (placed and notified by
wallet_notify_events every 50 ms; the worker does it every 20) and reads the feed from its last
event_id throughout. In the end it has seen every committed event exactly once, none of
a rolled-back transaction, and each wallet's events in the order of its entries.

To make "committed late" as late as it gets, a test-only deferred trigger makes some
writers sleep inside COMMIT, long after their ids were drawn and later ids were placed:
a placer that did not keep the ids it had not yet seen committed would pass them for
good."""

import random
import threading
import time
from collections import defaultdict

import pytest

from tests.sql.test_concurrency import assert_consistent

WRITERS, ROUNDS = 16, 25


SLOW_COMMIT = """
CREATE FUNCTION wallet.test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('wallet_test.slow_commit', true) = 'on' THEN
        PERFORM pg_sleep(random() * 0.03);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER zz_test_slow_commit AFTER INSERT ON wallet.events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet.test_slow_commit();
CREATE CONSTRAINT TRIGGER zz_test_slow_commit AFTER INSERT ON wallet.ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet.test_slow_commit();
"""


@pytest.fixture
def slow_commits(admin):
    admin.execute(SLOW_COMMIT)
    yield
    admin.execute(
        "DROP TRIGGER zz_test_slow_commit ON wallet.events; DROP TRIGGER zz_test_slow_commit ON wallet.ledger_entries;"
        " DROP FUNCTION wallet.test_slow_commit()"
    )


@pytest.mark.single_database
def test_the_feed_never_misses_an_event_committed_late(connect, new_user, admin, slow_commits, report):
    users = [new_user(gold=100_000) for _ in range(8)]
    (start,) = admin.execute("SELECT wallet_notify_events()").fetchone()  # the users' funding placed before it
    done = threading.Event()
    seen: list[tuple] = []
    notified = 0

    def consume():
        nonlocal notified
        conn = connect()
        conn.execute("LISTEN wallet_events")

        def count(_notify):  # every notification, also those that arrive while a poll runs
            nonlocal notified
            notified += 1

        conn.add_notify_handler(count)
        last = start
        while True:
            finished = done.is_set()  # read before the last poll, so nothing committed after it is missed
            rows = conn.execute(
                "SELECT event_id, type, user_id, asset_type_id, entry_id FROM wallet_events(%s, 1000)", (last,)
            ).fetchall()
            seen.extend(rows)
            if rows:
                last = rows[-1][0]
            elif finished:
                return
            else:
                time.sleep(0.02)  # idle; the next poll also takes in any notification that came

    def write(i):
        rng = random.Random(i)
        conn = connect()
        if i % 2:  # half the writers sleep inside their COMMITs
            conn.execute("SET wallet_test.slow_commit = 'on'")
        conn.autocommit = False
        for r in range(ROUNDS):
            user = rng.choice(users)
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM wallet_spend(%s, 1, 1, %s)", (user, f"w{i}-{r}-spend"))
                if rng.random() < 0.3:
                    cur.execute("SELECT hold_id FROM wallet_hold(%s, 1, 2, %s, '1 minute')", (user, f"w{i}-{r}-h"))
                    (hold_id,) = cur.fetchone()
                    cur.execute("SELECT * FROM wallet_capture(%s, %s, %s, 1)", (user, hold_id, f"w{i}-{r}-c"))
                if rng.random() < 0.3:
                    time.sleep(rng.uniform(0, 0.05))  # committed late, after later positions were read
            if rng.random() < 0.1:
                conn.rollback()
            else:
                conn.commit()

    def notify():
        conn, seen = connect(), 0
        while not done.is_set():
            (seen,) = conn.execute("SELECT wallet_notify_events(%s)", (seen,)).fetchone()
            time.sleep(0.05)

    notifier = threading.Thread(target=notify)
    notifier.start()
    consumer = threading.Thread(target=consume)
    consumer.start()
    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    admin.execute("SELECT wallet_notify_events()")  # the last commits placed, as the worker's next run would
    done.set()
    consumer.join(timeout=60)
    notifier.join(timeout=10)
    assert not consumer.is_alive()

    ours = {str(u) for u in users}
    seen_ours = [row for row in seen if str(row[2]) in ours]
    committed = admin.execute(
        "SELECT f.event_id FROM wallet.event_feed f JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = ANY(%s) AND f.event_id > %s ORDER BY 1",
        (users, start),
    ).fetchall()
    events = admin.execute(  # every event written: event rows, and entries that are their own events
        "SELECT (SELECT count(*) FROM wallet.events e JOIN wallet.accounts a USING (account_id)"
        "        WHERE a.user_id = ANY(%(u)s) AND e.type <> 'entry.topup')"
        "     + (SELECT count(*) FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
        "        WHERE a.user_id = ANY(%(u)s) AND e.kind <> 'topup' AND e.held_after IS NOT NULL)",
        {"u": users},
    ).fetchone()[0]
    ids = [row[0] for row in seen_ours]
    assert len(ids) == len(set(ids)), "an event was read twice"
    assert ids == [row[0] for row in committed], "the consumer missed committed events"
    assert len(ids) == events, "an event has no feed position"
    by_wallet = defaultdict(list)
    for _, kind, user, asset, entry_id in seen_ours:
        if kind.startswith("entry."):
            by_wallet[(user, asset)].append(entry_id)
    assert all(entries == sorted(entries) for entries in by_wallet.values()), "a wallet's events out of entry order"
    assert notified > 0
    assert_consistent(connect())
    report(f"feed: {len(ids)} events from {WRITERS} writers (some committing late, some rolling back) read once each, "
           f"in entry order per wallet; {notified} notifications")  # fmt: skip


def test_a_consumer_in_an_open_transaction_does_not_hold_up_writers(connect, new_user):
    user = new_user(gold=10)
    reader = connect()
    reader.autocommit = False
    reader.execute("SELECT * FROM wallet_events(0, 1)")  # and the transaction stays open
    writer = connect()
    writer.execute("SET lock_timeout = '2s'")  # a commit waiting on the feed's lock fails instead
    assert writer.execute("SELECT balance FROM wallet_spend(%s, 1, 1, 'while-reading')", (user,)).fetchone() == (9,)
    reader.rollback()


@pytest.mark.single_database
def test_an_id_open_through_many_placings_is_placed_when_it_commits_and_a_rolled_back_one_is_let_go(
    connect, new_user, admin
):
    user = new_user(gold=10)
    admin.execute("SELECT wallet_notify_events()")
    late, gone = connect(), connect()
    late.autocommit = gone.autocommit = False
    (late_entry,) = late.execute("SELECT entry_id FROM wallet_spend(%s, 1, 1, 'late')", (user,)).fetchone()
    (gone_entry,) = gone.execute("SELECT entry_id FROM wallet_topup(%s, 2, 1, 'gone')", (user,)).fetchone()
    later = new_user(gold=3)  # drawn and committed after both
    for _ in range(3):
        admin.execute("SELECT wallet_notify_events()")

    def placed(entry_id):
        return admin.execute("SELECT event_id FROM wallet.event_feed WHERE entry_id = %s", (entry_id,)).fetchone()

    def holes():
        return set(admin.execute("SELECT holes FROM wallet.feed_placer").fetchone()[0])

    assert placed(late_entry) is None and {late_entry, gone_entry} <= holes(), "open: kept as holes"
    (later_position,) = admin.execute(
        "SELECT max(f.event_id) FROM wallet.event_feed f JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = %s",
        (later,),
    ).fetchone()
    assert later_position is not None, "what committed meanwhile is placed past them"
    gone.rollback()
    late.commit()
    admin.execute("SELECT wallet_notify_events()")
    (late_position,) = placed(late_entry)
    assert late_position > later_position, "placed once committed, after what was placed before"
    assert placed(gone_entry) is None
    assert not {late_entry, gone_entry} & holes(), "every drawer of the rolled back id has ended: it is let go"
    read = [row[0] for row in connect().execute("SELECT entry_id FROM wallet_events(%s)", (later_position,))]
    assert late_entry in read


@pytest.mark.single_database
def test_without_the_worker_a_reader_places_what_it_reads_next_time(connect, new_user, admin):
    user = new_user(gold=10)
    (start,) = admin.execute("SELECT wallet_notify_events()").fetchone()
    reader = connect()
    (entry,) = reader.execute("SELECT entry_id FROM wallet_spend(%s, 1, 1, 'no-worker')", (user,)).fetchone()
    admin.execute("UPDATE wallet.feed_placer SET placed_at = now() - interval '1 minute'")  # no placer for a minute
    assert [r[0] for r in reader.execute("SELECT entry_id FROM wallet_events(%s)", (start,))] == [], (
        "the reader answers only positions committed before it asked"
    )
    assert [r[0] for r in reader.execute("SELECT entry_id FROM wallet_events(%s)", (start,))] == [entry]

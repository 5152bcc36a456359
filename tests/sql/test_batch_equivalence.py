"""wallet_post_batch against the single-posting functions: random batches on one set of
users, the same postings one call at a time on their twins, and every outcome, balance,
entry and lot compared. The batch posts most accounts set-at-a-time and hands unusual
ones (malformed items, a key used twice, holds, debt, expired credit) to the posting
routine item by item; both paths must answer exactly what single calls answer."""

import json
import random
import time
import uuid
from datetime import timedelta

import psycopg
import pytest

from tests.sql.test_concurrency import assert_consistent

USERS = 6
ROUNDS = 40
SINGLE = {
    "topup": "SELECT balance, replayed, paid_amount, free_amount FROM wallet_topup(%s, %s, %s, %s, %s, %s)",
    "bonus": "SELECT balance, replayed, paid_amount, free_amount FROM wallet_bonus(%s, %s, %s, %s, %s, %s)",
    "spend": "SELECT balance, replayed, paid_amount, free_amount FROM wallet_spend(%s, %s, %s, %s, %s)",
}
# malformed items and what the batch answers for them; the ones a single call can be
# given too are compared with it like any other item
MALFORMED = [
    ({"amount": "5"}, "invalid_amount", False),
    ({"amount": 0}, "invalid_amount", True),
    ({"amount": 1.5}, "invalid_amount", False),
    ({"idempotency_key": "a key"}, "invalid_request", True),
    ({"metadata": [1]}, "invalid_request", True),
    ({"kind": "steal"}, "invalid_request", False),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "invalid_request", True),
    ({"expires_at": "soon"}, "invalid_request", False),
]


def spellings(user_id: uuid.UUID) -> list[str]:
    return [str(user_id), str(user_id).upper(), "{" + user_id.hex + "}"]


def make_batch(rng, rnd, users, used, plain):
    """Items over the users: mostly well-formed, replays and reused keys among them; only
    the users not in `plain` also get malformed items and a key used twice in the batch."""
    items = []
    for j in range(rng.randint(1, 60)):
        u = rng.randrange(USERS)
        asset = rng.choice((1, 2))
        kind = rng.choice(("topup", "bonus", "spend", "spend"))
        item = {
            "kind": kind,
            "user": u,
            "asset_type_id": asset,
            "amount": rng.randint(1, 40),
            "idempotency_key": f"r{rnd}-{j}",
            "metadata": {"n": j},
        }
        roll = rng.random()
        if roll < 0.15 and used[u]:
            item.update(rng.choice(used[u]))  # the same request again: a replay, or its key reused
        elif roll < 0.25 and used[u]:
            item["idempotency_key"] = rng.choice(used[u])["idempotency_key"]
        if kind != "spend" and rng.random() < 0.3:
            item["expires_in"] = rng.choice((2.5, 3600.0))
        if u not in plain:
            if rng.random() < 0.1:
                change, item["expect"], item["single"] = rng.choice(MALFORMED)
                item.update(change)
                if "expires_at" in change:
                    item.pop("expires_in", None)
            elif rng.random() < 0.1 and items:
                same = [i for i in items if i["user"] == u]
                if same:
                    item["idempotency_key"] = same[-1]["idempotency_key"]
        items.append(item)
    return items


def as_json(item, users, now, rng, short_deadline):
    """Short-lived credit expires at the phase's deadline, one moment for all of it, which
    no round straddles (the test waits it out); once it is too near, credit lives long."""
    body = {k: v for k, v in item.items() if k not in ("user", "expires_in", "expect", "single")}
    body["user_id"] = rng.choice(spellings(users[item["user"]]))
    if "expires_in" in item:
        short = item["expires_in"] < 60 and short_deadline - now > timedelta(seconds=ROUND_MARGIN)
        body["expires_at"] = (short_deadline if short else now + timedelta(hours=1)).isoformat()
    return body


def wait_out(admin, deadline) -> None:
    """Sleeps past the deadline when a round could reach it: no lot may expire between a
    batch and the single calls it is compared with."""
    now = admin.execute("SELECT clock_timestamp()").fetchone()[0]
    if deadline - timedelta(seconds=ROUND_MARGIN) < now < deadline + timedelta(seconds=0.1):
        time.sleep((deadline - now).total_seconds() + 0.1)


ROUND_MARGIN = 1.5  # seconds: longer than a round (a batch and its single calls) takes, even through the router


def single_call(conn, item, user_id, body):
    """The item as one call of the single-posting function; (balance, replayed, paid,
    free) or the error's name."""
    args = [user_id, item["asset_type_id"], item["amount"], item["idempotency_key"], json.dumps(item["metadata"])]
    if item["kind"] != "spend":
        args.append(body.get("expires_at"))
    elif "expires_at" in body:
        return "invalid_request"  # the single spend takes no expiry
    try:
        return conn.execute(SINGLE[item["kind"]], args).fetchone()
    except psycopg.Error as exc:
        # through the router, PL/Proxy puts "<function>: [<shard>] REMOTE ERROR: " first
        return exc.diag.message_primary.rpartition("REMOTE ERROR: ")[2].split(":")[0]


def lots_of(admin, user_id):
    return admin.execute(
        """SELECT l.asset_type_id, l.class, l.amount, l.remaining, l.expires_at FROM wallet.lots l
           JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s ORDER BY l.lot_id""",
        (user_id,),
    ).fetchall()


def entries_of(admin, user_id):
    return admin.execute(
        """SELECT e.kind, e.asset_type_id, e.amount, e.balance_after, e.idempotency_key, e.paid_amount,
                  e.free_amount, cardinality(e.lot_ids), e.lot_amounts, e.metadata - 'lot_id'
           FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = %s ORDER BY e.entry_id""",
        (user_id,),
    ).fetchall()


def events_of(admin, user_id):
    """Each wallet's events in order (a batch writes one wallet's events before the next
    wallet's, single calls interleave them; only each wallet's order is promised)."""
    admin.execute("SELECT wallet_notify_events()")  # placed, as the worker's next run would
    return admin.execute(
        """SELECT v.type, v.asset_type_id, v.amount, v.balance, v.available, v.paid, v.free, v.held,
                  v.idempotency_key
           FROM wallet.feed_events v JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = %s ORDER BY v.asset_type_id, v.event_id""",
        (user_id,),
    ).fetchall()


def posted_item_by_item(conn) -> int:
    """Calls of the posting routine this session has not yet reported (the statistics of
    its current transaction, and of recent ones not yet flushed)."""
    return conn.execute(
        "SELECT coalesce(sum(calls), 0)::int FROM pg_stat_xact_user_functions WHERE funcname = 'post_entry'"
    ).fetchone()[0]


@pytest.fixture
def batch_conn(db_url):
    """wallet_service, counting PL/pgSQL calls, so a test can tell which path posted."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET track_functions = 'pl'")
        conn.execute("SET ROLE wallet_service")
        yield conn


def test_batches_answer_what_single_calls_answer(batch_conn, connect, admin, behind, target, report):
    rng = random.Random(20261202)
    single = connect()
    batched = [uuid.uuid4() for _ in range(USERS)]
    twins = [uuid.uuid4() for _ in range(USERS)]
    for user_id in batched + twins:
        single.execute("SELECT wallet_open_account(%s, 'batch twin')", (user_id,))
    used = [[] for _ in range(USERS)]
    items_total = slow_total = 0

    deadline = admin.execute("SELECT clock_timestamp() + interval '2.5 seconds'").fetchone()[0]
    for rnd in range(ROUNDS):
        if rnd in (12, 26):  # short-lived credit has expired: those wallets post item by item
            now = admin.execute("SELECT clock_timestamp()").fetchone()[0]
            time.sleep(max(0.0, (deadline - now).total_seconds() + 0.1))
            deadline = admin.execute("SELECT clock_timestamp() + interval '2.5 seconds'").fetchone()[0]
        wait_out(admin, deadline)
        if rnd in (14, 28):  # until the expiry sweep has posted it
            while admin.execute("SELECT lots_expired + holds_expired FROM wallet_expire()").fetchone()[0]:
                pass
        if rnd == 18:  # a hold and a refund into debt on the same twins of both sides
            for users in (batched, twins):
                single.execute("SELECT * FROM wallet_bonus(%s, 1, 5, 'fund-18')", (users[0],))
                single.execute("SELECT * FROM wallet_hold(%s, 1, 3, 'hold-18', '1 hour')", (users[0],))
                topup = next((i for i in used[1] if i["kind"] == "topup"), None)
                if topup:
                    single.execute(
                        "SELECT * FROM wallet_refund(%s, %s, %s, 'refund-18', 'debt')",
                        (users[1], topup["idempotency_key"], topup["amount"]),
                    )
        plain = set(rng.sample(range(USERS), USERS - 1))
        items = make_batch(rng, rnd, batched, used, plain)
        if rnd in (18, 19):  # a hold's key is no new request: the whole batch goes item by item
            items.append(
                {
                    "kind": "spend",
                    "user": 0,
                    "asset_type_id": 2,
                    "amount": 1,
                    "idempotency_key": "hold-18",
                    "metadata": {},
                }
            )
        now = admin.execute("SELECT now()").fetchone()[0]
        bodies = [as_json(item, batched, now, rng, deadline) for item in items]

        with batch_conn.transaction():
            before = posted_item_by_item(batch_conn)
            outcomes = batch_conn.execute(
                "SELECT item, balance, replayed, paid_amount, free_amount, error_name FROM wallet_post_batch(%s)",
                (json.dumps(bodies, default=str),),
            ).fetchall()
            slow = posted_item_by_item(batch_conn) - before
        items_total += len(items)
        slow_total += slow

        # the same postings one at a time, each wallet's in item order
        order = sorted(range(len(items)), key=lambda k: (items[k]["user"], items[k]["asset_type_id"], k))
        for k in order:
            item, (number, balance, replayed, paid, free, error) = items[k], outcomes[k]
            assert number == k + 1
            got = error if error else (balance, replayed, paid, free)
            if "expect" in item and not item["single"]:
                assert got == item["expect"], (rnd, item, got)
                continue
            expected = single_call(single, item, twins[item["user"]], bodies[k])
            assert got == expected, (rnd, k, item, bodies[k])
            if not error and not replayed:
                used[item["user"]].append(
                    {key: item[key] for key in ("kind", "asset_type_id", "amount", "idempotency_key")}
                )

        for a, b in zip(batched, twins, strict=True):
            assert (
                single.execute("SELECT * FROM wallet_balance(%s)", (a,)).fetchall()
                == single.execute("SELECT * FROM wallet_balance(%s)", (b,)).fetchall()
            ), rnd

    for a, b in zip(batched, twins, strict=True):
        assert entries_of(behind.of(a), a) == entries_of(behind.of(b), b)
        assert lots_of(behind.of(a), a) == lots_of(behind.of(b), b)
        assert events_of(behind.of(a), a) == events_of(behind.of(b), b)
    assert_consistent(single)
    if target == "router":  # the shards' sessions are the router's, not this one: nothing to count here
        report(f"batch = single calls through the router: {ROUNDS} batches, {items_total} items")
        return
    # both paths were taken: most items set-at-a-time, the unusual ones item by item
    assert 0 < slow_total < items_total * 0.6, (slow_total, items_total)
    report(f"batch = single calls: {ROUNDS} batches, {items_total} items, {slow_total} posted item by item")

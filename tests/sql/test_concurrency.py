"""The wallet functions under real concurrent connections (pgTAP cannot commit
mid-test): no double spend, one application per key, and a bank of random traffic
whose acknowledged calls add up exactly."""

import random
import threading
import time
import uuid
from collections import Counter, defaultdict

import psycopg
import pytest

SPEND = "SELECT entry_id, balance, replayed FROM wallet_spend(%s, %s, %s, %s)"


def run_at_once(n, connect, call):
    """Runs call(conn, i) on n threads, each with its own connection, released together;
    returns each call's result or the SQLSTATE of its error."""
    conns = [connect() for _ in range(n)]
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = call(conns[i], i)
        except psycopg.Error as exc:
            results[i] = exc.diag.sqlstate

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def balance_of(conn, user_id, asset_id=1):
    return conn.execute(
        "SELECT balance FROM wallet_balance(%s) WHERE asset_type_id = %s", (user_id, asset_id)
    ).fetchone()[0]


def history(conn, user_id):
    """Every entry of the user, walking wallet_history's pages to the end."""
    entries, before = [], None
    while True:
        page = conn.execute(
            "SELECT entry_id, idempotency_key FROM wallet_history(%s, p_before_id => %s, p_limit => 200)",
            (user_id, before),
        ).fetchall()
        entries += page
        if len(page) < 200:
            return entries
        before = page[-1][0]


def assert_consistent(conn):
    assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []


def test_simultaneous_spends_never_overdraw(connect, new_user, report):
    start, amount, n = 1000, 30, 50
    user = new_user(gold=start)
    results = run_at_once(n, connect, lambda c, i: c.execute(SPEND, (user, 1, amount, f"s{i}")).fetchone())
    ok = [r for r in results if isinstance(r, tuple)]
    refused = Counter(r for r in results if not isinstance(r, tuple))
    report(f"{n} simultaneous spends of {amount} from {start}: {len(ok)} succeeded, {dict(refused)} refused")
    assert len(ok) == start // amount
    assert refused == {"WA006": n - start // amount}, "every refusal is insufficient_funds"
    conn = connect()
    assert balance_of(conn, user) == start - len(ok) * amount
    assert sorted(r[1] for r in ok) == [start - k * amount for k in range(len(ok), 0, -1)], (
        "each success saw the balance left by the one before"
    )
    assert_consistent(conn)


def test_simultaneous_calls_with_one_key_apply_once(connect, new_user, report):
    user = new_user(gold=500)
    n = 50
    results = run_at_once(n, connect, lambda c, i: c.execute(SPEND, (user, 1, 7, "same-key")).fetchone())
    assert all(isinstance(r, tuple) for r in results), results
    entries = {r[0] for r in results}
    replays = sum(r[2] for r in results)
    report(f"{n} simultaneous spends with one key: {len(entries)} entry, {replays} replays")
    assert len(entries) == 1 and replays == n - 1
    assert {r[1] for r in results} == {493}, "every replay returns the first call's balance"
    conn = connect()
    assert balance_of(conn, user) == 493
    assert len([e for e in history(conn, user) if e[1] == "same-key"]) == 1


def test_one_key_raced_for_different_requests_is_refused(connect, new_user, report):
    user = new_user()
    n = 20

    def call(c, i):  # half top up GOLD, half POINTS, all with one key
        return c.execute(
            "SELECT entry_id, balance, replayed FROM wallet_topup(%s, %s, 5, 'contested')", (user, 1 + i % 2)
        ).fetchone()

    results = run_at_once(n, connect, call)
    ok = [r for r in results if isinstance(r, tuple)]
    refused = Counter(r for r in results if not isinstance(r, tuple))
    report(f"{n} racing calls, one key, two assets: {len({r[0] for r in ok})} entry, {dict(refused)} refused")
    assert len({r[0] for r in ok}) == 1 and len(ok) == n // 2
    assert refused == {"WA005": n // 2}, "the losing request is idempotency_key_reused, never a second entry"
    assert_consistent(connect())


def test_bank_of_random_traffic_adds_up(connect, new_user, report):
    """8 clients x 300 random top-ups, bonuses and spends over a few users; every call is
    sent twice with its key, as a client that lost the answer would."""
    clients, ops_per_client = 8, 300
    users = [new_user() for _ in range(4)]
    expected = defaultdict(int)  # (user, asset) -> sum of acknowledged calls
    acknowledged_keys = defaultdict(set)  # user -> keys of acknowledged calls
    lock = threading.Lock()
    tally = Counter()

    def client(conn, i):
        rng = random.Random(i)
        for n in range(ops_per_client):
            kind = rng.choice(["topup", "bonus", "spend", "spend"])
            user, asset, amount = rng.choice(users), rng.choice([1, 2]), rng.randint(1, 100)
            key = f"bank-{i}-{n}-{uuid.uuid4()}"
            first = None
            for attempt in range(2):
                try:
                    row = conn.execute(
                        f"SELECT entry_id, balance, replayed FROM wallet_{kind}(%s, %s, %s, %s)",
                        (user, asset, amount, key),
                    ).fetchone()
                except psycopg.Error as exc:
                    assert exc.diag.sqlstate == "WA006", exc
                    with lock:
                        tally["insufficient_funds"] += 1
                    break
                if attempt == 0:
                    first = row
                    with lock:
                        expected[(user, asset)] += -amount if kind == "spend" else amount
                        acknowledged_keys[user].add(key)
                        tally["acknowledged"] += 1
                else:
                    assert row == (first[0], first[1], True), "the retry replays the first answer"
                    with lock:
                        tally["replayed"] += 1

    started = time.monotonic()
    run_at_once(clients, connect, client)
    elapsed = time.monotonic() - started
    conn = connect()
    assert_consistent(conn)
    for user in users:
        for asset in (1, 2):
            assert balance_of(conn, user, asset) == expected[(user, asset)]
            assert balance_of(conn, user, asset) >= 0
    for user in users:
        keys = [key for _, key in history(conn, user)]
        assert sorted(keys) == sorted(acknowledged_keys[user]), "each acknowledged call is in the ledger exactly once"
    report(
        f"bank {clients}x{ops_per_client}: {tally['acknowledged']} acknowledged, {tally['replayed']} replayed, "
        f"{tally['insufficient_funds']} insufficient, 0 lost, 0 duplicated, {elapsed:.1f} s"
    )
    assert tally["acknowledged"] + tally["insufficient_funds"] == clients * ops_per_client
    assert tally["replayed"] == tally["acknowledged"]


@pytest.mark.single_database
def test_one_key_raced_by_batches_and_single_calls(connect, new_user, admin, report):
    """A single call on one wallet of an account claims a key and holds its transaction
    open; a batch for the account's other wallet (a lock it does not share) reads the key
    as free and meets it at its insert. When the single call commits, the batch posts
    item by item instead and refuses the key; when it rolls back, the batch's entry
    stands. One entry per key, no error escaping, the other items posted either way."""
    import json

    rounds, outcomes = 20, Counter()
    for r in range(rounds):
        user, other = new_user(gold=100), new_user(gold=100)
        key, commits = f"race-{r}", r % 4 != 3
        batch = [
            {"kind": "topup", "user_id": str(user), "asset_type_id": 1, "amount": 5, "idempotency_key": key},
            {"kind": "spend", "user_id": str(other), "asset_type_id": 1, "amount": 5, "idempotency_key": f"ok-{r}"},
        ]

        def call(c, i, batch=batch, user=user, key=key, commits=commits):
            if i == 0:
                time.sleep(0.05)  # after the single call has claimed the key
                rows = c.execute("SELECT error_name FROM wallet_post_batch(%s::jsonb)", (json.dumps(batch),))
                return tuple(row[0] or "posted" for row in rows)
            c.execute("BEGIN")
            c.execute("SELECT entry_id FROM wallet_topup(%s, 2, 5, %s)", (user, key))
            time.sleep(0.3)
            c.execute("COMMIT" if commits else "ROLLBACK")
            return "committed" if commits else "rolled back"

        batch_result, single_result = run_at_once(2, connect, call)
        assert batch_result[1] == "posted", "the other account's item posts either way"
        outcomes[(single_result, batch_result[0])] += 1
        entries = admin.execute(
            "SELECT count(*) FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
            " WHERE a.user_id = %s AND e.idempotency_key = %s",
            (user, key),
        ).fetchone()[0]
        assert entries == 1
    report(f"a batch meeting a key a single call holds x {rounds}: {dict(outcomes)}")
    assert outcomes == {("committed", "idempotency_key_reused"): 15, ("rolled back", "posted"): 5}
    assert_consistent(connect())


def test_concurrent_batches_in_opposite_orders(connect, new_user, report):
    """Batches naming the same wallets in opposite orders: wallet_post_batch locks them in
    one order, so none deadlocks, and every item lands once."""
    import json

    users = [new_user(gold=1_000) for _ in range(4)]
    clients, batches = 8, 25

    def client(conn, i):
        outcomes = Counter()
        for n in range(batches):
            items = [
                {
                    "kind": "topup" if (i + k) % 2 else "spend",
                    "user_id": str(u),
                    "asset_type_id": 1,
                    "amount": 1,
                    "idempotency_key": f"batch-{i}-{n}-{k}",
                }
                for k, u in enumerate(users)
            ]
            if i % 2:
                items.reverse()
            for row in conn.execute("SELECT error_name FROM wallet_post_batch(%s::jsonb)", (json.dumps(items),)):
                outcomes[row[0] or "posted"] += 1
        return outcomes

    results = run_at_once(clients, connect, client)
    assert all(isinstance(r, Counter) for r in results), results
    total = sum(results, Counter())
    report(f"{clients} clients x {batches} batches of 4 over the same wallets in opposite orders: {dict(total)}")
    assert total == {"posted": clients * batches * len(users)}
    conn = connect()
    assert sum(balance_of(conn, u) for u in users) == 4 * 1_000, "as many top-ups as spends of 1"
    assert_consistent(conn)


@pytest.mark.single_database
def test_batches_lock_by_uuid_value_whatever_its_spelling(connect, new_user, admin):
    """Regression: wallets were locked in the order of the user id's text, so
    '{1...}' (braced) sorted after 'f...' while '1...' sorted before it, and two batches
    naming the same wallets could deadlock. Made to happen deterministically: B's wallet
    is held while the first batch starts, so each batch stops at its first lock."""
    import json

    low = new_user(gold=100)
    while str(low) >= "f":
        low = new_user(gold=100)
    high = new_user(gold=100)
    while str(high) < "f":
        high = new_user(gold=100)
    braced_low = "{" + str(low).upper() + "}"  # sorts after 'f...' as text

    def batch(conn, *users, tag):
        items = [{"kind": "topup", "user_id": u, "asset_type_id": 1, "amount": 1, "idempotency_key": f"{tag}-{n}"}
                 for n, u in enumerate(users)]  # fmt: skip
        return [r[0] for r in conn.execute("SELECT error_name FROM wallet_post_batch(%s::jsonb)", (json.dumps(items),))]

    results, errors = {}, []

    def run(name, *users):
        try:
            results[name] = batch(connect(), *users, tag=f"{name}-{uuid.uuid4()}")
        except Exception as exc:  # noqa: BLE001 - a deadlock is what this test looks for
            errors.append(exc)

    with admin.transaction():
        admin.execute(
            "SELECT 1 FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)"
            " WHERE a.user_id = %s AND w.asset_type_id = 1 FOR UPDATE", (high,))  # fmt: skip
        first = threading.Thread(target=run, args=("first", str(high), braced_low))
        first.start()
        time.sleep(0.5)
        second = threading.Thread(target=run, args=("second", str(low), str(high)))
        second.start()
        time.sleep(0.5)
    first.join(30)
    second.join(30)
    assert errors == [], errors
    assert results == {"first": [None, None], "second": [None, None]}
    conn = connect()
    assert (balance_of(conn, low), balance_of(conn, high)) == (102, 102)
    assert_consistent(conn)


def test_simultaneous_spends_over_twenty_lots_add_up(connect, new_user, behind, report):
    """50 spends at once over a wallet of 20 lots (paid and free, some expiring): every
    unit is taken once, from the lots in spend order, and the splits add up."""
    user = new_user()
    conn = connect()
    for n in range(20):
        kind = "topup" if n % 2 else "bonus"
        expires = f"now() + interval '{n + 1} days'" if n % 3 == 0 else "NULL"
        conn.execute(f"SELECT * FROM wallet_{kind}(%s, 1, 50, %s, '{{}}', {expires})", (user, f"lot-{n}"))  # noqa: S608
    results = run_at_once(
        50,
        connect,
        lambda c, i: c.execute(
            "SELECT paid_amount, free_amount FROM wallet_spend(%s, 1, 23, %s)", (user, f"spend-{i}")
        ).fetchone(),
    )
    taken = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    assert len(taken) == 1000 // 23 and set(refused) == {"WA006"}
    paid, free = sum(p for p, _ in taken), sum(f for _, f in taken)
    assert paid + free == 23 * len(taken)
    assert free == 500, "free credit goes first, all of it before any paid"
    remaining = (
        behind.of(user)
        .execute(
            "SELECT sum(remaining), count(*) FILTER (WHERE remaining > 0) FROM wallet.lots l"
            " JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s",
            (user,),
        )
        .fetchone()
    )
    assert remaining[0] == 1000 - 23 * len(taken) == balance_of(conn, user)
    assert_consistent(conn)
    report(
        f"50 simultaneous spends of 23 over 20 lots: {len(taken)} took {paid} paid + {free} free, "
        f"{len(refused)} insufficient, {remaining[1]} lots left open"
    )


def test_expiry_racing_spends(connect, new_user, behind, report):
    """wallet_expire() sweeping while spends run on the same wallets: every unit is spent
    or expired exactly once, never both."""
    users = [new_user() for _ in range(4)]
    conn = connect()
    for user in users:
        conn.execute("SELECT * FROM wallet_topup(%s, 1, 100, 'keep')", (user,))
        for n in range(5):
            conn.execute(
                "SELECT * FROM wallet_bonus(%s, 1, 60, %s, '{}', now() + interval '1 hour')", (user, f"promo-{n}")
            )
    # The promotions' hour passes while the spends below are taking their credit: two
    # spenders a wallet, 7 every 10 ms at the most, cannot take its 300 free in 150 ms.
    for home in behind.all:
        home.execute(
            "UPDATE wallet.lots l SET expires_at = now() + interval '150 milliseconds' FROM wallet.accounts a"
            " WHERE a.account_id = l.account_id AND a.user_id = ANY(%s) AND l.class = 'free'",
            (users,),
        )
        home.execute(
            "UPDATE wallet.wallets w SET next_expiry = now() + interval '150 milliseconds'"
            " FROM wallet.accounts a WHERE a.account_id = w.account_id AND a.user_id = ANY(%s)",
            (users,),
        )

    def act(c, i):
        if i < 2:
            expired = 0
            for _ in range(30):
                expired += c.execute("SELECT lots_expired FROM wallet_expire(3)").fetchone()[0]
                time.sleep(0.02)
            return ("expired", expired)
        spent = 0
        for n in range(25):
            try:
                c.execute("SELECT * FROM wallet_spend(%s, 1, 7, %s)", (users[i % 4], f"race-{i}-{n}"))
                spent += 7
            except psycopg.Error as exc:
                if exc.sqlstate != "WA006":
                    raise
            time.sleep(0.01)
        return ("spent", spent)

    results = run_at_once(10, connect, act)
    assert all(isinstance(r, tuple) for r in results), results
    expired_lots = sum(n for kind, n in results if kind == "expired")
    spent = sum(n for kind, n in results if kind == "spent")
    totals: Counter = Counter()
    for kind, amount in behind.rows(
        "SELECT e.kind, sum(e.amount) FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = ANY(%s) AND e.kind IN ('spend', 'expire') GROUP BY 1",
        (users,),
    ):
        totals[kind] += amount
    assert totals.get("spend", 0) == spent
    balances = sum(balance_of(conn, u) for u in users)
    assert spent + totals.get("expire", 0) + balances == 4 * 400, "every unit spent, expired or still there, once"
    assert totals.get("expire", 0) > 0 and spent > 0, "expiry and spends both took credit"
    assert_consistent(conn)
    report(f"expiry racing spends: {spent} spent, {totals.get('expire', 0)} expired in {expired_lots} lots")

"""Transfers and exchanges under real concurrent connections: users giving to each other
in both directions at once never deadlock (wallets are locked in (account, asset)
order) and every unit is in exactly one wallet or the Treasury's fees afterwards;
exchanges racing spends on the same wallets add up too. On one database: through the
router both users must share a shard, and this is about how one database orders its
locks."""

import random
import threading
from collections import Counter

import psycopg
import pytest

from tests.sql.test_concurrency import assert_consistent

TRANSFER = "SELECT entry_id FROM wallet_transfer(%s, %s, 2, %s, %s, %s)"
EXCHANGE = "SELECT entry_id FROM wallet_exchange(%s, 1, 2, %s, %s)"
SPEND = "SELECT entry_id FROM wallet_spend(%s, %s, %s, %s)"


@pytest.fixture
def operator_settings(admin):
    """Sets what a test needs of the operator's policies and rates, and puts back what
    was there (the dev seed's) afterwards."""
    policies = admin.execute("SELECT asset_type_id, transfer_policy FROM wallet_assets()").fetchall()
    rates = admin.execute("SELECT * FROM wallet_exchange_rates()").fetchall()
    yield admin
    admin.execute("DELETE FROM wallet.exchange_rates")
    for rate in rates:
        admin.execute("SELECT wallet_set_exchange_rate(%s, %s, %s, %s)", rate)
    for policy in policies:
        admin.execute("SELECT wallet_set_transfer_policy(%s, %s)", policy)


def in_threads(count, work) -> None:
    """Runs work(i) for i in 0..count-1, each on a thread of its own, and waits for all."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def balances(conn, users, asset):
    rows = conn.execute(
        "SELECT sum(b.balance) FROM unnest(%s::uuid[]) u (user_id) CROSS JOIN LATERAL wallet_balance(u.user_id) b"
        " WHERE b.asset_type_id = %s",
        (users, asset),
    ).fetchone()
    return rows[0]


@pytest.mark.single_database
def test_transfers_both_ways_never_deadlock_and_add_up(connect, new_user, operator_settings, report):
    operator_settings.execute("SELECT wallet_set_transfer_policy(2, 'all')")
    users = [new_user(points=500) for _ in range(6)]
    clients, per_client = 12, 40
    outcomes: Counter = Counter()
    fees = [0] * clients
    lock = threading.Lock()

    def client(i):
        conn = connect()
        rng = random.Random(i)
        for k in range(per_client):
            a, b = rng.sample(users, 2)  # each pair taken in both directions by different clients
            amount, fee = rng.randint(1, 60), rng.choice((0, 0, 1, 2))
            try:
                conn.execute(TRANSFER, (a, b, amount, f"t-{i}-{k}", fee))
                result = "moved"
                fees[i] += fee
            except psycopg.Error as exc:
                result = exc.diag.sqlstate
            with lock:
                outcomes[result] += 1

    in_threads(clients, client)
    conn = connect()
    report(f"{clients} clients x {per_client} transfers among 6 users, both ways: {dict(outcomes)}")
    assert set(outcomes) <= {"moved", "WA006"}, outcomes  # no deadlock (40P01), nothing else
    assert outcomes["moved"] > clients * per_client // 2
    assert balances(conn, users, 2) == 6 * 500 - sum(fees), "every unit is in a wallet or paid as a fee"
    assert_consistent(conn)


@pytest.mark.single_database
def test_exchanges_racing_spends_add_up(connect, new_user, operator_settings, report):
    operator_settings.execute("SELECT wallet_set_exchange_rate(1, 2, 3, 2)")  # 2 GOLD buy 3 POINTS
    user = new_user(gold=1000)
    clients = 10
    done = Counter()
    lock = threading.Lock()

    def client(i):
        conn = connect()
        for k in range(20):
            try:
                if (i + k) % 2:
                    conn.execute(EXCHANGE, (user, 7, f"x-{i}-{k}"))
                    result = "exchanged"
                else:
                    asset = 2 if k % 3 else 1
                    conn.execute(SPEND, (user, asset, 5, f"s-{i}-{k}"))
                    result = f"spent {'POINTS' if asset == 2 else 'GOLD'}"
            except psycopg.Error as exc:
                result = exc.diag.sqlstate
            with lock:
                done[result] += 1

    in_threads(clients, client)
    conn = connect()
    report(f"{clients} clients exchanging GOLD into POINTS and spending both on one user: {dict(done)}")
    assert set(done) <= {"exchanged", "spent GOLD", "spent POINTS", "WA006"}, done
    assert balances(conn, [user], 1) == 1000 - 7 * done["exchanged"] - 5 * done["spent GOLD"]
    assert balances(conn, [user], 2) == 10 * done["exchanged"] - 5 * done["spent POINTS"], "7 GOLD buy floor(10.5)"
    assert_consistent(conn)

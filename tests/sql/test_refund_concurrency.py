"""Refunds and reversals under real concurrent connections: a refund racing spends ends
in one of the serial orders, simultaneous partial refunds never exceed their top-up, and
refunds and reversals racing on one wallet never deadlock."""

import threading

from tests.sql.test_concurrency import assert_consistent, balance_of, run_at_once

REFUND = "SELECT entry_id, balance, replayed, recovered, unrecovered FROM wallet_refund(%s, %s, %s, %s, %s)"
REVERSE = "SELECT entry_id, balance, replayed FROM wallet_reverse_spend(%s, %s, %s, %s)"
SPEND = "SELECT entry_id, balance, replayed FROM wallet_spend(%s, %s, %s, %s)"


def test_a_refund_racing_spends_is_one_of_the_serial_orders(connect, new_user, report):
    user = new_user(gold=1000)  # its top-up's key is fund-gold

    def call(conn, i):
        if i == 0:
            return conn.execute(REFUND, (user, "fund-gold", 1000, "chargeback", "clamp")).fetchone()
        return conn.execute(SPEND, (user, 1, 100, f"buy-{i}")).fetchone()

    results = run_at_once(11, connect, call)
    refund, spends = results[0], results[1:]
    spent = sum(1 for r in spends if isinstance(r, tuple))
    assert all(isinstance(r, tuple) or r == "WA006" for r in spends)
    recovered, unrecovered = refund[3], refund[4]
    # the refund came after exactly `spent` spends: it recovered the rest, the later ones found nothing
    assert (recovered, unrecovered) == (1000 - 100 * spent, 100 * spent)
    conn = connect()
    assert balance_of(conn, user) == 0
    assert_consistent(conn)
    report(f"refund of 1000 racing 10 spends of 100: {spent} spends before it, recovered {recovered}, balance 0")


def test_simultaneous_partial_refunds_never_exceed_the_topup(connect, new_user, report):
    user = new_user(gold=100)
    results = run_at_once(
        20, connect, lambda conn, i: conn.execute(REFUND, (user, "fund-gold", 7, f"part-{i}", "clamp")).fetchone()
    )
    refunded = [r for r in results if isinstance(r, tuple)]
    assert len(refunded) == 14 and results.count("WA008") == 6
    conn = connect()
    assert balance_of(conn, user) == 100 - 14 * 7
    assert_consistent(conn)
    report(f"20 simultaneous refunds of 7 of a 100 top-up: {len(refunded)} refunded, {results.count('WA008')} exceeds")


def test_refunds_and_reversals_racing_on_one_wallet_never_deadlock(connect, new_user, report):
    user = new_user(gold=1000)
    setup = connect()
    rounds = 20
    for i in range(rounds):
        setup.execute("SELECT * FROM wallet_topup(%s, 1, 10, %s)", (user, f"pay-{i}"))
        setup.execute(SPEND, (user, 1, 5, f"buy-{i}"))
    conns = [connect(), connect()]
    outcomes: list = []
    lock = threading.Lock()

    def refund(i):
        try:
            row = conns[0].execute(REFUND, (user, f"pay-{i}", 5, f"rf-{i}", "debt")).fetchone()
        except Exception as exc:  # noqa: BLE001 (the outcome is what is checked)
            row = getattr(getattr(exc, "diag", None), "sqlstate", repr(exc))
        with lock:
            outcomes.append(row)

    def reverse(i):
        try:
            row = conns[1].execute(REVERSE, (user, f"buy-{i}", 5, f"rv-{i}")).fetchone()
        except Exception as exc:  # noqa: BLE001
            row = getattr(getattr(exc, "diag", None), "sqlstate", repr(exc))
        with lock:
            outcomes.append(row)

    for i in range(rounds):  # the two arrive in one order, then the other
        first, second = (refund, reverse) if i % 2 else (reverse, refund)
        threads = [threading.Thread(target=first, args=(i,)), threading.Thread(target=second, args=(i,))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    failures = [o for o in outcomes if not isinstance(o, tuple)]
    assert failures == []
    conn = connect()
    assert balance_of(conn, user) == 1000 + rounds * (10 - 5 - 5 + 5)
    assert_consistent(conn)
    report(f"{rounds} refund/reversal pairs on one wallet, both orders: {len(outcomes)} done, 0 deadlocks")

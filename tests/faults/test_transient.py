"""Transient failures: the API retries a whole call (never a statement) on 40001/40P01
and on a dropped connection, a bounded number of times; wallets touched in opposite
orders never deadlock."""

import random
import threading
from collections import Counter

import psycopg
import pytest
import requests

from wallet_api.config import Settings
from wallet_api.db import MAX_ATTEMPTS, Database

# Fails with the given SQLSTATE on its first p_failures calls. Sequences are not
# transactional, so the count survives the failed attempts' rollbacks.
FLAKY = """
CREATE SEQUENCE IF NOT EXISTS public.flaky_calls;
CREATE OR REPLACE FUNCTION public.flaky(p_sqlstate text, p_failures int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE v_n bigint := nextval('public.flaky_calls');
BEGIN
    IF v_n <= p_failures THEN
        RAISE EXCEPTION 'injected %', p_sqlstate USING ERRCODE = p_sqlstate;
    END IF;
    RETURN v_n;
END $$;
"""


@pytest.fixture
def database(db_url, admin):
    admin.execute(FLAKY)
    db = Database(Settings(database_url=db_url, jwt_secret_key="x" * 32))
    yield db
    db.close()
    admin.execute("DROP FUNCTION public.flaky(text, int); DROP SEQUENCE public.flaky_calls")


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_whole_call_is_retried_on_serialization_failure_and_deadlock(database, admin, sqlstate, report):
    admin.execute("SELECT setval('public.flaky_calls', 1, false)")
    assert database.call("SELECT public.flaky(%s, 2) AS n", (sqlstate,)) == [{"n": 3}], (
        "two failures, then the third attempt answers"
    )
    admin.execute("SELECT setval('public.flaky_calls', 1, false)")
    with pytest.raises(psycopg.OperationalError) as raised:
        database.call("SELECT public.flaky(%s, 1000) AS n", (sqlstate,))
    attempts = admin.execute("SELECT last_value FROM public.flaky_calls").fetchone()[0]
    report(f"{sqlstate}: fails twice -> answered on attempt 3; fails always -> {attempts} attempts, then the error")
    assert raised.value.sqlstate == sqlstate, "after MAX_ATTEMPTS the error reaches the caller (a 503)"
    assert attempts == MAX_ATTEMPTS


def test_dropped_connections_are_retried_and_apply_once(api, funded_user, admin, report):
    user = funded_user()
    token = api.service_token("payments")
    statuses = Counter()
    for n in range(20):
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'wallet-api'"
        ).fetchone()[0]
        r = requests.post(
            f"{api.base}/wallet/topup",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            json={"user_id": user, "asset_type_id": 1, "amount": 1, "payment_id": f"drop-{n}"},
        )
        statuses[r.status_code] += 1
        statuses["API connections killed"] += killed
    entries = admin.execute(
        "SELECT count(*) FROM wallet.ledger_entries WHERE idempotency_key LIKE 'drop-%%'"
        " AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = %s)",
        (user,),
    ).fetchone()[0]
    report(f"20 top-ups, every pooled API connection killed before each: {dict(statuses)}; {entries} entries")
    assert statuses[201] == 20 and entries == 20
    assert api.balance(user) == 20


def test_opposite_orders_never_deadlock(connect, new_user, report):
    users = [new_user(gold=10_000, points=10_000) for _ in range(2)]
    wallets = [(u, a) for u in users for a in (1, 2)]
    clients, per_client = 10, 100
    errors, lock = Counter(), threading.Lock()

    def client(i):
        conn = connect()
        order = wallets if i % 2 == 0 else list(reversed(wallets))
        rng = random.Random(i)
        for n in range(per_client):
            user, asset = order[n % len(order)]
            kind = rng.choice(["topup", "spend"])
            try:
                conn.execute(f"SELECT * FROM wallet_{kind}(%s, %s, 1, %s)", (user, asset, f"o-{i}-{n}"))
            except psycopg.Error as exc:
                with lock:
                    errors[exc.sqlstate] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report(
        f"{clients * per_client} concurrent postings over 4 wallets in opposite orders: "
        f"{errors.get('40P01', 0)} deadlocks, other errors {dict(errors)}"
    )
    assert errors == Counter()
    assert connect().execute("SELECT * FROM wallet_verify()").fetchall() == []

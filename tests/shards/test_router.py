"""The PL/Proxy router over 4 shards (docs/sharding.md): every public function has a
routed twin, users spread evenly, a user's rows stay on their shard, the shards stay
consistent under concurrent traffic, the one feed misses nothing, and the API serves
through the router unchanged. The contract's SQL-level suite (tests/sql) runs through
the router as well."""

import json
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict

import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg import sql

from tests.support import ALICE, Api, Behind
from tests.worker.test_webhooks import Receiver
from wallet_api.credentials import revoke_credential, set_credential, set_database_login
from wallet_api.webhook_admin import main as webhooks_command
from wallet_dev.ports import free_port
from wallet_dev.servers import serving

SIGNATURES = """
    SELECT p.proname::text, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
           ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) a
                 WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner AND a.grantee <> 0 ORDER BY 1)
    FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\\_%'
    ORDER BY 1
"""
ROUTER_ONLY = {"wallet_complete_transfers"}


def test_every_public_function_has_a_routed_twin_with_the_same_signature(router_url, shards):
    with psycopg.connect(router_url) as conn:
        routed = conn.execute(SIGNATURES).fetchall()
        languages = dict(
            conn.execute(
                "SELECT p.proname::text, l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
                " WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\\_%'"
            ).fetchall()
        )
    single = shards[0].execute(SIGNATURES).fetchall()
    assert any(name == "wallet_spend" for name, *_ in single)
    # name, arguments with their defaults, result and who may execute it: all the same,
    # besides the router's own (the worker's completion of transfers between shards)
    assert [row for row in routed if row[0] not in ROUTER_ONLY] == single
    assert {row[0] for row in routed} >= ROUTER_ONLY
    # each twin is PL/Proxy, or SQL over PL/Proxy functions that combine the shards' answers
    assert set(languages.values()) <= {"plproxy", "sql", "plpgsql"}
    assert sum(lang == "plproxy" for lang in languages.values()) >= 15


def test_users_spread_across_the_shards_within_ten_percent_of_even(router, shards, report):
    users = [uuid.uuid5(uuid.NAMESPACE_URL, f"wallet-spread-{i}") for i in range(4000)]
    with router.pipeline():
        for user_id in users:
            router.execute("SELECT wallet_open_account(%s, 'spread')", (user_id,))
    counts = [
        conn.execute("SELECT count(*) FROM wallet.accounts WHERE user_id = ANY(%s)", (users,)).fetchone()[0]
        for conn in shards
    ]
    report(f"4,000 users over 4 shards: {counts}")
    assert sum(counts) == len(users)
    assert all(abs(c - 1000) <= 100 for c in counts), counts


def test_a_users_rows_are_all_on_their_shard(router, shards, shard_of):
    user_id = uuid.uuid4()
    router.execute("SELECT wallet_open_account(%s, 'placed')", (user_id,))
    router.execute("SELECT * FROM wallet_topup(%s, 1, 500, 'pay-1')", (user_id,))
    router.execute("SELECT * FROM wallet_bonus(%s, 1, 100, 'bonus-1', '{}', now() + interval '1 day')", (user_id,))
    router.execute("SELECT * FROM wallet_spend(%s, 1, 150, 'spend-1')", (user_id,))
    (hold_id,) = router.execute("SELECT hold_id FROM wallet_hold(%s, 1, 50, 'hold-1')", (user_id,)).fetchone()
    router.execute("SELECT * FROM wallet_capture(%s, %s, 'capture-1')", (user_id, hold_id))
    router.execute("SELECT * FROM wallet_refund(%s, 'pay-1', 100, 'refund-1')", (user_id,))
    router.execute("SELECT * FROM wallet_reverse_spend(%s, 'spend-1', 20, 'reversal-1')", (user_id,))
    rows = {
        table: [
            conn.execute(
                f"SELECT count(*) FROM wallet.{table} t JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s",
                (user_id,),
            ).fetchone()[0]
            for conn in shards
        ]
        for table in ("wallets", "ledger_entries", "lots", "holds", "events")
    }
    home = shard_of(user_id)
    for table, counts in rows.items():
        assert counts[home] > 0 and sum(counts) == counts[home], (table, counts, home)
    # and the router answers from there: the balance is what the home shard holds
    balance = router.execute("SELECT balance FROM wallet_balance(%s) WHERE asset_type_id = 1", (user_id,)).fetchone()
    assert balance == (500 + 100 - 150 - 50 - 100 + 20,)


def test_a_routed_call_opens_a_connection_to_its_users_shard_only(router_url, shards, shard_of):
    """What a routed call costs does not grow with the shards: a router session connects
    to a shard when it first calls one of its users, and to no other (bench/shards.py
    measures the CPU time it takes, docs/sharding.md says where it goes)."""
    users: dict[int, uuid.UUID] = {}
    with psycopg.connect(router_url, autocommit=True) as setup:
        while len(users) < 2:
            user = uuid.uuid4()
            setup.execute("SELECT wallet_open_account(%s, 'one shard')", (user,))
            users.setdefault(shard_of(user), user)
    (since,) = shards[0].execute("SELECT clock_timestamp()").fetchone()

    def opened() -> list[int]:
        return [
            conn.execute(
                "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND backend_start > %s AND pid <> pg_backend_pid()",
                (since,),
            ).fetchone()[0]
            for conn in shards
        ]

    with psycopg.connect(router_url, autocommit=True) as conn:
        conn.execute("SET ROLE wallet_service")
        expected = [0] * len(shards)
        for shard, user in users.items():
            for _ in range(3):
                conn.execute("SELECT * FROM wallet_balance(%s)", (user,)).fetchall()
            expected[shard] = 1
            assert opened() == expected, f"calls for a user of shard {shard}"


def test_verify_is_clean_on_every_shard_after_concurrent_traffic(router_url, router, shards, report):
    users = [uuid.uuid4() for _ in range(24)]
    for user_id in users:
        router.execute("SELECT wallet_open_account(%s, 'busy')", (user_id,))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with psycopg.connect(router_url, autocommit=True) as conn:
            conn.execute("SET ROLE wallet_service")
            for i in range(60):
                user_id, asset = rng.choice(users), rng.choice((1, 2))
                kind = rng.choice(("wallet_topup", "wallet_bonus", "wallet_spend", "wallet_spend"))
                key = f"k{rng.randrange(40)}" if rng.random() < 0.2 else f"c{seed}-{i}"
                try:
                    if rng.random() < 0.15:
                        items = [
                            {"kind": "spend", "user_id": str(rng.choice(users)), "asset_type_id": asset,
                             "amount": rng.randint(1, 30), "idempotency_key": f"b{seed}-{i}-{n}"}
                            for n in range(8)
                        ]  # fmt: skip
                        conn.execute("SELECT * FROM wallet_post_batch(%s)", (psycopg.types.json.Jsonb(items),))
                        result = "batch"
                    else:
                        conn.execute(f"SELECT * FROM {kind}(%s, %s, %s, %s)", (user_id, asset, rng.randint(1, 50), key))
                        result = "posted"
                except psycopg.Error as exc:
                    result = exc.diag.sqlstate or "?"
                with lock:
                    outcomes[result] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report(f"8 clients x 60 calls through the router: {dict(outcomes)}")
    assert outcomes["posted"] > 100 and set(outcomes) <= {"posted", "batch", "WA005", "WA006"}
    assert router.execute("SELECT * FROM wallet_verify()").fetchall() == []
    # each shard proves itself, conservation against its own Treasury included
    for conn in shards:
        assert conn.execute("SELECT * FROM wallet_verify()").fetchall() == []


def feed_end(conn: psycopg.Connection) -> int:
    """The last event_id the router's feed answers now, read to its end."""
    after = 0
    while rows := conn.execute("SELECT event_id FROM wallet_events(%s, 1000)", (after,)).fetchall():
        after = rows[-1][0]
    return after


def test_the_one_feed_through_the_router_misses_nothing_and_keeps_each_wallets_order(router_url, router, report):
    router.execute("SELECT wallet_notify_events()")  # earlier tests' events taken, as the worker's run would
    start = feed_end(router)
    users = [uuid.uuid4() for _ in range(16)]
    for user_id in users:
        router.execute("SELECT wallet_open_account(%s, 'feed')", (user_id,))
    written: dict[uuid.UUID, list[int]] = defaultdict(list)
    done = threading.Event()
    lock = threading.Lock()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        with psycopg.connect(router_url, autocommit=True) as conn:
            conn.execute("SET ROLE wallet_service")
            for i in range(50):
                user_id = rng.choice(users)
                (entry_id,) = conn.execute(
                    "SELECT entry_id FROM wallet_topup(%s, 1, 5, %s)", (user_id, f"f{seed}-{i}")
                ).fetchone()
                with lock:
                    written[user_id].append(entry_id)

    seen: list[tuple] = []

    def consumer() -> None:
        after = start
        with psycopg.connect(router_url, autocommit=True) as conn:
            conn.execute("SET ROLE wallet_service")
            while True:
                finished = done.is_set()
                rows = conn.execute(
                    "SELECT event_id, user_id, entry_id FROM wallet_events(%s, 100)", (after,)
                ).fetchall()
                seen.extend(rows)
                if rows:
                    after = rows[-1][0]
                elif finished:
                    return

    reading = threading.Thread(target=consumer)
    reading.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    router.execute("SELECT wallet_notify_events()")  # every shard's last commits placed, as the worker's next run would
    done.set()
    reading.join()
    ids = [row[0] for row in seen]
    assert ids == sorted(set(ids)), "each event once, in event_id order"
    by_user: dict[uuid.UUID, list[int]] = defaultdict(list)
    for _, user_id, entry_id in seen:
        by_user[user_id].append(entry_id)
    assert {u: sorted(e) for u, e in written.items()} == {u: sorted(e) for u, e in by_user.items()}
    assert all(entries == sorted(entries) for entries in by_user.values()), "each wallet's events in entry order"
    report(f"feed through the router: {len(seen)} of {sum(map(len, written.values()))} events, read while written")


def test_a_router_reader_that_rolls_back_never_saw_a_position_given_again(router_url, router, shards):
    """A reader answers only positions a committed taking gave: the events it takes in its
    own transaction (no taking for a second) are not in its answer, even on its second
    call, so its rollback takes back no position anyone read."""
    users = [uuid.uuid4() for _ in range(2)]
    for user_id in users:
        router.execute("SELECT wallet_open_account(%s, 'feed-rollback')", (user_id,))
    router.execute("SELECT wallet_topup(%s, 1, 5, 'rb-1')", (users[0],))
    router.execute("SELECT wallet_notify_events()")  # placed and taken, as the worker's run would
    after = feed_end(router)
    router.execute("SELECT wallet_topup(%s, 1, 7, 'rb-2')", (users[1],))
    for conn in shards:  # the new top-up placed on its shard, not yet taken by the router
        conn.execute("SELECT wallet_notify_events()")
    with psycopg.connect(router_url) as owner:  # no taking for a second: the reader takes
        owner.execute("UPDATE router.feed_taker SET taken_at = '-infinity'")
        owner.commit()
    answered = []
    with psycopg.connect(router_url) as reader:  # one transaction, rolled back
        reader.execute("SET ROLE wallet_service")
        for _ in range(2):
            answered += reader.execute(
                "SELECT event_id, user_id, amount FROM wallet_events(%s, 1000)", (after,)
            ).fetchall()
        reader.rollback()
    assert [r for r in answered if r[1] == users[1]] == [], "what the reader took is not in its own answer"
    router.execute("SELECT wallet_notify_events()")
    later = router.execute("SELECT event_id, user_id, amount FROM wallet_events(%s, 1000)", (after,)).fetchall()
    assert (users[1], 7) in [(r[1], r[2]) for r in later], "the top-up is given its position by the next taking"
    assert set(answered) <= set(later), "every position read is still its event's"


def test_a_shard_out_of_reach_stops_the_router_feeds_taking_not_its_reading(router_url, router):
    router.execute("SELECT wallet_notify_events()")
    taken = router.execute("SELECT event_id FROM wallet_events(0, 1000)").fetchall()
    assert taken, "earlier tests' events were taken"
    with psycopg.connect(router_url, autocommit=True) as owner:
        (address,) = owner.execute(
            "SELECT option_value FROM pg_options_to_table((SELECT srvoptions FROM pg_foreign_server"
            " WHERE srvname = 'wallet_shards')) WHERE option_name = 'p1'"
        ).fetchone()
        down = sql.SQL("ALTER SERVER wallet_shards OPTIONS (SET p1 {})")
        owner.execute(down.format(sql.Literal("host=127.0.0.1 port=1")))
        try:
            owner.execute("UPDATE router.feed_taker SET taken_at = '-infinity'")  # the reader tries to take
            assert router.execute("SELECT event_id FROM wallet_events(0, 1000)").fetchall() == taken
            with pytest.raises(psycopg.errors.InternalError):  # the worker's taking reports it
                owner.execute("SELECT wallet_notify_events()")
        finally:
            owner.execute(down.format(sql.Literal(address)))
    router.execute("SELECT wallet_notify_events()")


def test_webhook_deliveries_settle_on_their_events_shards(router_url, router, shards):
    with psycopg.connect(router_url, autocommit=True) as owner:
        secret = "whsec_" + "A" * 32
        (sub,) = owner.execute(
            "SELECT wallet_webhook_subscribe('http://hooks.example:9/hook', %s)", (secret,)
        ).fetchone()
        try:
            users = [uuid.uuid4() for _ in range(12)]
            for user_id in users:
                router.execute("SELECT wallet_open_account(%s, 'hooked')", (user_id,))
                router.execute("SELECT * FROM wallet_topup(%s, 1, 7, 'hook-pay')", (user_id,))
            owner.execute("SELECT wallet_notify_events()")  # placed on every shard, as the worker's run would
            owner.execute("SET ROLE wallet_worker")
            made = 0
            for _ in range(5):
                made += owner.execute("SELECT wallet_webhook_fan_out(1000)").fetchone()[0]
            claimed = owner.execute(
                "SELECT subscription_id, event_id, attempt FROM wallet_webhook_claim(1000)"
            ).fetchall()
            mine = [row for row in claimed if row[0] == sub]
            assert made >= 12 and len(mine) >= 12
            assert len({event_id for _, event_id, _ in mine}) == len(mine), "event ids are unique across shards"
            settled = owner.execute(
                "SELECT state FROM wallet_webhook_settle(%s, %s, %s, %s)",
                ([r[0] for r in mine], [r[1] for r in mine], [r[2] for r in mine], [None] * len(mine)),
            ).fetchall()
            assert settled == [("delivered",)] * len(mine)
            owner.execute("RESET ROLE")
            (pending,) = owner.execute(
                "SELECT pending FROM wallet_webhook_subscriptions() WHERE subscription_id = %s", (sub,)
            ).fetchone()
            assert pending == 0
        finally:
            owner.execute("RESET ROLE")
            assert owner.execute("SELECT wallet_webhook_unsubscribe(%s)", (sub,)).fetchone() == (True,)


def test_errors_keep_their_sqlstate_through_the_router(router):
    user_id = uuid.uuid4()
    router.execute("SELECT wallet_open_account(%s, 'refused')", (user_id,))
    cases = {
        "WA006": ("SELECT * FROM wallet_spend(%s, 1, 5, 'k')", (user_id,)),
        "WA001": ("SELECT * FROM wallet_topup(%s, 1, 0, 'k')", (user_id,)),
        "WA003": ("SELECT * FROM wallet_balance(%s)", (uuid.uuid4(),)),
        "WA004": ("SELECT * FROM wallet_topup(%s, 99, 5, 'k')", (user_id,)),
        "WA009": ("SELECT * FROM wallet_void(%s, 123456789)", (user_id,)),
        "WA002": ("SELECT * FROM wallet_post_batch('{}')", ()),
    }
    for sqlstate, (query, args) in cases.items():
        with pytest.raises(psycopg.Error) as caught:
            router.execute(query, args)
        assert caught.value.diag.sqlstate == sqlstate, (query, caught.value)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        router.execute("SELECT wallet_set_spend_order(1, 'paid_first')")


def test_transfers_run_on_the_senders_shard_or_in_steps_between_shards(router, router_url, shards, shard_of):
    """A transfer between two users of one shard is made there (its pair whole on that
    shard); between shards it is made in steps through each shard's Transit account and
    answers as on one database: the same columns, replays, refusals before anything is
    taken. The policies and rates the owner sets reach every shard."""
    sender = uuid.uuid4()
    same = other = None
    while same is None or other is None:  # a recipient on the sender's shard, and one on another
        candidate = uuid.uuid4()
        if shard_of(candidate) == shard_of(sender):
            same = same or candidate
        else:
            other = other or candidate
    for user in (sender, same, other):
        router.execute("SELECT wallet_open_account(%s, 'mover')", (user,))
        router.execute("SELECT * FROM wallet_topup(%s, 2, 100, %s)", (user, f"fund-{user}"))
    (entry_id, balance, to_balance) = router.execute(
        "SELECT entry_id, balance, to_balance FROM wallet_transfer(%s, %s, 2, 30, 'gift-router', 2)", (sender, same)
    ).fetchone()
    assert (balance, to_balance) == (68, 130)
    home, far = shards[shard_of(sender)], shards[shard_of(other)]
    assert home.execute(
        "SELECT count(*) FROM wallet.ledger_entries WHERE original_entry_id = %s AND kind IN ('transfer_in', 'fee')",
        (entry_id,),
    ).fetchone() == (2,)

    answer = (
        "SELECT entry_id, balance, replayed, paid_amount, free_amount, to_entry_id, to_balance FROM wallet_transfer"
    )
    (far_entry, balance, replayed, paid, free, to_entry, to_balance) = router.execute(
        answer + "(%s, %s, 2, 10, 'gift-far', 1, '{\"note\": \"far\"}')", (sender, other)
    ).fetchone()
    assert (balance, replayed, paid, free, to_balance) == (57, False, 10, 0, 110)
    assert router.execute(answer + "(%s, %s, 2, 10, 'gift-far', 1)", (sender, other)).fetchone() == (
        far_entry,
        57,
        True,
        10,
        0,
        to_entry,
        110,
    ), "a replay answers the first call"
    assert home.execute(
        "SELECT kind, credit_account_id = wallet.transit_account_id() FROM wallet.ledger_entries"
        " WHERE entry_id >= %s AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = %s)"
        " ORDER BY entry_id",
        (far_entry, sender),
    ).fetchall() == [("transfer_out", True), ("fee", False)]
    assert far.execute(
        "SELECT kind, debit_account_id = wallet.transit_account_id(), original_entry_id, metadata"
        " FROM wallet.ledger_entries WHERE entry_id = %s AND account_id = (SELECT account_id FROM wallet.accounts"
        " WHERE user_id = %s)",
        (to_entry, other),
    ).fetchone() == ("transfer_in", True, far_entry, {"note": "far"})
    assert home.execute(
        "SELECT state, in_entry_id FROM wallet.shard_transfers WHERE side = 'out' AND out_entry_id = %s", (far_entry,)
    ).fetchone() == ("delivered", to_entry)

    # refused before anything is taken: the recipient's side is tried first
    entries_before = home.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone()
    for recipient, sqlstate in ((uuid.uuid4(), "WA003"), (other, "WA001")):
        with pytest.raises(psycopg.Error) as caught:
            router.execute(
                "SELECT * FROM wallet_transfer(%s, %s, 2, %s, 'gift-refused')",
                (sender, recipient, 5 if sqlstate == "WA003" else 0),
            )
        assert caught.value.diag.sqlstate == sqlstate
    with pytest.raises(psycopg.Error) as caught:
        router.execute("SELECT * FROM wallet_transfer(%s, %s, 2, 1000, 'gift-refused')", (sender, other))
    assert caught.value.diag.sqlstate == "WA006"
    assert home.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone() == entries_before
    preview = router.execute(answer + "(%s, %s, 2, 7, 'gift-preview', 0, '{}', true)", (sender, other)).fetchone()
    assert preview == (None, 50, False, 7, 0, None, 117), "a dry run through both shards"
    assert home.execute("SELECT count(*) FROM wallet.ledger_entries").fetchone() == entries_before

    # a caller gone after step 1, a recipient closed meanwhile: the worker's call undoes it,
    # and a replay then answers the recipient's refusal
    def balance_of(user) -> int:
        return router.execute("SELECT balance FROM wallet_balance(%s) WHERE asset_type_id = 2", (user,)).fetchone()[0]

    with psycopg.connect(router_url, autocommit=True) as owner:
        (state,) = owner.execute(
            "SELECT state FROM router.transfer_send(%s, %s, 2, 20, 'gift-left', 3, '{}', false)", (sender, other)
        ).fetchone()
        assert state == "sent"
        assert balance_of(sender) == 34
        router.execute("SELECT wallet_set_account_status(%s, 'closed', 'left the game')", (other,))
        assert owner.execute("SELECT * FROM wallet_complete_transfers('0', 100)").fetchone() == (0, 1, 0, None)
    assert balance_of(sender) == 57
    with pytest.raises(psycopg.Error) as caught:
        router.execute("SELECT * FROM wallet_transfer(%s, %s, 2, 20, 'gift-left', 3)", (sender, other))
    assert caught.value.diag.sqlstate == "WA011"
    router.execute("SELECT wallet_set_account_status(%s, 'active', 'came back')", (other,))

    with psycopg.connect(router_url, autocommit=True) as owner:
        owner.execute("SELECT wallet_set_exchange_rate(2, 1, 1, 4)")
        try:
            assert {
                row[0]
                for row in (
                    shard.execute(
                        "SELECT numerator * 10 + denominator FROM wallet.exchange_rates"
                        " WHERE from_asset_type_id = 2 AND to_asset_type_id = 1"
                    ).fetchone()
                    for shard in shards
                )
            } == {14}
            (to_amount,) = router.execute(
                "SELECT to_amount FROM wallet_exchange(%s, 2, 1, 9, 'ex-router')", (other,)
            ).fetchone()
            assert to_amount == 2
        finally:
            owner.execute("SELECT wallet_set_exchange_rate(2, 1, NULL, NULL)")
    for shard in shards:
        assert shard.execute("SELECT * FROM wallet_verify()").fetchall() == []


def test_the_api_serves_through_the_router_unchanged(router_url, tmp_path, jwt_secret):
    set_database_login(router_url, "wallet_router_api", "router-api-password")
    env = {
        **os.environ,
        "DATABASE_URL": psycopg.conninfo.make_conninfo(
            router_url, user="wallet_router_api", password="router-api-password"
        ),
        "JWT_SECRET_KEY": jwt_secret,
        "WALLET_ENV": "test",
        "WEB_CONCURRENCY": "1",
        "WALLET_THREADS": "2",
    }
    with serving(env, tmp_path / "server.log") as base:
        api = Api(base)
        token = api.user_token(ALICE)
        before = api.balance(ALICE)
        r = api.post(
            "/wallet/spend", token, json={"asset_type_id": 1, "amount": 3, "idempotency_key": str(uuid.uuid4())}
        )
        assert r.status_code == 201, r.text
        assert api.balance(ALICE) == before - 3 == r.json()["balance"]
        r = api.post("/wallet/spend", token, json={"asset_type_id": 1, "amount": 10**12, "idempotency_key": "too-much"})
        assert r.status_code == 422 and r.json()["code"] == "insufficient_funds", r.text
        assert r.json()["detail"].startswith("available"), r.json()
        # a shard the router cannot reach: its users' calls are 503, the others' go on
        with psycopg.connect(router_url, autocommit=True) as owner:
            (alice_hash,) = owner.execute("SELECT router.user_hash(%s)", (ALICE,)).fetchone()
            alice_shard = alice_hash & 3
            (address,) = owner.execute(
                "SELECT option_value FROM pg_options_to_table((SELECT srvoptions FROM pg_foreign_server"
                " WHERE srvname = 'wallet_shards')) WHERE option_name = %s",
                (f"p{alice_shard}",),
            ).fetchone()
            down = sql.SQL("ALTER SERVER wallet_shards OPTIONS (SET {} {})")
            owner.execute(down.format(sql.Identifier(f"p{alice_shard}"), sql.Literal("host=127.0.0.1 port=1")))
            try:
                r = api.post("/wallet/spend", token, json={"asset_type_id": 1, "amount": 1, "idempotency_key": "down"})
                assert r.status_code == 503 and r.json()["code"] == "unavailable", r.text
                assert r.headers["Retry-After"]
            finally:
                owner.execute(down.format(sql.Identifier(f"p{alice_shard}"), sql.Literal(address)))
        r = api.post("/wallet/spend", token, json={"asset_type_id": 1, "amount": 1, "idempotency_key": "down"})
        assert r.status_code == 201, r.text


def test_the_worker_sweeps_every_shard_through_the_router(router, shard_of, start_router_worker):
    users = [uuid.uuid4() for _ in range(8)]
    for user_id in users:
        router.execute("SELECT wallet_open_account(%s, 'swept')", (user_id,))
        router.execute(
            "SELECT * FROM wallet_bonus(%s, 1, 40, 'promo', '{}', clock_timestamp() + interval '1 second')", (user_id,)
        )
    assert len({shard_of(u) for u in users}) > 1
    worker, log_path = start_router_worker(WALLET_EXPIRE_CRON="* * * * * */2")  # every two seconds
    try:
        deadline = time.monotonic() + 30
        swept: set[uuid.UUID] = set()
        while time.monotonic() < deadline and len(swept) < len(users):
            time.sleep(1)
            for user_id in users:
                kinds = router.execute("SELECT kind FROM wallet_history(%s)", (user_id,)).fetchall()
                if ("expire",) in kinds:
                    swept.add(user_id)
        assert swept == set(users), log_path.read_text()[-3000:]
    finally:
        worker.terminate()
        assert worker.wait(timeout=30) == 0


def test_functions_without_a_user_combine_every_shards_answer(router_url, router, shards):
    users = [uuid.uuid4() for _ in range(8)]
    for user_id in users:
        router.execute("SELECT wallet_open_account(%s, 'reported')", (user_id,))
        router.execute("SELECT * FROM wallet_topup(%s, 2, 11, 'report-pay')", (user_id,))
        router.execute("SELECT * FROM wallet_bonus(%s, 2, 3, 'report-bonus')", (user_id,))
    past = router.execute("SELECT now() - interval '1 millisecond'").fetchone()[0]
    for at in (None, past):
        query = "SELECT * FROM wallet_outstanding()" if at is None else "SELECT * FROM wallet_outstanding(%s)"
        args = () if at is None else (at,)
        per_shard = [conn.execute(query, args).fetchall() for conn in shards]
        summed = {
            asset: tuple(sum(row[i] for rows in per_shard for row in rows if row[0] == asset) for i in (2, 3, 4, 5))
            for asset in (1, 2)
        }
        routed = {row[0]: tuple(row[2:]) for row in router.execute(query, args).fetchall()}
        assert routed == summed, at
    with psycopg.connect(router_url, autocommit=True) as owner:
        owner.execute("SELECT wallet_set_spend_order(2, 'paid_first')")
        try:
            assert [c.execute("SELECT spend_order FROM wallet_assets() WHERE asset_type_id = 2").fetchone()
                    for c in shards] == [("paid_first",)] * len(shards)  # fmt: skip
            assert router.execute("SELECT spend_order FROM wallet_assets() WHERE asset_type_id = 2").fetchone() == (
                "paid_first",
            )
        finally:
            owner.execute("SELECT wallet_set_spend_order(2, 'free_first')")
        assert owner.execute("SELECT count(*) FROM wallet_webhook_dead()").fetchone() == (0,)
        assert owner.execute("SELECT wallet_webhook_redeliver(123456)").fetchone() == (0,)
    # earlier tests may leave expired credit: the summed counts fall to nothing as it is swept
    swept = [router.execute("SELECT * FROM wallet_expire(50)").fetchone() for _ in range(100)]
    assert (0, 0) in swept and all(lots >= 0 and holds >= 0 for lots, holds in swept)


def test_webhooks_from_every_shard_arrive_signed_through_the_routers_worker(
    router_url, router, shards, monkeypatch, capsys, start_router_worker, report
):
    port = free_port()
    monkeypatch.setenv("DATABASE_URL", router_url)
    # subscribed through the router as a public receiver would be; the receiver stands on
    # loopback (each shard's copy points there, and the worker may send there)
    assert webhooks_command(["subscribe", f"http://hooks.example:{port}/hooks", "entry.topup"]) == 0
    sub = json.loads(capsys.readouterr().out)
    for shard in shards:
        shard.execute("UPDATE wallet.webhook_subscriptions SET url = %s WHERE subscription_id = %s",
                      (f"http://127.0.0.1:{port}/hooks", sub["subscription_id"]))  # fmt: skip
    receiver = Receiver(port, sub["secret"])
    receiver.start()
    worker, log_path = start_router_worker()
    try:
        users = [uuid.uuid4() for _ in range(12)]
        for i, user_id in enumerate(users):
            router.execute("SELECT wallet_open_account(%s, 'hooked')", (user_id,))
            router.execute("SELECT * FROM wallet_topup(%s, 1, 10, %s)", (user_id, f"hook-{i}"))
        router.execute("SELECT wallet_notify_events()")  # placed now rather than at the worker's next run
        expected = {
            event_id
            for (event_id,) in Behind(shards).rows(
                "SELECT e.event_id FROM wallet.feed_events e"
                " JOIN wallet.accounts a USING (account_id) WHERE a.user_id = ANY(%s) AND e.type = 'entry.topup'",
                (users,),
            )
        }
        assert len(expected) == len(users)
        started = time.monotonic()
        while not expected <= set(receiver.received):
            assert time.monotonic() - started < 60, log_path.read_text()[-3000:]
            time.sleep(0.1)
        assert receiver.bad_signatures == 0
        assert {p["data"]["user_id"] for e, p in receiver.received.items() if e in expected} == set(map(str, users))
        report(f"webhooks through the router: {len(expected)} top-ups on {len({e % 64 for e in expected})} shards, "
               f"all arrived signed in {time.monotonic() - started:.1f} s")  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        receiver.stop()
        monkeypatch.setenv("DATABASE_URL", router_url)
        assert webhooks_command(["unsubscribe", str(sub["subscription_id"])]) == 0


def test_credentials_written_through_the_router_reach_their_subjects_shard(router_url, router, shards, shard_of):
    """The operator's credentials command, pointed at the router, writes a login to the
    shard its subject routes to (where wallet_auth_credential reads it) and revokes it there."""
    user, secret = uuid.uuid4(), "a-long-enough-secret"
    router.execute("SELECT wallet_open_account(%s, 'Login Through The Router')", (user,))
    set_credential(router_url, "user", str(user), secret, [])
    set_credential(router_url, "client", "router-reporting", secret, ["reports:read"])

    def where(subject: str) -> list[int]:
        return [s.execute("SELECT count(*) FROM wallet.credentials WHERE subject = %s", (subject,)).fetchone()[0]
                for s in shards]  # fmt: skip

    assert where(str(user)) == [int(i == shard_of(user)) for i in range(len(shards))]
    assert sum(where("router-reporting")) == 1
    with psycopg.connect(router_url, autocommit=True) as owner:
        (stored,) = owner.execute("SELECT secret_hash FROM wallet_auth_credential('user', %s)", (str(user),)).fetchone()
        assert PasswordHasher().verify(stored, secret)
    assert revoke_credential(router_url, "user", str(user)) and revoke_credential(
        router_url, "client", "router-reporting"
    )
    assert sum(where(str(user))) == sum(where("router-reporting")) == 0

"""The connection dies around COMMIT, so the caller cannot know whether its call took
effect; retrying with the same key must settle it exactly once."""

import random
import threading
import time
import uuid
from collections import Counter

import psycopg


def test_connection_killed_around_commit(db_url, admin, report):
    user = uuid.uuid4()
    admin.execute("SELECT wallet_open_account(%s, 'unknown outcomes')", (user,))
    tally, rounds = Counter(), 100
    for n in range(rounds):
        key = f"unknown-{n}"
        conn = psycopg.connect(db_url)
        conn.execute("SET ROLE wallet_service")
        pid = conn.info.backend_pid
        conn.execute("SELECT * FROM wallet_topup(%s, 1, 10, %s)", (user, key))
        killer = threading.Timer(
            random.uniform(0, 0.002), lambda p=pid: admin.execute("SELECT pg_terminate_backend(%s)", (p,))
        )
        killer.start()
        time.sleep(random.uniform(0, 0.002))  # so the kill lands before, during or after COMMIT
        try:
            conn.commit()
            tally["committed, acknowledged"] += 1
            acknowledged = True
        except psycopg.OperationalError:
            acknowledged = False
        finally:
            killer.join()
            conn.close()
        with psycopg.connect(db_url, autocommit=True) as retry:
            retry.execute("SET ROLE wallet_service")
            (replayed,) = retry.execute("SELECT replayed FROM wallet_topup(%s, 1, 10, %s)", (user, key)).fetchone()
        if acknowledged:
            assert replayed, "an acknowledged call must replay"
        else:
            tally["unknown, then replayed (had committed)" if replayed else "unknown, then applied (had not)"] += 1
    entries = admin.execute(
        "SELECT count(*), count(DISTINCT idempotency_key) FROM wallet.ledger_entries e"
        " JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s",
        (user,),
    ).fetchone()
    balance = admin.execute("SELECT balance FROM wallet_balance(%s) WHERE asset_type_id = 1", (user,)).fetchone()[0]
    report(
        f"{rounds} connections killed around COMMIT: {dict(tally)}; {entries[0]} entries for {rounds} keys, "
        f"{entries[0] - entries[1]} duplicated, {rounds - entries[1]} lost"
    )
    assert entries == (rounds, rounds)
    assert balance == rounds * 10
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []


def test_commit_or_its_answer_lost_on_the_wire(db_url, admin, report):
    """Through a proxy that loses either the COMMIT or the server's answer to it: the
    retry applies the first kind once and replays the second."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from .proxy import CommitDroppingProxy

    params = conninfo_to_dict(db_url)
    proxy = CommitDroppingProxy(int(params["port"]))
    via_proxy = make_conninfo(db_url, host="127.0.0.1", port=proxy.port, sslmode="disable")
    user = uuid.uuid4()
    admin.execute("SELECT wallet_open_account(%s, 'lost answers')", (user,))
    tally, rounds, rng = Counter(), 100, random.Random(7)
    try:
        for n in range(rounds):
            proxy.mode = rng.choice(["pass", "drop_commit", "drop_answer"])
            key = f"wire-{n}"
            conn = psycopg.connect(via_proxy)
            conn.execute("SET ROLE wallet_service")
            conn.execute("SELECT * FROM wallet_topup(%s, 1, 10, %s)", (user, key))
            try:
                conn.commit()
                acknowledged = True
            except psycopg.OperationalError:
                acknowledged = False
            conn.close()
            assert acknowledged == (proxy.mode == "pass")
            with psycopg.connect(db_url, autocommit=True) as retry:
                retry.execute("SET ROLE wallet_service")
                replayed = retry.execute("SELECT replayed FROM wallet_topup(%s, 1, 10, %s)", (user, key)).fetchone()[0]
            expected_replay = proxy.mode in ("pass", "drop_answer")
            assert replayed == expected_replay, (proxy.mode, replayed)
            tally[f"{proxy.mode}: {'replayed' if replayed else 'applied on retry'}"] += 1
    finally:
        proxy.close()
    count = admin.execute(
        "SELECT count(*) FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id) WHERE a.user_id = %s",
        (user,),
    ).fetchone()[0]
    report(
        f"{rounds} calls through a proxy losing COMMIT or its answer: {dict(tally)}; "
        f"{count} entries, {rounds - count} lost, 0 duplicated"
    )
    assert count == rounds
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []

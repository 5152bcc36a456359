"""Crash the database under HTTP load: clients retry with their keys; afterwards every
acknowledged call is in the ledger exactly once and the API recovers by itself."""

import random
import threading
import time
import uuid
from collections import Counter

import psycopg
import requests

GOLD, POINTS = 1, 2
ROUTES = {
    "topup": ("payments", "payment_id"),
    "bonus": ("rewards", "idempotency_key"),
    "spend": ("game", "idempotency_key"),
}


def test_crash_mid_load_loses_and_duplicates_nothing(api, funded_user, cluster, db_url, report):
    users = [funded_user(gold=500) for _ in range(4)]
    tokens = {service: api.service_token(service) for service, _ in ROUTES.values()}
    clients, ops_per_client, crashes = 8, 120, 3
    acknowledged, refused, lock = {}, [], threading.Lock()
    tally = Counter()
    stop_by = time.monotonic() + 240

    def client(i):
        rng, session = random.Random(i), requests.Session()
        for n in range(ops_per_client):
            kind = rng.choice(["topup", "bonus", "spend", "spend"])
            service, key_field = ROUTES[kind]
            user, asset, amount = rng.choice(users), rng.choice([GOLD, POINTS]), rng.randint(1, 60)
            key = f"crash-{i}-{n}-{uuid.uuid4().hex[:8]}"
            body = {"user_id": user, "asset_type_id": asset, "amount": amount, key_field: key}
            while time.monotonic() < stop_by:  # the same request, same key, until a definite answer
                try:
                    r = session.post(
                        f"{api.base}/wallet/{kind}",
                        json=body,
                        timeout=10,
                        headers={"Authorization": f"Bearer {tokens[service]}"},
                    )
                except requests.RequestException:
                    with lock:
                        tally["connection errors"] += 1
                    time.sleep(0.1)
                    continue
                if r.status_code == 503:
                    with lock:
                        tally["503"] += 1
                    time.sleep(0.1)
                    continue
                with lock:
                    if r.status_code in (200, 201):
                        acknowledged[key] = (user, asset, -amount if kind == "spend" else amount, r.json()["entry_id"])
                        tally["replayed after a crash"] += r.status_code == 200
                    else:
                        assert (r.status_code, r.json()["code"]) == (422, "insufficient_funds"), r.text
                        refused.append(key)
                break

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    recoveries = []
    for _ in range(crashes):
        time.sleep(0.7)
        crashed = time.monotonic()
        cluster.restart("immediate")  # pg_ctl stop -m immediate, then start
        while requests.get(f"{api.base}/readyz", timeout=5).status_code != 200:
            time.sleep(0.05)
        recoveries.append(time.monotonic() - crashed)
    for t in threads:
        t.join()

    assert len(acknowledged) + len(refused) == clients * ops_per_client, "every call got a definite answer"
    admin = psycopg.connect(db_url, autocommit=True)  # after the crashes
    rows = admin.execute(
        "SELECT idempotency_key, count(*), min(entry_id) FROM wallet.ledger_entries"
        " WHERE idempotency_key LIKE 'crash-%%' GROUP BY 1"
    ).fetchall()
    in_ledger = {key: (count, entry_id) for key, count, entry_id in rows}
    lost = [k for k in acknowledged if k not in in_ledger]
    duplicated = [k for k, (count, _) in in_ledger.items() if count > 1]
    unacknowledged = [k for k in in_ledger if k not in acknowledged]
    report(
        f"crash x{crashes} during {clients}-client HTTP load: {len(acknowledged)} acknowledged, "
        f"{len(refused)} insufficient, {len(lost)} lost, {len(duplicated)} duplicated, "
        f"{len(unacknowledged)} written but unacknowledged, {dict(tally)}; "
        f"API ready again {', '.join(f'{s:.1f}' for s in recoveries)} s after each crash"
    )
    assert lost == [] and duplicated == [] and unacknowledged == []
    assert all(in_ledger[k][1] == entry_id for k, (*_, entry_id) in acknowledged.items()), (
        "the acknowledged entry is the one in the ledger"
    )
    for user in users:
        for asset in (GOLD, POINTS):
            expected = (500 if asset == GOLD else 0) + sum(
                amount for u, a, amount, _ in acknowledged.values() if (u, a) == (user, asset)
            )
            assert api.balance(user, asset) == expected
    assert admin.execute("SELECT * FROM wallet_verify()").fetchall() == []

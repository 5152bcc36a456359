"""A held lock and an exhausted pool get fast, clean 503s with Retry-After (not a hang,
not a 500), write nothing, and leak no connection."""

import threading
import time

import psycopg
import requests

from tests.support import free_port, start_server, wait_until_healthy


def hold_wallet_lock(db_url, user_id):
    conn = psycopg.connect(db_url)
    conn.execute(
        "SELECT 1 FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)"
        " WHERE a.user_id = %s AND w.asset_type_id = 1 FOR UPDATE OF w",
        (user_id,),
    )
    return conn  # the lock lasts until this transaction ends


def test_lock_timeout_is_a_fast_clean_503(api, funded_user, db_url, admin, report):
    user = funded_user(gold=100)
    token = api.service_token("game")
    body = {"user_id": user, "asset_type_id": 1, "amount": 10, "idempotency_key": "locked-out"}
    holder = hold_wallet_lock(db_url, user)
    try:
        started = time.monotonic()
        r = requests.post(
            f"{api.base}/wallet/spend", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    report(
        f"spend against a wallet locked elsewhere: {r.status_code} {r.json()['code']} after {waited:.2f} s "
        f"(lock_timeout 2 s)"
    )
    assert r.status_code == 503 and r.json()["code"] == "unavailable"
    assert r.headers["Retry-After"] == "1"
    assert "canceling statement" not in r.text and "wallet.wallets" not in r.text, "no database text"
    assert waited < 4
    assert (
        admin.execute("SELECT count(*) FROM wallet.ledger_entries WHERE idempotency_key = 'locked-out'").fetchone()[0]
        == 0
    )
    again = requests.post(
        f"{api.base}/wallet/spend", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert again.status_code == 201 and again.json()["balance"] == 90, "the same key works once the lock is gone"


def test_exhausted_pool_fails_fast_and_leaks_nothing(server_env, funded_user, api, db_url, admin, tmp_path, report):
    user = funded_user(gold=100)
    token = api.service_token("game")
    port = free_port()
    env = {
        **server_env,
        "WEB_CONCURRENCY": "1",
        "WALLET_THREADS": "8",
        "WALLET_POOL_MAX_SIZE": "2",
        "WALLET_POOL_TIMEOUT_MS": "300",
        "WALLET_LOCK_TIMEOUT_MS": "3000",
    }
    proc = start_server(env, port, tmp_path / "small-pool.log")
    base = f"http://127.0.0.1:{port}"
    results, lock = [], threading.Lock()
    try:
        wait_until_healthy(base, proc)
        holder = hold_wallet_lock(db_url, user)  # both pooled connections will wait on it

        def spend(i):
            started = time.monotonic()
            r = requests.post(
                f"{base}/wallet/spend",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                json={"user_id": user, "asset_type_id": 1, "amount": 1, "idempotency_key": f"pool-{i}"},
            )
            with lock:
                results.append(
                    (r.status_code, r.json().get("code"), r.headers.get("Retry-After"), time.monotonic() - started)
                )

        threads = [threading.Thread(target=spend, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        holder.rollback()
        holder.close()
        for t in threads:
            t.join()
        fast = [r for r in results if r[0] == 503]
        slow = [r for r in results if r[0] == 201]
        report(
            f"8 concurrent spends, pool of 2, one wallet locked 1.5 s: {len(slow)} waited and succeeded, "
            f"{len(fast)} got 503 in at most {max(r[3] for r in fast):.2f} s"
        )
        assert len(slow) == 2 and len(fast) == 6
        assert all(code == "unavailable" and retry == "1" and took < 1.2 for _, code, retry, took in fast)
        for i in range(10):  # the pool is whole again
            r = requests.post(
                f"{base}/wallet/spend",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                json={"user_id": user, "asset_type_id": 1, "amount": 1, "idempotency_key": f"after-{i}"},
            )
            assert r.status_code == 201
        connections = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wallet-api'"
            " AND client_port IS NOT NULL AND backend_type = 'client backend'"
        ).fetchone()[0]
        assert connections <= 2 + 2 * 4, "no connection leaked (this server's 2 plus the session server's)"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert api.balance(user) == 100 - 2 - 10

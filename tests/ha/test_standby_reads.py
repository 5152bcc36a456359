"""Reads from the standby, read-your-writes kept: an API with WALLET_READ_DATABASE_URL
(target_session_attrs=prefer-standby) serves balances from the standby, and its writes
commit with synchronous_commit = remote_apply, so a top-up then an immediate balance
read, 1,000 times, never shows a stale balance. Its cost is measured beside the same
loop against an API reading from the primary."""

import time
import uuid

import psycopg
import requests
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from wallet_dev.servers import serving


def write_then_read(base: str, token: str, user: str, rounds: int) -> tuple[int, float]:
    """Tops up 1 and reads the balance at once, `rounds` times: stale reads, seconds."""
    session, stale = requests.Session(), 0
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    for n in range(1, rounds + 1):
        body = {"user_id": user, "asset_type_id": 1, "amount": 1, "payment_id": f"ryw-{user[:8]}-{n}"}
        assert session.post(f"{base}/wallet/topup", json=body, headers=headers, timeout=10).status_code == 201
        balances = session.get(f"{base}/wallet/balance", params={"user_id": user}, headers=headers, timeout=10)
        gold = next(b for b in balances.json()["balances"] if b["asset_type_id"] == 1)
        stale += gold["balance"] != n
    return stale, time.monotonic() - started


def test_reads_from_the_standby_are_never_stale(formation, server_env, api, tmp_path, report):
    formation.revive()  # a node an earlier test killed comes back as the standby
    formation.wait_healthy()
    url = server_env["DATABASE_URL"]
    read_url = make_conninfo(url, target_session_attrs="prefer-standby")
    game, payments = api.service_token("game"), api.service_token("payments")
    users = [str(uuid.uuid4()) for _ in range(3)]
    for user in users:
        assert api.post("/accounts", game, json={"user_id": user, "name": "ryw"}).status_code == 201
    env = {**server_env, "WALLET_READ_DATABASE_URL": read_url, "WEB_CONCURRENCY": "1"}
    standby = next(n for n in ("node1", "node2") if n != formation.primary())
    with serving(env, tmp_path / "reads.log") as base, psycopg.connect(formation.node_url(standby),
                                                                     autocommit=True) as conn:  # fmt: skip
        stale, standby_s = write_then_read(base, payments, users[0], 1000)
        readers = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wallet-api-read'"
                               " AND usename = %s", (conninfo_to_dict(url)["user"],)).fetchone()[0]  # fmt: skip
        # a standby that applies late: still never stale (with synchronous_commit = on
        # instead of remote_apply, most of these reads are)
        conn.execute("ALTER SYSTEM SET recovery_min_apply_delay = '20ms'")
        conn.execute("SELECT pg_reload_conf()")
        try:
            stale_late, _ = write_then_read(base, payments, users[2], 100)
        finally:
            conn.execute("ALTER SYSTEM RESET recovery_min_apply_delay")
            conn.execute("SELECT pg_reload_conf()")
    assert readers > 0, "the reads did not go to the standby"
    assert stale == 0 and stale_late == 0
    _, primary_s = write_then_read(api.base, payments, users[1], 1000)  # the suite's API: all on the primary
    report(
        f"1,000 top-ups each read back at once from the standby: 0 stale; {standby_s / 1000 * 1000:.1f} ms per "
        f"pair with remote_apply and standby reads vs {primary_s / 1000 * 1000:.1f} ms all on the primary"
    )

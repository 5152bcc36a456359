"""GET /metrics through the real server (2 workers, multiprocess mode): scraped before
and after a concurrent load, its counters move by exactly what the clients saw."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families


def scrape(api) -> dict[tuple[str, tuple], float]:
    r = api.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}  # fmt: skip


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


def test_counters_match_the_requests_sent_under_load(api, funded_user, report):
    users = [funded_user(100) for _ in range(4)]
    game = api.service_token("game")
    before = scrape(api)

    def spend(i: int) -> tuple[int, str | None]:
        user = users[(i // 2) % len(users)]
        key = f"m-{i // 2}"  # every call twice: the second a replay, or refused alike
        r = api.post("/wallet/spend", game, json={"user_id": user, "asset_type_id": 1, "amount": 7,
                                                  "idempotency_key": f"{key}-{user}"})  # fmt: skip
        return r.status_code, r.json().get("code")

    def balance(i: int) -> int:
        return api.get("/wallet/balance", game, params={"user_id": users[i % len(users)]}).status_code

    with ThreadPoolExecutor(8) as pool:
        spends = Counter(pool.map(spend, range(160)))
        balances = Counter(pool.map(balance, range(40)))
    unknown = api.get("/no/such/route").status_code
    after = scrape(api)

    sent = {status: n for (status, _), n in spends.items()}
    for status in (200, 201, 422):
        counted = delta(before, after, "wallet_http_requests_total", route="/wallet/spend", method="POST",
                        status=str(status))  # fmt: skip
        assert counted == sum(n for (s, _), n in spends.items() if s == status), (status, spends)
    assert sent.get(201, 0) > 0 and sent.get(200, 0) > 0 and sent.get(422, 0) > 0  # replays; funds ran out
    assert delta(before, after, "wallet_postings_total", kind="spend", outcome="created") == spends[(201, None)]
    assert delta(before, after, "wallet_postings_total", kind="spend", outcome="replayed") == spends[(200, None)]
    assert delta(before, after, "wallet_postings_total", kind="spend", outcome="insufficient_funds") == spends[
        (422, "insufficient_funds")]  # fmt: skip
    assert delta(before, after, "wallet_http_requests_total", route="/wallet/balance", method="GET",
                 status="200") == balances[200] == 40  # fmt: skip
    assert delta(before, after, "wallet_http_request_duration_seconds_count", route="/wallet/spend") == 160
    assert delta(before, after, "wallet_http_requests_total", route="unmatched", method="GET", status=str(unknown)) == 1
    assert ("wallet_db_pool_connections", ()) in after and ("wallet_db_pool_in_use", ()) in after
    report(f"/metrics under 8 clients: 160 spends {dict(spends)} and 40 balance reads counted exactly, across 2 "
           "workers")  # fmt: skip


def test_metrics_token_when_set(server_env, tmp_path):
    import requests

    from wallet_dev.servers import serving

    token = uuid.uuid4().hex
    with serving({**server_env, "WALLET_METRICS_TOKEN": token, "WEB_CONCURRENCY": "1"}, tmp_path / "s.log") as base:
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
        assert (
            requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
        )


def test_a_dead_workers_live_gauges_are_dropped(tmp_path, monkeypatch):
    """A worker starting drops the live gauges of workers that are gone (a server that
    replaced a crashed worker would otherwise add up its last pool figures forever)."""
    import os

    from wallet_api.metrics import forget_dead_workers

    gone, alive = 99_999_999, os.getpid()  # above any pid_max: no such process
    names = [f"gauge_livesum_{gone}.db", f"gauge_livesum_{alive}.db", f"counter_{gone}.db"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    forget_dead_workers()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:]), "counters stay: they are totals"

"""Every wallet route through real HTTP: success paths, each contract error, who may
do what, and bad input that changes nothing."""

import json
import threading
import uuid
from collections import Counter

import requests

from tests.support import ALICE, BOB, assert_problem

GOLD, POINTS = 1, 2


def topup(api, user_id, amount, key, **extra):
    return api.post(
        "/wallet/topup",
        api.service_token("payments"),
        json={"user_id": user_id, "asset_type_id": GOLD, "amount": amount, "payment_id": key, **extra},
    )


def test_topup_then_replay(api, funded_user):
    user = funded_user()
    first = topup(api, user, 250, "pay-1", metadata={"order": "o-1"})
    assert first.status_code == 201
    body = first.json()
    assert body == {
        "status": "success",
        "entry_id": body["entry_id"],
        "user_id": user,
        "asset_type_id": GOLD,
        "amount": 250,
        "balance": 250,
        "replayed": False,
        "paid_amount": 250,
        "free_amount": 0,
    }
    assert "Idempotent-Replayed" not in first.headers
    again = topup(api, user, 250, "pay-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**body, "replayed": True}
    assert api.balance(user) == 250


def test_idempotency_key_sources(api, funded_user):
    user = funded_user()
    token = api.service_token("payments")
    by_header = api.post(
        "/wallet/topup",
        token,
        json={"user_id": user, "asset_type_id": GOLD, "amount": 5},
        headers={"Idempotency-Key": "hdr-1"},
    )
    assert by_header.status_code == 201
    by_body = api.post(
        "/wallet/topup", token, json={"user_id": user, "asset_type_id": GOLD, "amount": 5, "idempotency_key": "hdr-1"}
    )
    assert by_body.status_code == 200 and by_body.json()["entry_id"] == by_header.json()["entry_id"]
    assert_problem(
        api.post("/wallet/topup", token, json={"user_id": user, "asset_type_id": GOLD, "amount": 5}),
        400,
        "invalid_request",
    )
    assert_problem(
        api.post(
            "/wallet/topup",
            token,
            json={"user_id": user, "asset_type_id": GOLD, "amount": 5, "payment_id": "a"},
            headers={"Idempotency-Key": "b"},
        ),
        400,
        "invalid_request",
    )
    assert_problem(
        api.post(
            "/wallet/topup",
            token,
            json={"user_id": user, "asset_type_id": GOLD, "amount": 5},
            headers={"Idempotency-Key": "k" * 256},
        ),
        400,
        "invalid_request",
    )
    assert api.balance(user) == 5


def test_bonus_by_the_rewards_service(api, funded_user):
    user = funded_user()
    r = api.post(
        "/wallet/bonus",
        api.service_token("rewards"),
        json={"user_id": user, "asset_type_id": POINTS, "amount": 40, "idempotency_key": "promo-1"},
    )
    assert r.status_code == 201 and r.json()["balance"] == 40
    assert api.balance(user, POINTS) == 40


def test_user_spends_and_reads_its_own_wallet(api):
    # other tests (schemathesis among them) spend Alice's seed balance too: fund her first
    assert topup(api, ALICE, 10, f"fund-alice-{uuid.uuid4()}").status_code == 201
    token = api.user_token(ALICE)
    before = api.balance(ALICE)
    key = f"buy-{uuid.uuid4()}"
    r = api.post(
        "/wallet/spend",
        token,
        json={"asset_type_id": GOLD, "amount": 3, "idempotency_key": key, "metadata": {"item": "potion"}},
    )
    assert r.status_code == 201 and r.json()["balance"] == before - 3
    r = api.post(
        "/wallet/spend",
        token,
        json={"user_id": ALICE, "asset_type_id": GOLD, "amount": 3},
        headers={"Idempotency-Key": key},
    )
    assert r.status_code == 200 and r.json()["replayed"] is True
    balances = api.get("/wallet/balance", token).json()
    assert balances["user_id"] == ALICE
    assert {b["asset_code"]: b["balance"] for b in balances["balances"]}["GOLD"] == before - 3
    newest = api.get("/wallet/transactions", token, params={"limit": 1}).json()["items"][0]
    assert newest["idempotency_key"] == key and newest["amount"] == -3 and newest["kind"] == "spend"
    assert newest["metadata"] == {"item": "potion"}


def test_service_spends_for_a_named_user(api, funded_user):
    user = funded_user(gold=100)
    game = api.service_token("game")
    r = api.post(
        "/wallet/spend", game, json={"user_id": user, "asset_type_id": GOLD, "amount": 60, "idempotency_key": "s1"}
    )
    assert r.status_code == 201 and r.json()["balance"] == 40
    assert_problem(
        api.post("/wallet/spend", game, json={"asset_type_id": GOLD, "amount": 1, "idempotency_key": "s2"}),
        400,
        "invalid_request",
    )


def test_authorisation(api, funded_user):
    user = funded_user(gold=10)
    alice, bob = api.user_token(ALICE), api.user_token(BOB)
    before = api.balance(ALICE)
    cases = {
        "user tops itself up": api.post(
            "/wallet/topup", alice, json={"user_id": ALICE, "asset_type_id": GOLD, "amount": 1000, "payment_id": "self"}
        ),
        "user grants itself a bonus": api.post(
            "/wallet/bonus",
            alice,
            json={"user_id": ALICE, "asset_type_id": GOLD, "amount": 1000, "idempotency_key": "s"},
        ),
        "user spends another's wallet": api.post(
            "/wallet/spend", bob, json={"user_id": ALICE, "asset_type_id": GOLD, "amount": 1, "idempotency_key": "x"}
        ),
        "user reads another's balance": api.get("/wallet/balance", bob, params={"user_id": ALICE}),
        "user reads another's history": api.get("/wallet/transactions", bob, params={"user_id": ALICE}),
        "user opens an account": api.post("/accounts", alice, json={"user_id": str(uuid.uuid4()), "name": "x"}),
        "rewards tops up": api.post(
            "/wallet/topup",
            api.service_token("rewards"),
            json={"user_id": user, "asset_type_id": GOLD, "amount": 5, "payment_id": "r"},
        ),
        "payments spends": api.post(
            "/wallet/spend",
            api.service_token("payments"),
            json={"user_id": user, "asset_type_id": GOLD, "amount": 5, "idempotency_key": "p"},
        ),
        "payments opens an account": api.post(
            "/accounts", api.service_token("payments"), json={"user_id": str(uuid.uuid4()), "name": "x"}
        ),
    }
    for name, r in cases.items():
        assert r.status_code == 403, (name, r.status_code, r.text)
        assert r.json()["code"] == "forbidden", name
    assert api.balance(ALICE) == before and api.balance(user) == 10


def test_contract_errors(api, funded_user):
    user = funded_user(gold=10)
    game, payments = api.service_token("game"), api.service_token("payments")
    spend = {"user_id": user, "asset_type_id": GOLD, "amount": 11, "idempotency_key": "too-much"}
    assert_problem(api.post("/wallet/spend", game, json=spend), 422, "insufficient_funds")
    assert_problem(
        api.post("/wallet/spend", game, json={**spend, "user_id": str(uuid.uuid4())}), 404, "account_not_found"
    )
    assert_problem(api.post("/wallet/spend", game, json={**spend, "asset_type_id": 999}), 404, "asset_not_found")
    assert topup(api, user, 5, "once").status_code == 201
    assert_problem(topup(api, user, 6, "once"), 409, "idempotency_key_reused")
    assert_problem(
        api.get("/wallet/balance", payments, params={"user_id": str(uuid.uuid4())}), 404, "account_not_found"
    )
    assert_problem(api.get("/nowhere"), 404, "not_found")
    assert_problem(api.get("/wallet/topup"), 405, "method_not_allowed")
    assert api.balance(user) == 15


def test_bad_amounts_and_fields_change_nothing(api, funded_user):
    user = funded_user(gold=50)
    token = api.service_token("payments")
    good = {"user_id": user, "asset_type_id": GOLD, "amount": 5, "payment_id": "bad-input"}
    for amount in ["20", 20.5, True, None, [20], {"n": 20}, 0, -1, 9007199254740992, 10**30, 1e300]:
        assert_problem(api.post("/wallet/topup", token, json={**good, "amount": amount}), 400, "invalid_amount")
    body = {k: v for k, v in good.items() if k != "amount"}
    assert_problem(api.post("/wallet/topup", token, json=body), 400, "invalid_amount")
    for extra in [{"balance": 10**9}, {"entry_id": 1}, {"kind": "topup"}]:
        assert_problem(api.post("/wallet/topup", token, json={**good, **extra}), 400, "invalid_request")
    for field, value in [
        ("asset_type_id", "1"),
        ("user_id", "not-a-uuid"),
        ("metadata", [1]),
        ("metadata", {"x": "y" * 5000}),
        ("payment_id", ""),
        ("payment_id", "tab\there"),
    ]:
        assert_problem(api.post("/wallet/topup", token, json={**good, field: value}), 400, "invalid_request")
    for raw in [b"", b"{", b"[]", b"null", b'"text"']:
        assert_problem(
            api.post("/wallet/topup", token, data=raw, headers={"Content-Type": "application/json"}),
            400,
            "invalid_request",
        )
    big = {**good, "metadata": {"x": "y" * (70 * 1024)}}
    assert_problem(api.post("/wallet/topup", token, json=big), 413, "payload_too_large")
    assert api.balance(user) == 50
    assert api.get("/wallet/transactions", token, params={"user_id": user}).json()["items"][0]["amount"] == 50


def test_transactions_paginate_to_the_end(api, funded_user):
    user = funded_user()
    token = api.service_token("payments")
    for n in range(7):
        assert topup(api, user, n + 1, f"page-{n}").status_code == 201
    seen, before, pages = [], None, 0
    while True:
        params = {"user_id": user, "limit": 3, **({"before": before} if before else {})}
        page = api.get("/wallet/transactions", token, params=params).json()
        seen += [item["amount"] for item in page["items"]]
        pages += 1
        before = page["next_before"]
        if before is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1] and pages == 3
    exact = api.get("/wallet/transactions", token, params={"user_id": user, "limit": 7}).json()
    assert len(exact["items"]) == 7 and exact["next_before"] is None, "a full last page says it is the last"
    filtered = api.get("/wallet/transactions", token, params={"user_id": user, "asset_type_id": POINTS}).json()
    assert filtered == {"items": [], "next_before": None}
    for params in [{"limit": 0}, {"limit": 201}, {"limit": "x"}, {"before": 0}, {"sort": "asc"}]:
        assert_problem(
            api.get("/wallet/transactions", token, params={"user_id": user, **params}), 400, "invalid_request"
        )


def test_open_account(api):
    user = str(uuid.uuid4())
    game = api.service_token("game")
    first = api.post("/accounts", game, json={"user_id": user, "name": "Carol"})
    assert first.status_code == 201 and first.json()["created"] is True
    again = api.post("/accounts", game, json={"user_id": user, "name": "Carol"})
    assert again.status_code == 200 and again.json() == {**first.json(), "created": False}
    zero = {"balance": 0, "paid": 0, "free": 0, "held": 0, "available": 0, "debt": 0}
    assert api.get("/wallet/balance", game, params={"user_id": user}).json()["balances"] == [
        {"asset_type_id": 1, "asset_code": "GOLD", **zero},
        {"asset_type_id": 2, "asset_code": "POINTS", **zero},
    ]


def test_health(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}


def test_concurrent_http_spends_never_overdraw(api, funded_user, report):
    start, amount, n = 100, 7, 30
    user = funded_user(gold=start)
    token = api.service_token("game")
    barrier = threading.Barrier(n)
    statuses = [None] * n

    def spend(i):
        barrier.wait()
        r = requests.post(
            f"{api.base}/wallet/spend",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            json={"user_id": user, "asset_type_id": GOLD, "amount": amount, "idempotency_key": f"c{i}"},
        )
        statuses[i] = (r.status_code, r.json().get("code"))

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tally = Counter(statuses)
    report(f"{n} concurrent HTTP spends of {amount} from {start}: {dict(tally)}")
    assert tally[(201, None)] == start // amount
    assert tally[(422, "insufficient_funds")] == n - start // amount
    assert api.balance(user) == start - (start // amount) * amount


def test_batch_of_postings(api, funded_user):
    users = [funded_user(gold=10) for _ in range(2)]
    game, payments = api.service_token("game"), api.service_token("payments")
    postings = [
        {"kind": "spend", "user_id": users[0], "asset_type_id": GOLD, "amount": 4, "idempotency_key": "bt-1"},
        {"kind": "spend", "user_id": users[1], "asset_type_id": GOLD, "amount": 40, "idempotency_key": "bt-2"},
        {"kind": "spend", "user_id": str(uuid.uuid4()), "asset_type_id": GOLD, "amount": 1, "idempotency_key": "bt-3"},
        {
            "kind": "spend",
            "user_id": users[0],
            "asset_type_id": GOLD,
            "amount": 5,
            "idempotency_key": "bt-4",
            "metadata": {"item": "shield"},
        },
    ]
    r = api.post("/wallet/batch", game, json={"postings": postings})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["item"], i["status"], i.get("code"), i.get("balance")) for i in items] == [
        (1, 201, None, 6),
        (2, 422, "insufficient_funds", None),
        (3, 404, "account_not_found", None),
        (4, 201, None, 1),
    ]
    again = api.post("/wallet/batch", game, json={"postings": postings}).json()["items"]
    assert [i["status"] for i in again] == [200, 422, 404, 200]
    assert [i.get("entry_id") for i in again] == [i.get("entry_id") for i in items], "a retried batch replays"
    assert api.balance(users[0]) == 1 and api.balance(users[1]) == 10

    topup = {"kind": "topup", "user_id": users[1], "asset_type_id": GOLD, "amount": 5, "idempotency_key": "bt-5"}
    assert_problem(api.post("/wallet/batch", game, json={"postings": [postings[0], topup]}), 403, "forbidden")
    assert_problem(api.post("/wallet/batch", payments, json={"postings": [topup, postings[0]]}), 403, "forbidden")
    assert_problem(api.post("/wallet/batch", api.user_token(ALICE), json={"postings": [postings[0]]}), 403, "forbidden")
    assert_problem(
        api.post("/wallet/batch", payments, json={"postings": [{**topup, "amount": "5"}]}), 400, "invalid_amount"
    )
    assert_problem(api.post("/wallet/batch", payments, json={"postings": []}), 400, "invalid_request")
    assert_problem(api.post("/wallet/batch", payments, json={"postings": [topup] * 1001}), 400, "invalid_request")
    assert api.balance(users[1]) == 10, "refused batches wrote nothing"
    r = api.post("/wallet/batch", payments, json={"postings": [topup]})
    assert r.json()["items"][0]["status"] == 201 and api.balance(users[1]) == 15


def test_a_batch_of_1000_postings_has_a_body_limit_of_its_own(api, funded_user):
    """1,000 postings with metadata are far over the 64 KiB every other body gets: the
    batch route alone, and only for services, reads up to 5 MiB."""
    users = [funded_user() for _ in range(100)]
    postings = [
        {"kind": "topup", "user_id": users[i % 100], "asset_type_id": GOLD, "amount": 2,
         "idempotency_key": f"big-{i}", "metadata": {"order": "x" * 200}}
        for i in range(1000)
    ]  # fmt: skip
    body = json.dumps({"postings": postings})
    assert len(body) > 200 * 1024
    json_type = {"Content-Type": "application/json"}
    r = api.post("/wallet/batch", api.service_token("payments"), data=body, headers=json_type)
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["items"]] == [201] * 1000
    assert {api.balance(u) for u in users} == {20}

    spend = {"kind": "spend", "user_id": ALICE, "asset_type_id": GOLD, "amount": 1, "idempotency_key": "big-spend"}
    over_64k = json.dumps({"postings": [spend], "pad": "x" * 70_000})
    user = api.user_token(ALICE)
    assert_problem(api.post("/wallet/spend", user, data=over_64k, headers=json_type), 413, "payload_too_large")
    assert_problem(api.post("/wallet/batch", user, data=over_64k, headers=json_type), 403, "forbidden")
    over_5m = json.dumps({"postings": [spend], "pad": "x" * (5 * 1024 * 1024)})
    game = api.service_token("game")
    assert_problem(api.post("/wallet/batch", game, data=over_5m, headers=json_type), 413, "payload_too_large")


def test_a_refused_large_body_leaves_the_connection_usable(api):
    """A 413 must not break the kept-alive connection the client reuses next (before the
    body was discarded, about 1 in 10 next requests failed)."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {api.service_token('payments')}"}
    big = {"metadata": {"x": "y" * (70 * 1024)}}
    for _ in range(50):
        r = session.post(f"{api.base}/wallet/topup", json=big, headers=headers, timeout=10)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert session.get(f"{api.base}/healthz", timeout=10).status_code == 200


def test_integral_json_numbers_are_integers(api, funded_user):
    """JSON Schema's integer: 20.0 and 2e1 are 20 (read exactly: 20.000000000000001 is not)."""
    user = funded_user(gold=100)
    game = api.service_token("game")
    for n, raw in enumerate(["20.0", "2e1", "2.0E+1", "200e-1"]):
        body = f'{{"user_id": "{user}", "asset_type_id": 1.0, "amount": {raw}, "idempotency_key": "n-{n}"}}'
        r = api.post("/wallet/spend", game, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 201 and r.json()["amount"] == 20, (raw, r.text)
    for raw in ["20.5", "20.000000000000001", "2e-1", "1e400", "NaN", "Infinity"]:
        body = f'{{"user_id": "{user}", "asset_type_id": 1, "amount": {raw}, "idempotency_key": "bad"}}'
        r = api.post("/wallet/spend", game, data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["code"] in ("invalid_amount", "invalid_request"), (raw, r.text)
    assert api.balance(user) == 20
    page = api.get("/wallet/transactions", game, params={"user_id": user, "limit": "2e0", "asset_type_id": "1.0"})
    assert page.status_code == 200 and len(page.json()["items"]) == 2
    for limit in ["2.5", " 2", "+2", "1_0", "0x2", "Infinity"]:
        assert_problem(api.get("/wallet/transactions", game, params={"user_id": user, "limit": limit}), 400,
                       "invalid_request")  # fmt: skip


def test_bodies_must_be_json(api, funded_user):
    user = funded_user()
    body = json.dumps({"user_id": user, "asset_type_id": 1, "amount": 5, "payment_id": "p-415"})
    token = api.service_token("payments")
    for headers in [{"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}]:
        assert_problem(api.post("/wallet/topup", token, data=body, headers=headers), 415, "unsupported_media_type")
    ok = api.post("/wallet/topup", token, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 201
    assert api.balance(user) == 5


def test_chunked_bodies_over_the_limit_are_refused_not_cut(api, funded_user):
    user = funded_user(gold=100)
    token = api.service_token("game")
    valid = f'{{"user_id": "{user}", "asset_type_id": 1, "amount": 7, "idempotency_key": "chunked"}}'.encode()

    def chunks(total: int):
        yield valid  # a complete, valid document first: cutting the body would accept it
        sent = len(valid)
        while sent < total:
            piece = b" " * min(8192, total - sent)
            sent += len(piece)
            yield piece

    headers = {"Content-Type": "application/json"}
    big = requests.post(f"{api.base}/wallet/spend", data=chunks(165_000), timeout=30,
                        headers={**headers, "Authorization": f"Bearer {token}"})  # fmt: skip
    assert big.request.headers.get("Transfer-Encoding") == "chunked"
    assert_problem(big, 413, "payload_too_large")
    assert api.balance(user) == 100
    small = requests.post(f"{api.base}/wallet/spend", data=chunks(60_000), timeout=30,
                          headers={**headers, "Authorization": f"Bearer {token}"})  # fmt: skip
    assert small.status_code == 201 and small.json()["balance"] == 93


def test_keys_are_visible_ascii_on_every_path(api, funded_user, admin):
    user = funded_user(gold=100)
    game = api.service_token("game")
    spend = {"user_id": user, "asset_type_id": 1, "amount": 1}
    # the same non-ASCII key as a header (read as latin-1) and in the body (UTF-8)
    headers = {"Authorization": f"Bearer {game}", "Idempotency-Key": "café-2858b1".encode()}
    by_header = requests.post(f"{api.base}/wallet/spend", json=spend, timeout=10, headers=headers)
    assert_problem(by_header, 400, "invalid_request")
    assert_problem(api.post("/wallet/spend", game, json={**spend, "idempotency_key": "café-2858b1"}), 400,
                   "invalid_request")  # fmt: skip
    for key in ["with space", "tab\there", "ünïcode", "\u00a0nbsp"]:
        assert_problem(api.post("/wallet/spend", game, json={**spend, "idempotency_key": key}), 400,
                       "invalid_request")  # fmt: skip
    assert api.post("/wallet/spend", game, json={**spend, "idempotency_key": "!~ascii-{ok}"}).status_code == 201
    assert api.balance(user) == 99


def test_paid_and_free_credit_over_http(api, funded_user):
    user = funded_user()
    payments, rewards, game = api.service_token("payments"), api.service_token("rewards"), api.service_token("game")
    paid = {"user_id": user, "asset_type_id": GOLD, "amount": 100, "payment_id": "lot-pay"}
    r = api.post("/wallet/topup", payments, json={**paid, "expires_at": "2099-01-01T00:00:00Z"})
    assert r.status_code == 201 and (r.json()["paid_amount"], r.json()["free_amount"]) == (100, 0)
    r = api.post("/wallet/bonus", rewards, json={"user_id": user, "asset_type_id": GOLD, "amount": 30,
                                                 "idempotency_key": "lot-promo",
                                                 "expires_at": "2098-06-30T12:00:00.5+02:00"})  # fmt: skip
    assert r.status_code == 201 and (r.json()["paid_amount"], r.json()["free_amount"], r.json()["balance"]) == (
        0, 30, 130)  # fmt: skip
    spent = api.post("/wallet/spend", game, json={"user_id": user, "asset_type_id": GOLD, "amount": 50,
                                                  "idempotency_key": "lot-buy"})  # fmt: skip
    assert spent.status_code == 201 and (spent.json()["paid_amount"], spent.json()["free_amount"]) == (20, 30)
    replay = api.post("/wallet/spend", game, json={"user_id": user, "asset_type_id": GOLD, "amount": 50,
                                                   "idempotency_key": "lot-buy"})  # fmt: skip
    assert replay.status_code == 200 and replay.json() == {**spent.json(), "replayed": True}
    gold = next(b for b in api.get("/wallet/balance", game, params={"user_id": user}).json()["balances"]
                if b["asset_type_id"] == GOLD)  # fmt: skip
    assert gold == {"asset_type_id": 1, "asset_code": "GOLD", "balance": 80, "paid": 80, "free": 0, "held": 0,
                    "available": 80, "debt": 0}  # fmt: skip
    newest = api.get("/wallet/transactions", game, params={"user_id": user, "limit": 1}).json()["items"][0]
    assert (newest["amount"], newest["paid_amount"], newest["free_amount"]) == (-50, -20, -30)
    assert (newest["original_entry_id"], newest["hold_id"], newest["unrecovered"]) == (None, None, 0)
    for expires_at in ["2000-01-01T00:00:00Z", "tomorrow", "2099-01-01", "2099-01-01T00:00:00", 4102444800, None]:
        body = {"user_id": user, "asset_type_id": GOLD, "amount": 1, "payment_id": f"bad-{expires_at}",
                "expires_at": expires_at}  # fmt: skip
        assert_problem(api.post("/wallet/topup", payments, json=body), 400, "invalid_request")
    spend = {"user_id": user, "asset_type_id": GOLD, "amount": 1, "idempotency_key": "x"}
    assert_problem(api.post("/wallet/spend", game, json={**spend, "expires_at": "2099-01-01T00:00:00Z"}), 400,
                   "invalid_request")  # fmt: skip
    assert api.balance(user) == 80


def test_assets_are_listed_for_any_valid_token(api):
    for token in (api.user_token(ALICE), api.service_token("finance")):
        r = api.get("/assets", token)
        assert r.status_code == 200, r.text
        assert [(a["asset_type_id"], a["code"], a["spend_order"]) for a in r.json()["items"]] == [
            (1, "GOLD", "free_first"), (2, "POINTS", "free_first")]  # fmt: skip
    assert_problem(api.get("/assets"), 401, "unauthenticated")

"""Refunds and reversals through real HTTP: the payments service refunds a top-up (clamp
and debt, debt shown in the balance and repaid by the next top-up), the game service
reverses a spend, replays, each contract error, and who may not."""

from tests.support import ALICE, assert_problem

GOLD = 1


def post(api, path, client, **body):
    return api.post(path, api.service_token(client), json=body)


def spend(api, user, amount, key):
    return post(api, "/wallet/spend", "game", user_id=user, asset_type_id=GOLD, amount=amount, idempotency_key=key)


def test_refund_with_debt_then_repaid(api, funded_user):
    user = funded_user()
    assert post(api, "/wallet/topup", "payments", user_id=user, asset_type_id=GOLD, amount=100,
                payment_id="pay-r1").status_code == 201  # fmt: skip
    assert spend(api, user, 70, "buy-r1").status_code == 201
    first = post(api, "/wallet/refunds", "payments", user_id=user, payment_id="pay-r1", amount=100,
                 policy="debt", idempotency_key="cb-1")  # fmt: skip
    assert first.status_code == 201, first.text
    body = first.json()
    assert body == {"status": "success", "entry_id": body["entry_id"], "user_id": user, "payment_id": "pay-r1",
                    "amount": 100, "policy": "debt", "recovered": 30, "unrecovered": 70, "balance": 0,
                    "replayed": False}  # fmt: skip
    again = post(api, "/wallet/refunds", "payments", user_id=user, payment_id="pay-r1", amount=100,
                 policy="debt", idempotency_key="cb-1")  # fmt: skip
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**body, "replayed": True}

    gold = api.get("/wallet/balance", api.service_token("payments"), params={"user_id": user}).json()["balances"][0]
    assert (gold["balance"], gold["debt"]) == (0, 70)
    repaid = post(api, "/wallet/topup", "payments", user_id=user, asset_type_id=GOLD, amount=100, payment_id="pay-r2")
    assert (repaid.status_code, repaid.json()["balance"], repaid.json()["paid_amount"]) == (201, 30, 100)
    items = api.get("/wallet/transactions", api.service_token("payments"), params={"user_id": user}).json()["items"]
    assert [(i["kind"], i["amount"]) for i in items[:3]] == [("debt_repayment", -70), ("topup", 100), ("refund", -30)]
    assert items[0]["original_entry_id"] == repaid.json()["entry_id"] and items[2]["unrecovered"] == 70

    assert_problem(post(api, "/wallet/refunds", "payments", user_id=user, payment_id="pay-r1", amount=1,
                        idempotency_key="cb-2"), 409, "exceeds_original")  # fmt: skip
    assert_problem(post(api, "/wallet/refunds", "payments", user_id=user, payment_id="no-such", amount=1,
                        idempotency_key="cb-3"), 404, "original_not_found")  # fmt: skip
    assert_problem(post(api, "/wallet/refunds", "payments", user_id=user, payment_id="pay-r2", amount=1,
                        idempotency_key="cb-1"), 409, "idempotency_key_reused")  # fmt: skip
    assert_problem(post(api, "/wallet/refunds", "payments", user_id=user, payment_id="pay-r2", amount=1,
                        policy="later", idempotency_key="cb-4"), 400, "invalid_request")  # fmt: skip


def test_reversal_gives_a_spend_back(api, funded_user):
    user = funded_user(50)
    assert spend(api, user, 20, "buy-v1").status_code == 201
    first = post(api, "/wallet/reversals", "game", user_id=user, spend_key="buy-v1", amount=15,
                 idempotency_key="undo-1")  # fmt: skip
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("amount", "balance", "replayed", "spend_key")} == {
        "amount": 15, "balance": 45, "replayed": False, "spend_key": "buy-v1"}  # fmt: skip
    again = post(api, "/wallet/reversals", "game", user_id=user, spend_key="buy-v1", amount=15,
                 idempotency_key="undo-1")  # fmt: skip
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}
    assert_problem(post(api, "/wallet/reversals", "game", user_id=user, spend_key="buy-v1", amount=6,
                        idempotency_key="undo-2"), 409, "exceeds_original")  # fmt: skip
    assert_problem(post(api, "/wallet/reversals", "game", user_id=user, spend_key="nothing", amount=1,
                        idempotency_key="undo-3"), 404, "original_not_found")  # fmt: skip
    assert api.balance(user) == 45


def test_who_may_refund_and_reverse(api, funded_user):
    user = funded_user(10)
    assert spend(api, user, 5, "buy-w1").status_code == 201
    refund = {"user_id": user, "payment_id": "x", "amount": 1, "idempotency_key": "w-1"}
    reversal = {"user_id": user, "spend_key": "buy-w1", "amount": 1, "idempotency_key": "w-2"}
    for client in ("rewards", "game"):  # no wallet:refund
        assert_problem(api.post("/wallet/refunds", api.service_token(client), json=refund), 403, "forbidden")
    for client in ("payments", "rewards"):  # no wallet:reverse
        assert_problem(api.post("/wallet/reversals", api.service_token(client), json=reversal), 403, "forbidden")
    user_token = api.user_token(ALICE)  # a user can never, not even on its own wallet
    own = {**refund, "user_id": ALICE}
    assert_problem(api.post("/wallet/refunds", user_token, json=own), 403, "forbidden")
    assert_problem(api.post("/wallet/reversals", user_token, json={**reversal, "user_id": ALICE}), 403, "forbidden")
    assert api.balance(user) == 5

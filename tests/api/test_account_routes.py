"""Account status through real HTTP: support freezes a user with a reason; the user's
spend is 409 account_not_active with account_status; a top-up still lands; support
lifts the freeze and the spend posts; who may not; the bad bodies."""

import uuid

from tests.support import assert_problem


def test_support_freezes_and_lifts_and_the_caller_sees_why(api, funded_user):
    user = funded_user(50)
    support, game = api.service_token("support"), api.service_token("game")
    frozen = api.put(f"/accounts/{user}/status", support, json={"status": "frozen", "reason": "chargeback review"})
    assert frozen.status_code == 200, frozen.text
    assert frozen.json() == {"user_id": user, "status": "frozen", "previous_status": "active",
                             "reason": "chargeback review"}  # fmt: skip
    spend = {"user_id": user, "asset_type_id": 1, "amount": 5, "idempotency_key": f"s-{uuid.uuid4()}"}
    problem = assert_problem(api.post("/wallet/spend", game, json=spend), 409, "account_not_active")
    assert problem["account_status"] == "frozen"
    topup = {"user_id": user, "asset_type_id": 1, "amount": 5, "payment_id": f"p-{uuid.uuid4()}"}
    assert api.post("/wallet/topup", api.service_token("payments"), json=topup).status_code == 201
    lifted = api.put(f"/accounts/{user}/status", support, json={"status": "active", "reason": "cleared"})
    assert lifted.status_code == 200 and lifted.json()["previous_status"] == "frozen"
    assert api.post("/wallet/spend", game, json=spend).status_code == 201


def test_who_may_set_a_status_and_what_it_refuses(api, funded_user):
    user = funded_user(0)
    body = {"status": "frozen", "reason": "x"}
    assert_problem(api.put(f"/accounts/{user}/status", api.service_token("game"), json=body), 403, "forbidden")
    support = api.service_token("support")
    assert_problem(api.put(f"/accounts/{user}/status", support, json={**body, "status": "erased"}), 400,
                   "invalid_request")  # fmt: skip
    assert_problem(api.put(f"/accounts/{user}/status", support, json={**body, "reason": ""}), 400, "invalid_request")
    assert_problem(api.put(f"/accounts/{uuid.uuid4()}/status", support, json=body), 404, "account_not_found")
    assert api.put("/accounts/not-a-uuid/status", support, json=body).status_code == 404


def test_support_sets_a_daily_limit_and_the_caller_sees_what_remains(api, funded_user):
    user = funded_user(100)
    support, game = api.service_token("support"), api.service_token("game")
    limits = api.put(f"/accounts/{user}/limits", support, json={"asset_type_id": 1, "daily_spend_limit": 50})
    assert limits.status_code == 200, limits.text
    gold = next(item for item in limits.json()["limits"] if item["asset_type_id"] == 1)
    assert gold == {"asset_type_id": 1, "asset_code": "GOLD", "max_balance": None, "daily_spend_limit": 50,
                    "spent_today": 0}  # fmt: skip
    spend = {"user_id": user, "asset_type_id": 1, "amount": 30, "idempotency_key": f"s-{uuid.uuid4()}"}
    assert api.post("/wallet/spend", game, json=spend).status_code == 201
    problem = assert_problem(api.post("/wallet/spend", game, json={**spend, "idempotency_key": f"s-{uuid.uuid4()}"}),
                             422, "spend_limit_exceeded")  # fmt: skip
    assert problem["remaining"] == 20
    seen = api.get(f"/accounts/{user}", game).json()
    assert next(i for i in seen["limits"] if i["asset_type_id"] == 1)["spent_today"] == 30
    assert seen["status"] == "active" and seen["user_id"] == user
    capped = api.put(f"/accounts/{user}/limits", support, json={"asset_type_id": 1, "max_balance": 80})
    assert capped.status_code == 200, capped.text
    topup = {"user_id": user, "asset_type_id": 1, "amount": 11, "payment_id": f"p-{uuid.uuid4()}"}
    assert_problem(api.post("/wallet/topup", api.service_token("payments"), json=topup), 422, "balance_limit_exceeded")
    assert_problem(api.put(f"/accounts/{user}/limits", game, json={"asset_type_id": 1}), 403, "forbidden")
    assert_problem(api.get(f"/accounts/{user}", api.service_token("payments")), 403, "forbidden")

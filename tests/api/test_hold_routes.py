"""Holds through real HTTP: a user holds on its own wallet and voids; the game service
holds, captures part, replays; hold_not_open carries the state; listing by state; who
may not."""

from tests.support import ALICE, BOB, assert_problem

GOLD = 1


def hold(api, token, **body):
    return api.post("/wallet/holds", token, json=body)


def test_user_holds_and_voids_on_its_own_wallet(api):
    token = api.user_token(ALICE)
    before = api.get("/wallet/balance", token).json()["balances"][0]
    made = hold(api, token, asset_type_id=GOLD, amount=7, idempotency_key="hold-alice-1", expires_in_seconds=60)
    assert made.status_code == 201, made.text
    body = made.json()
    assert {k: body[k] for k in ("user_id", "asset_type_id", "amount", "available", "state", "replayed")} == {
        "user_id": ALICE, "asset_type_id": GOLD, "amount": 7, "available": before["available"] - 7,
        "state": "open", "replayed": False}  # fmt: skip
    again = hold(api, token, asset_type_id=GOLD, amount=7, idempotency_key="hold-alice-1", expires_in_seconds=60)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**body, "replayed": True}

    during = api.get("/wallet/balance", token).json()["balances"][0]
    assert (during["balance"], during["held"], during["available"]) == (
        before["balance"], before["held"] + 7, before["available"] - 7)  # fmt: skip
    listed = api.get("/wallet/holds", token).json()
    assert [i["hold_id"] for i in listed["items"] if i["idempotency_key"] == "hold-alice-1"] == [body["hold_id"]]

    voided = api.post(f"/wallet/holds/{body['hold_id']}/void", token)  # no body at all
    assert voided.status_code == 200, voided.text
    assert voided.json() == {"status": "success", "hold_id": body["hold_id"], "user_id": ALICE,
                             "available": before["available"], "state": "voided"}  # fmt: skip
    assert api.post(f"/wallet/holds/{body['hold_id']}/void", token, json={}).json()["state"] == "voided"
    problem = assert_problem(
        api.post(f"/wallet/holds/{body['hold_id']}/capture", token, json={}, headers={"Idempotency-Key": "cap-a1"}),
        409, "hold_not_open")  # fmt: skip
    assert problem["state"] == "voided"
    voided_list = api.get("/wallet/holds", token, params={"state": "voided"}).json()["items"]
    assert body["hold_id"] in [i["hold_id"] for i in voided_list]

    # another user's hold is not found for Alice; Bob cannot name Alice
    assert_problem(api.post(f"/wallet/holds/{body['hold_id']}/void", api.user_token(BOB)), 404, "hold_not_found")
    assert_problem(hold(api, api.user_token(BOB), user_id=ALICE, asset_type_id=GOLD, amount=1,
                        idempotency_key="hold-bob-1"), 403, "forbidden")  # fmt: skip


def test_service_holds_captures_part_and_replays(api, funded_user):
    user = funded_user(100)
    game = api.service_token("game")
    made = hold(api, game, user_id=user, asset_type_id=GOLD, amount=60, idempotency_key="fee-1")
    assert made.status_code == 201, made.text
    hold_id = made.json()["hold_id"]
    assert made.json()["available"] == 40
    assert_problem(hold(api, game, user_id=user, asset_type_id=GOLD, amount=41, idempotency_key="fee-2"),
                   422, "insufficient_funds")  # fmt: skip
    spend = {"user_id": user, "asset_type_id": GOLD, "amount": 41, "idempotency_key": "buy-1"}
    assert_problem(api.post("/wallet/spend", game, json=spend), 422, "insufficient_funds")
    spend_keyed_like_hold = {**spend, "amount": 1, "idempotency_key": "fee-1"}
    assert_problem(api.post("/wallet/spend", game, json=spend_keyed_like_hold), 409, "idempotency_key_reused")

    path = f"/wallet/holds/{hold_id}/capture"
    assert_problem(api.post(path, game, json={"user_id": user, "amount": 61, "idempotency_key": "cap-1"}),
                   409, "exceeds_original")  # fmt: skip
    captured = api.post(path, game, json={"user_id": user, "amount": 45, "idempotency_key": "cap-1"})
    assert captured.status_code == 201, captured.text
    body = captured.json()
    assert body == {"status": "success", "entry_id": body["entry_id"], "hold_id": hold_id, "user_id": user,
                    "amount": 45, "balance": 55, "replayed": False, "paid_amount": 45, "free_amount": 0}  # fmt: skip
    again = api.post(path, game, json={"user_id": user, "amount": 45}, headers={"Idempotency-Key": "cap-1"})
    assert again.status_code == 200 and again.json() == {**body, "replayed": True}
    problem = assert_problem(api.post(path, game, json={"user_id": user, "idempotency_key": "cap-2"}),
                             409, "hold_not_open")  # fmt: skip
    assert problem["state"] == "captured"
    assert_problem(api.post(f"/wallet/holds/{hold_id}/void", game, json={"user_id": user}), 409, "hold_not_open")

    gold = api.get("/wallet/balance", game, params={"user_id": user}).json()["balances"][0]
    assert (gold["balance"], gold["held"], gold["available"]) == (55, 0, 55)
    items = api.get("/wallet/transactions", game, params={"user_id": user}).json()["items"]
    assert (items[0]["kind"], items[0]["amount"], items[0]["hold_id"]) == ("spend", -45, hold_id)
    listed = api.get("/wallet/holds", game, params={"user_id": user, "state": "all"}).json()["items"]
    assert [(i["state"], i["amount"], i["captured_amount"]) for i in listed] == [("captured", 60, 45)]


def test_hold_errors_and_who_may_not(api, funded_user):
    user = funded_user(10)
    game = api.service_token("game")
    assert_problem(hold(api, game, user_id=user, asset_type_id=GOLD, amount=1, idempotency_key="h-x",
                        expires_in_seconds=0), 400, "invalid_request")  # fmt: skip
    assert_problem(hold(api, game, user_id=user, asset_type_id=GOLD, amount=1, idempotency_key="h-x",
                        expires_in_seconds=7 * 24 * 3600 + 1), 400, "invalid_request")  # fmt: skip
    assert_problem(hold(api, game, asset_type_id=GOLD, amount=1, idempotency_key="h-x"), 400, "invalid_request")
    for client in ("payments", "rewards", "finance"):  # no wallet:hold
        assert_problem(hold(api, api.service_token(client), user_id=user, asset_type_id=GOLD, amount=1,
                            idempotency_key="h-y"), 403, "forbidden")  # fmt: skip
    assert_problem(api.post("/wallet/holds/999999999/capture", game, json={"user_id": user, "idempotency_key": "c"}),
                   404, "hold_not_found")  # fmt: skip
    assert_problem(api.post(f"/wallet/holds/{2**63}/void", game, json={"user_id": user}), 404, "hold_not_found")
    assert_problem(api.get("/wallet/holds", game, params={"user_id": user, "state": "pending"}), 400,
                   "invalid_request")  # fmt: skip
    assert_problem(api.get("/wallet/holds", api.service_token("payments"), params={"user_id": user, "state": "x"}),
                   400, "invalid_request")  # fmt: skip
    assert api.get("/wallet/holds", api.service_token("finance"), params={"user_id": user}).json()["items"] == []
    assert api.balance(user) == 10

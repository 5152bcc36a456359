"""Previews through real HTTP (?dry_run=true): a spend, a hold, a transfer and an exchange
answer 200 with what the call would answer now and "dry_run": true (the ids a new write
would get null), or the refusal it would get, and write nothing: the balance and the key
are as before, and the real call afterwards is a new one (201)."""

import uuid

from tests.support import assert_problem

GOLD, POINTS = 1, 2


def test_a_spend_and_a_hold_previewed_write_nothing(api, funded_user):
    user = funded_user(100)
    game = api.service_token("game")
    spend = {"user_id": user, "asset_type_id": GOLD, "amount": 30, "idempotency_key": "pv-spend-1"}
    preview = api.post("/wallet/spend?dry_run=true", game, json=spend)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"status": "success", "entry_id": None, "user_id": user, "asset_type_id": GOLD,
                              "amount": 30, "balance": 70, "replayed": False, "paid_amount": 30, "free_amount": 0,
                              "dry_run": True}  # fmt: skip
    assert api.balance(user) == 100
    assert_problem(
        api.post("/wallet/spend?dry_run=true", game, json={**spend, "amount": 101}), 422, "insufficient_funds"
    )
    real = api.post("/wallet/spend", game, json=spend)
    assert real.status_code == 201 and real.json()["balance"] == 70, real.text
    replay = api.post("/wallet/spend?dry_run=true", game, json=spend)
    assert replay.status_code == 200 and replay.json()["entry_id"] == real.json()["entry_id"]
    assert replay.json()["replayed"] is True and replay.json()["dry_run"] is True

    hold = {"user_id": user, "asset_type_id": GOLD, "amount": 50, "idempotency_key": "pv-hold-1"}
    held = api.post("/wallet/holds?dry_run=true", game, json=hold)
    assert held.status_code == 200 and held.json()["hold_id"] is None and held.json()["available"] == 20, held.text
    balance = next(b for b in api.get("/wallet/balance", game, params={"user_id": user}).json()["balances"]
                   if b["asset_type_id"] == GOLD)  # fmt: skip
    assert (balance["held"], balance["available"]) == (0, 70)
    assert_problem(api.post("/wallet/spend?dry_run=maybe", game, json=spend), 400, "invalid_request")


def test_a_transfer_and_an_exchange_previewed_write_nothing(api, funded_user):
    sender, recipient = funded_user(20), funded_user(0)
    game = api.service_token("game")
    exchange = {"user_id": sender, "from_asset_type_id": GOLD, "to_asset_type_id": POINTS, "amount": 2,
                "idempotency_key": f"pv-x-{uuid.uuid4()}"}  # fmt: skip
    preview = api.post("/wallet/exchanges?dry_run=true", game, json=exchange)
    assert preview.status_code == 200, preview.text
    assert (preview.json()["entry_id"], preview.json()["to_entry_id"], preview.json()["to_amount"]) == (None, None, 20)
    assert api.balance(sender, POINTS) == 0
    assert api.post("/wallet/exchanges", game, json=exchange).status_code == 201
    transfer = {"from_user_id": sender, "to_user_id": recipient, "asset_type_id": POINTS, "amount": 15, "fee": 1,
                "idempotency_key": f"pv-t-{uuid.uuid4()}"}  # fmt: skip
    previewed = api.post("/wallet/transfers?dry_run=true", game, json=transfer)
    assert previewed.status_code == 200, previewed.text
    assert (previewed.json()["balance"], previewed.json()["to_balance"], previewed.json()["dry_run"]) == (4, 15, True)
    assert (api.balance(sender, POINTS), api.balance(recipient, POINTS)) == (20, 0)
    assert_problem(api.post("/wallet/transfers?dry_run=true", game, json={**transfer, "amount": 20}),
                   422, "insufficient_funds")  # fmt: skip
    assert api.post("/wallet/transfers", game, json=transfer).status_code == 201

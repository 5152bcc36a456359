"""Transfers and exchanges through real HTTP, with the dev seed's policies (GOLD
free_only, POINTS all) and rate (1 GOLD buys 10 POINTS): the game service gives free
credit from one user to another with a fee and replays; paid GOLD does not move; a user
cannot transfer; a user exchanges on its own wallet; who may not; the rates and the
assets' policies are listed."""

import uuid

from tests.support import ALICE, assert_problem

GOLD, POINTS = 1, 2


def bonus(api, user_id: str, amount: int) -> None:
    body = {"user_id": user_id, "asset_type_id": GOLD, "amount": amount, "idempotency_key": f"b-{uuid.uuid4()}"}
    r = api.post("/wallet/bonus", api.service_token("rewards"), json=body)
    assert r.status_code == 201, r.text


def test_the_game_gives_free_credit_with_a_fee_and_replays(api, funded_user):
    sender, recipient = funded_user(100), funded_user(0)  # the sender: 100 paid GOLD, then 40 free
    bonus(api, sender, 40)
    game = api.service_token("game")
    body = {"from_user_id": sender, "to_user_id": recipient, "asset_type_id": GOLD, "amount": 30, "fee": 5,
            "idempotency_key": "gift-http-1", "metadata": {"note": "gg"}}  # fmt: skip
    made = api.post("/wallet/transfers", game, json=body)
    assert made.status_code == 201, made.text
    assert made.json() == {
        "status": "success", "entry_id": made.json()["entry_id"], "from_user_id": sender, "to_user_id": recipient,
        "asset_type_id": GOLD, "amount": 30, "fee": 5, "balance": 105, "to_entry_id": made.json()["to_entry_id"],
        "to_balance": 30, "paid_amount": 0, "free_amount": 30, "replayed": False}  # fmt: skip
    again = api.post("/wallet/transfers", game, json=body)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**made.json(), "replayed": True}
    assert_problem(api.post("/wallet/transfers", game, json={**body, "fee": 6}), 409, "idempotency_key_reused")

    # GOLD is free_only: the sender's 100 paid GOLD stay
    assert_problem(api.post("/wallet/transfers", game, json={**body, "amount": 10, "fee": 0,
                                                             "idempotency_key": "gift-http-2"}),
                   422, "insufficient_funds")  # fmt: skip
    received = api.get("/wallet/balance", game, params={"user_id": recipient}).json()["balances"]
    gold = [(b["balance"], b["paid"], b["free"]) for b in received if b["asset_type_id"] == GOLD]
    assert gold == [(30, 0, 30)]
    kinds = [i["kind"] for i in api.get("/wallet/transactions", game, params={"user_id": sender}).json()["items"]]
    assert kinds[:2] == ["fee", "transfer_out"]


def test_who_may_transfer(api, funded_user):
    sender, recipient = funded_user(10), funded_user(0)
    body = {"from_user_id": sender, "to_user_id": recipient, "asset_type_id": POINTS, "amount": 1,
            "idempotency_key": "gift-who-1"}  # fmt: skip
    assert_problem(api.post("/wallet/transfers", api.user_token(ALICE), json={**body, "from_user_id": ALICE}),
                   403, "forbidden")  # fmt: skip
    assert_problem(api.post("/wallet/transfers", api.service_token("payments"), json=body), 403, "forbidden")
    assert_problem(api.post("/wallet/transfers", api.service_token("game"), json={**body, "to_user_id": sender}),
                   400, "invalid_request")  # fmt: skip
    assert_problem(api.post("/wallet/transfers", api.service_token("game"), json={**body, "fee": -1}),
                   400, "invalid_amount")  # fmt: skip
    assert_problem(api.post("/wallet/transfers", api.service_token("game"),
                            json={**body, "to_user_id": str(uuid.uuid4())}), 404, "account_not_found")  # fmt: skip


def test_a_user_exchanges_on_its_own_wallet(api, funded_user):
    user = funded_user(25)
    game = api.service_token("game")
    body = {"user_id": user, "from_asset_type_id": GOLD, "to_asset_type_id": POINTS, "amount": 3,
            "idempotency_key": "ex-http-1"}  # fmt: skip
    made = api.post("/wallet/exchanges", game, json=body)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert {k: answer[k] for k in ("user_id", "amount", "balance", "to_amount", "to_balance", "paid_amount",
                                   "free_amount", "replayed")} == {
        "user_id": user, "amount": 3, "balance": 22, "to_amount": 30, "to_balance": 30, "paid_amount": 3,
        "free_amount": 0, "replayed": False}  # fmt: skip
    assert api.post("/wallet/exchanges", game, json=body).json() == {**answer, "replayed": True}
    assert_problem(api.post("/wallet/exchanges", game, json={**body, "from_asset_type_id": POINTS,
                                                             "to_asset_type_id": GOLD, "idempotency_key": "ex-http-2"}),
                   422, "operation_not_allowed")  # fmt: skip
    assert_problem(api.post("/wallet/exchanges", api.service_token("payments"), json=body), 403, "forbidden")

    alice = api.user_token(ALICE)
    mine = {
        "from_asset_type_id": GOLD,
        "to_asset_type_id": POINTS,
        "amount": 1,
        "idempotency_key": f"ex-{uuid.uuid4()}",
    }
    own = api.post("/wallet/exchanges", alice, json=mine)
    assert own.status_code == 201, own.text
    assert own.json()["user_id"] == ALICE and own.json()["to_amount"] == 10
    assert_problem(api.post("/wallet/exchanges", alice, json={**body, "idempotency_key": "ex-alice-x"}), 403,
                   "forbidden")  # fmt: skip


def test_rates_and_policies_are_listed(api):
    token = api.user_token(ALICE)
    rates = api.get("/exchange-rates", token)
    assert rates.status_code == 200, rates.text
    assert {"from_asset_type_id": GOLD, "to_asset_type_id": POINTS, "numerator": 10, "denominator": 1} in rates.json()[
        "items"]  # fmt: skip
    policies = {a["code"]: a["transfer_policy"] for a in api.get("/assets", token).json()["items"]}
    assert policies == {"GOLD": "free_only", "POINTS": "all"}
    assert api.get("/exchange-rates").status_code == 401

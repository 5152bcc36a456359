"""Statements and the outstanding-credit report through real HTTP: JSON and CSV, who
may read what, bad periods refused."""

import csv
import io
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from tests.support import ALICE, BOB, assert_problem

GOLD = 1


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_statement_shows_opening_entries_and_closing_as_json_and_csv(api, funded_user):
    user = funded_user(100)
    time.sleep(0.01)
    start = datetime.now(UTC)
    time.sleep(0.01)
    game, payments = api.service_token("game"), api.service_token("payments")
    spend = {
        "user_id": user,
        "asset_type_id": GOLD,
        "amount": 30,
        "idempotency_key": "st-1",
        "metadata": {"item": "axe"},
    }
    assert api.post("/wallet/spend", game, json=spend).status_code == 201
    assert api.post("/wallet/topup", payments, json={"user_id": user, "asset_type_id": GOLD, "amount": 5,
                                                     "payment_id": "st-pay"}).status_code == 201  # fmt: skip
    time.sleep(0.01)
    end = datetime.now(UTC)
    params = {"user_id": user, "from": iso(start), "to": iso(end)}
    r = api.get("/wallet/statement", game, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    gold = lambda rows: next(b for b in rows if b["asset_type_id"] == GOLD)  # noqa: E731
    assert (gold(body["opening"])["balance"], gold(body["closing"])["balance"]) == (100, 75)
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in body["entries"]] == [("spend", -30, 70),
                                                                                       ("topup", 5, 75)]  # fmt: skip
    assert body["entries"][0]["metadata"] == {"item": "axe"} and body["user_id"] == user

    r = api.get("/wallet/statement", game, params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["line"], row["asset_code"], row["amount"], row["balance"]) for row in lines
            if row["asset_type_id"] == str(GOLD)] == [
        ("opening", "GOLD", "", "100"), ("entry", "GOLD", "-30", "70"), ("entry", "GOLD", "5", "75"),
        ("closing", "GOLD", "", "75")]  # fmt: skip

    # the day before: the funding top-up alone, from nothing
    early = api.get(
        "/wallet/statement", game, params={**params, "from": iso(start - timedelta(days=1)), "to": iso(start)}
    ).json()
    assert [(e["kind"], e["amount"]) for e in early["entries"]] == [("topup", 100)]
    assert (gold(early["opening"])["balance"], gold(early["closing"])["balance"]) == (0, 100)


def test_statement_refusals(api, funded_user):
    user = funded_user(10)
    now = datetime.now(UTC)
    alice = api.user_token(ALICE)
    period = {"from": iso(now - timedelta(days=1)), "to": iso(now)}
    assert api.get("/wallet/statement", alice, params=period).status_code == 200  # a user's own
    assert_problem(api.get("/wallet/statement", alice, params={**period, "user_id": BOB}), 403, "forbidden")
    game = api.service_token("game")
    assert_problem(api.get("/wallet/statement", game, params={**period, "user_id": user,
                                                              "from": period["to"], "to": period["from"]}),
                   400, "invalid_request")  # fmt: skip
    vague = {"user_id": user, "from": "yesterday", "to": period["to"]}
    assert_problem(api.get("/wallet/statement", game, params=vague), 400, "invalid_request")
    assert_problem(api.get("/wallet/statement", game, params={"user_id": user}), 400, "invalid_request")
    stranger = {**period, "user_id": "7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44"}
    assert_problem(api.get("/wallet/statement", game, params=stranger), 404, "account_not_found")


def test_outstanding_for_finance_only(api, funded_user):
    finance = api.service_token("finance")
    before = api.get("/reports/outstanding", finance)
    assert before.status_code == 200, before.text
    gold_before = next(i for i in before.json()["items"] if i["asset_code"] == "GOLD")
    funded_user(40)
    after = next(i for i in api.get("/reports/outstanding", finance).json()["items"] if i["asset_code"] == "GOLD")
    assert after["paid"] - gold_before["paid"] == 40 and after["paid_wallets"] - gold_before["paid_wallets"] == 1
    # the same figures rebuilt from the ledger for a moment just past
    past = api.get("/reports/outstanding", finance, params={"at": iso(datetime.now(UTC) - timedelta(milliseconds=1))})
    assert past.status_code == 200 and next(i for i in past.json()["items"] if i["asset_code"] == "GOLD") == after
    long_ago = api.get("/reports/outstanding", finance, params={"at": "2000-01-01T00:00:00Z"}).json()
    assert all(i["paid"] == i["free"] == i["paid_wallets"] == 0 for i in long_ago["items"])
    for token in (api.user_token(ALICE), api.service_token("payments")):
        assert_problem(api.get("/reports/outstanding", token), 403, "forbidden")
    assert_problem(api.get("/reports/outstanding", finance, params={"at": "soon"}), 400, "invalid_request")


def test_outstanding_past_bigint_is_exact_now_and_in_the_past(api, connect):
    """Two wallets of 600 x (2^53 - 1) POINTS (a trusted top-up service can make them):
    the report's sums pass 2^63 and come back exact, for now and for a past moment."""
    finance = api.service_token("finance")

    def points(params=None) -> dict:
        r = api.get("/reports/outstanding", finance, params=params or {})
        assert r.status_code == 200, r.text
        return next(i for i in json.loads(r.text)["items"] if i["asset_code"] == "POINTS")  # ints, never floats

    before = points()
    conn = connect()
    users = [str(uuid.uuid4()) for _ in range(2)]
    for user in users:
        conn.execute("SELECT wallet_open_account(%s, 'big')", (user,))
        conn.execute("SELECT count(*) FROM generate_series(1, 600) n,"
                     " LATERAL wallet_topup(%s, 2, 9007199254740991, 'big-' || n)", (user,))  # fmt: skip
    between = datetime.now(UTC)
    time.sleep(0.01)
    now, past = points(), points({"at": iso(between)})
    added = 2 * 600 * (2**53 - 1)
    assert added > 2**63
    assert now["paid"] - before["paid"] == added and isinstance(now["paid"], int)
    assert past == now


def test_reconciliation_for_finance_only(api, funded_user):
    """A provider's records as CSV against the ledger: each kind of difference, for the
    users of this test (the database holds other tests' top-ups in the period too)."""
    finance = api.service_token("finance")
    start = iso(datetime.now(UTC) - timedelta(seconds=1))
    agreed, short, unknown = funded_user(100), funded_user(50), funded_user(30)
    refunded = funded_user(40)
    refund = {"user_id": refunded, "payment_id": f"fund-{refunded}", "amount": 10, "idempotency_key": "rf-1"}
    r = api.post("/wallet/refunds", api.service_token("payments"), json=refund)
    assert r.status_code == 201, r.text
    missing = funded_user()
    records = "payment_id,user_id,amount,refunded\r\n" + "".join(
        f"fund-{user},{user},{amount},{refund}\r\n"
        for user, amount, refund in ((agreed, 100, ""), (short, 60, ""), (refunded, 40, 0), (missing, 70, 0))
    )
    end = iso(datetime.now(UTC) + timedelta(seconds=1))
    r = api.post("/reports/reconciliation", finance, params={"from": start, "to": end}, data=records.encode(),
                 headers={"Content-Type": "text/csv"})  # fmt: skip
    assert r.status_code == 200, r.text
    mine = {agreed, short, unknown, refunded, missing}
    found = sorted(
        (i["issue"], i["user_id"], i["expected"], i["found"]) for i in r.json()["items"] if i["user_id"] in mine
    )
    assert found == sorted([("amount_differs", short, 60, 50), ("unknown_topup", unknown, None, 30),
                            ("refund_differs", refunded, 0, 10), ("missing_topup", missing, 70, None)])  # fmt: skip
    assert r.json()["payments"] == 4
    for token in (api.user_token(ALICE), api.service_token("payments")):
        assert_problem(api.post("/reports/reconciliation", token, params={"from": start, "to": end}, data=records,
                                headers={"Content-Type": "text/csv"}), 403, "forbidden")  # fmt: skip
    assert_problem(api.post("/reports/reconciliation", finance, params={"from": start, "to": end}, json=[]),
                   415, "unsupported_media_type")  # fmt: skip
    assert_problem(api.post("/reports/reconciliation", finance, params={"from": start, "to": end},
                            data="payment,who\r\n1,2\r\n", headers={"Content-Type": "text/csv"}),
                   400, "invalid_request")  # fmt: skip
    big = "payment_id,user_id,amount\r\n" + f"p,{agreed},1\r\n" * 400_000  # 5.6 MB
    assert_problem(api.post("/reports/reconciliation", finance, params={"from": start, "to": end}, data=big,
                            headers={"Content-Type": "text/csv"}), 413, "payload_too_large")  # fmt: skip

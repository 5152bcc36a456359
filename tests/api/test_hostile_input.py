"""Input an attacker or a careless caller sends, each answered with a clear 4xx that
writes nothing and logs no traceback: metadata nested deep, formulas in statement cells,
a repeated Idempotency-Key, timestamps without an offset, an ambiguous body length."""

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import ALICE, assert_problem
from wallet_api.wallet import STATEMENT_CSV_COLUMNS, _csv_safe

GOLD = 1


def nested(depth: int) -> str:
    """The JSON text of an object nested `depth` deep, the outermost counted as the first."""
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def test_metadata_nested_past_32_is_400_and_logs_no_traceback(api, funded_user, server_log):
    user = funded_user(gold=100)
    token = api.service_token("game")
    before = server_log.stat().st_size
    for depth, status in [(32, 201), (33, 400), (400, 400), (2_000, 400)]:
        body = f'{{"user_id":"{user}","asset_type_id":{GOLD},"amount":1,"metadata":{nested(depth)}}}'
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"deep-{depth}"}
        r = api.post("/wallet/spend", token, data=body, headers=headers)
        assert r.status_code == status, (depth, r.text[:300])
        if status == 400:
            assert_problem(r, 400, "invalid_request")
            assert "32 deep" in r.text or depth >= 2_000, r.text[:300]
    # a body as deep as 64 KiB allows ([[[[...) is refused too
    r = api.post("/wallet/spend", token, data="[" * 60_000, headers={"Content-Type": "application/json",
                                                                     "Idempotency-Key": "deep-body"})  # fmt: skip
    assert_problem(r, 400, "invalid_request")
    assert api.balance(user) == 99  # only the 32-deep spend posted
    time.sleep(0.3)  # the server writes its log asynchronously
    with open(server_log, "rb") as log:
        log.seek(before)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written and "RecursionError" not in written
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    assert [line["status"] for line in lines if line.get("route") == "/wallet/spend"].count(400) >= 4


# keys are visible ASCII without spaces
FORMULAS = ['=HYPERLINK("http://evil.example","x")-969d', "+cmd|'/C_calc'!A0", "-2+3+cmd|'/C_calc'!A0",
            "@SUM(1+1)*cmd|'/C_calc'!A0"]  # fmt: skip


def test_statement_csv_neutralises_formulas_in_every_text_cell(api):
    """A user's own idempotency keys shaped as formulas come back as text in the CSV
    (a leading single quote); amounts stay numbers."""
    alice = api.user_token(ALICE)
    start = datetime.now(UTC) - timedelta(seconds=1)
    run = str(time.time_ns())
    for n, formula in enumerate(FORMULAS):
        r = api.post("/wallet/spend", alice, json={"asset_type_id": GOLD, "amount": 1, "metadata": {"f": formula}},
                     headers={"Idempotency-Key": f"{formula}{run}"})  # fmt: skip
        assert r.status_code == 201, (n, r.text)
    params = {"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()}
    r = api.get("/wallet/statement", alice, params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    rows = [row for row in csv.DictReader(io.StringIO(r.text)) if row["line"] == "entry"]
    keys = [row["idempotency_key"] for row in rows][-len(FORMULAS) :]
    assert keys == [f"'{formula}{run}" for formula in FORMULAS]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row.values()), row
        assert row["amount"] == "-1"  # a number, not neutralised


@pytest.mark.parametrize("column", STATEMENT_CSV_COLUMNS)
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_column_is_neutralised_for_every_formula_start(column, start):
    cell = f"{start}1+1"
    assert _csv_safe({column: cell, "amount": -5}) == {column: f"'{cell}", "amount": -5}
    assert _csv_safe({column: "plain"}) == {column: "plain"}

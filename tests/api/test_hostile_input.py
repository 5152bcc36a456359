"""Input an attacker or a careless caller sends, each answered with a clear 4xx that
writes nothing and logs no traceback: metadata nested deep, formulas in statement cells,
a repeated Idempotency-Key, timestamps without an offset, an ambiguous body length."""

import csv
import io
import json
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import ALICE, assert_problem
from wallet_api.reports import STATEMENT_CSV_COLUMNS, _csv_safe

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
        r = api.post("/wallet/spend", alice, json={"asset_type_id": GOLD, "amount": 1, "metadata": {"f": formula},
                                                   "idempotency_key": f"{formula}{run}"})  # fmt: skip
        assert r.status_code == 201, (n, r.text)
    params = {"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()}
    r = api.get("/wallet/statement", alice, params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    rows = [row for row in csv.DictReader(io.StringIO(r.text)) if row["line"] == "entry"]
    ours = [row for row in rows if row["idempotency_key"].endswith(run)]  # other tests post to Alice too
    assert [row["idempotency_key"] for row in ours] == [f"'{formula}{run}" for formula in FORMULAS]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row.values()), row
    assert {row["amount"] for row in ours} == {"-1"}  # a number, not neutralised


@pytest.mark.parametrize("column", STATEMENT_CSV_COLUMNS)
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_column_is_neutralised_for_every_formula_start(column, start):
    cell = f"{start}1+1"
    assert _csv_safe({column: cell, "amount": -5}) == {column: f"'{cell}", "amount": -5}
    assert _csv_safe({column: "plain"}) == {column: "plain"}


def raw_request(base: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Sends bytes as they are (no client library tidies them) and reads the status line."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def test_a_repeated_idempotency_key_header_is_400(api, funded_user):
    user = funded_user(gold=10)
    token = api.service_token("game")
    body = json.dumps({"user_id": user, "asset_type_id": GOLD, "amount": 1})
    head = (f"POST /wallet/spend HTTP/1.1\nHost: x\nAuthorization: Bearer {token}\nContent-Type: application/json\n"
            f"Idempotency-Key: a\nIdempotency-Key: b\nContent-Length: {len(body)}\nConnection: close\n")  # fmt: skip
    status, answer = raw_request(api.base, head, body.encode())
    assert status == 400, answer
    assert api.balance(user) == 10


def test_content_length_with_transfer_encoding_never_smuggles_a_request(api, funded_user):
    """Both framings at once, with a second spend hidden behind the chunked body. The
    API refuses such a request when its server passes both on (api/wallet_api: 400);
    granian drops Content-Length itself (Transfer-Encoding wins, RFC 9112 6.3) and closes
    the connection after answering; either way the hidden request never runs."""
    user = funded_user(gold=10)
    token = api.service_token("game")
    first = json.dumps({"user_id": user, "asset_type_id": GOLD, "amount": 1, "idempotency_key": "cl-te"}).encode()
    hidden = json.dumps({"user_id": user, "asset_type_id": GOLD, "amount": 5, "idempotency_key": "hidden"}).encode()
    chunked = f"{len(first):x}\r\n".encode() + first + b"\r\n0\r\n\r\n"
    smuggled = (
        f"POST /wallet/spend HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(hidden)}\r\n\r\n"
    ).encode() + hidden
    head = (f"POST /wallet/spend HTTP/1.1\nHost: x\nAuthorization: Bearer {token}\nContent-Type: application/json\n"
            f"Content-Length: {len(first)}\nTransfer-Encoding: chunked\n")  # fmt: skip
    host, port = api.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + chunked + smuggled)
        answer = b""
        while chunk := conn.recv(65536):  # read until the server closes the connection
            answer += chunk
    assert answer.count(b"HTTP/1.1 ") == 1, answer  # one answer, then closed
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 201")), answer
    assert b"connection: close" in answer.lower()
    assert api.balance(user) in (10, 9)  # the hidden spend of 5 never ran


@pytest.mark.parametrize("at", ["2026-12-06", "2026-12-06T10:00:00", "2026-12-06 10:00:00"])
def test_query_timestamps_need_an_offset(api, at):
    finance = api.service_token("finance")
    assert_problem(api.get("/reports/outstanding", finance, params={"at": at}), 400, "invalid_request")
    alice = api.user_token(ALICE)
    r = api.get("/wallet/statement", alice, params={"from": at, "to": "2026-12-07T00:00:00Z"})
    assert_problem(r, 400, "invalid_request")
    assert api.get("/reports/outstanding", finance, params={"at": "2026-12-06T10:00:00+01:00"}).status_code == 200


def test_every_answer_says_nosniff_and_the_docs_page_has_a_strict_policy(api):
    for path in ("/healthz", "/openapi.json", "/wallet/balance", "/nowhere", "/docs", "/docs/swagger-ui.css"):
        assert api.get(path).headers.get("X-Content-Type-Options") == "nosniff", path
    policy = api.get("/docs").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["frame-ancestors"] == "'none'" and directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "<script>" not in api.get("/docs").text  # no inline script to allow
    assert "frame-ancestors 'none'" in api.get("/healthz").headers["Content-Security-Policy"]


def test_the_api_refuses_both_framings_when_its_server_passes_them_on(server_env):
    """gunicorn refuses such a request itself and granian drops Content-Length; a WSGI
    server that passes both to the API gets a 400 that closes the connection."""
    from wallet_api import create_app
    from wallet_api.config import Settings

    app = create_app(Settings(database_url=server_env["DATABASE_URL"], jwt_secret_key="x" * 32, pool_min_size=0))
    try:
        r = app.test_client().post("/wallet/spend", data=b"{}", headers={"Content-Type": "application/json"},
                                   environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked"})  # fmt: skip
    finally:
        app.extensions["wallet_db"].close()
    assert r.status_code == 400 and r.json["code"] == "invalid_request"
    assert "Transfer-Encoding" in r.json["detail"] and r.headers["Connection"] == "close"

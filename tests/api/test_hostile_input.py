"""Input an attacker or a careless caller sends, each answered with a clear 4xx that
writes nothing and logs no traceback: metadata nested deep, formulas in statement cells,
a repeated Idempotency-Key, timestamps without an offset, an ambiguous body length."""

import json
import time

from tests.support import assert_problem

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

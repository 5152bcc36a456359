"""Schemathesis hooks for the two rules the OpenAPI document states only in words,
because JSON Schema cannot say them in a form that client generators read:

- A write's idempotency key comes from the Idempotency-Key header or the body's key
  fields; where several are given they must agree (different keys are a 400). The
  document requires the body's key and offers the header as an alternative, which a
  schema cannot say: a generated write keeps the body's key and drops a header that
  would differ, and a negative case without the body's key goes without the header
  and a top-up's idempotency_key alias (which would supply the key it leaves out).
- Metadata is stored as PostgreSQL jsonb, which holds no NUL character and no lone
  UTF-16 surrogate anywhere inside it. Saying so needs a recursive schema, which
  generators cannot parse, so the document describes it and positive cases are
  generated without them (negative cases go out as generated).
- A credit's expires_at must be later than now, which a schema cannot say either: a
  positive case that carries one gets a date in the future.
- A transfer's amount plus fee is at most 2^53-1, and an exchange's two assets differ:
  rules across two fields. A positive case over the sum goes without its fee; one naming
  an asset twice exchanges into the other seeded asset.

- What an exchange buys (amount times the operator's rate) must stay within 2^53-1, which
  only the server's rate says: a positive exchange's amount stays below 2^53-1 / 10 (the
  dev seed's rate).

- A reconciliation's records are CSV with a header, a rule the document states in words
  (the body's schema is a string), and its period starts no later than it ends: a
  positive case sends a record over an ordered period.

And two for the suite's sake: a positive hold lasts one second, so that what the run
holds of Alice's credit is available again to the tests after it; and the account
routes never name a seeded user (Alice or Bob), so that no generated call freezes,
closes or limits them for the tests that follow.
"""

import re
import uuid

import schemathesis

NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value):
    if isinstance(value, str):
        return NOT_STORABLE.sub("?", value)
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    return value


KEY_FIELDS = {"/wallet/topup": "payment_id", "/wallet/bonus": "idempotency_key", "/wallet/spend": "idempotency_key",
              "/wallet/refunds": "idempotency_key", "/wallet/reversals": "idempotency_key",
              "/wallet/holds": "idempotency_key", "/wallet/holds/{hold_id}/capture": "idempotency_key",
              "/wallet/transfers": "idempotency_key", "/wallet/exchanges": "idempotency_key"}  # fmt: skip
MAX_AMOUNT = 9007199254740991
SEEDED_USERS = {"0f6d220d-61fa-4be7-b0a2-e05dbd9aee32", "b55709be-d0f6-467e-942c-cc04155ad54c"}


@schemathesis.hook
def map_case(context, case):
    if case.path.startswith("/accounts/{user_id}") and str((case.path_parameters or {}).get("user_id")) in SEEDED_USERS:
        case.path_parameters["user_id"] = str(uuid.uuid4())
    if case.meta is not None and case.meta.generation.mode.is_negative:
        key_field = KEY_FIELDS.get(case.path)
        if key_field and (not isinstance(case.body, dict) or key_field not in case.body):
            if case.headers:
                case.headers.pop("Idempotency-Key", None)
            if isinstance(case.body, dict):
                case.body.pop("idempotency_key", None)  # a top-up's alias for payment_id
        return case
    if case.path == "/reports/reconciliation":
        return _reconcilable(case)
    if not isinstance(case.body, dict):
        return case
    postings = case.body.get("postings")
    for fields in [case.body, *(postings if isinstance(postings, list) else [])]:
        if isinstance(fields, dict) and isinstance(fields.get("metadata"), dict):
            fields["metadata"] = _storable(fields["metadata"])
        if isinstance(fields, dict) and "expires_at" in fields:
            fields["expires_at"] = "2099-01-01T00:00:00Z"
    if case.path == "/wallet/holds":
        case.body["expires_in_seconds"] = 1
    amount, fee = case.body.get("amount"), case.body.get("fee")
    if (
        case.path == "/wallet/transfers"
        and isinstance(amount, int)
        and isinstance(fee, int)
        and amount + fee > MAX_AMOUNT
    ):
        case.body.pop("fee")
    if case.path == "/wallet/exchanges" and isinstance(amount, int | float) and amount > MAX_AMOUNT // 10:
        case.body["amount"] = 1
    if case.path == "/wallet/exchanges" and case.body.get("from_asset_type_id") == case.body.get("to_asset_type_id"):
        case.body["to_asset_type_id"] = 2 if case.body.get("from_asset_type_id") == 1 else 1
    headers = case.headers if case.headers is not None else {}
    body_key = case.body.get(KEY_FIELDS.get(case.path, "idempotency_key"), case.body.get("idempotency_key"))
    if "Idempotency-Key" in headers and body_key is not None and headers["Idempotency-Key"] != body_key:
        headers.pop("Idempotency-Key")
    # a top-up's payment_id is its key, and idempotency_key an alias that must agree; a
    # refund's payment_id names the top-up it refunds
    top_up = case.path == "/wallet/topup"
    if top_up and "payment_id" in case.body and case.body.get("idempotency_key") not in (None, case.body["payment_id"]):
        case.body.pop("idempotency_key")
    return case


def _reconcilable(case):
    """A positive reconciliation: records in the CSV the document describes in words (a
    header, then rows), over a period whose start is not after its end."""
    query = case.query or {}
    if isinstance(query.get("from"), str) and isinstance(query.get("to"), str) and query["from"] > query["to"]:
        query["from"], query["to"] = query["to"], query["from"]
    case.body = f"payment_id,user_id,amount,refunded\r\npay-1,{uuid.uuid4()},100,0\r\n"
    return case

"""Schemathesis hooks for what JSON Schema cannot say about the API:

- A write names its idempotency key exactly once: one of the Idempotency-Key header and
  the body's key fields is required and they exclude each other (no key, or different
  keys, is a 400). Every generated write gets exactly one: the header when it was
  generated, else the body's.
- JSON Schema's "integer" admits 20.0; the API takes only integers written as such
  (documented on the fields), so integral floats are written as integers.
"""
import uuid

import schemathesis

BODY_KEYS = ("idempotency_key", "payment_id")


INTEGER_FIELDS = ("amount", "asset_type_id")


@schemathesis.hook
def map_case(context, case):
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return case  # invalid requests go out as generated
    if isinstance(case.body, dict):
        postings = case.body.get("postings")
        for fields in [case.body, *(postings if isinstance(postings, list) else [])]:
            for field in INTEGER_FIELDS:
                value = fields.get(field) if isinstance(fields, dict) else None
                if isinstance(value, float) and value.is_integer():
                    fields[field] = int(value)
    if case.path not in ("/wallet/topup", "/wallet/bonus", "/wallet/spend") or not isinstance(case.body, dict):
        return case
    headers = case.headers if case.headers is not None else {}
    body_keys = [field for field in BODY_KEYS if field in case.body]
    if "Idempotency-Key" in headers:
        for field in body_keys:
            case.body.pop(field)
    elif len(body_keys) > 1:
        case.body.pop("payment_id")
    elif not body_keys:
        headers["Idempotency-Key"] = str(uuid.uuid4())
        case.headers = headers
    return case

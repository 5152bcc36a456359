"""Wallet routes: each validates its input, calls one wallet function and returns its row."""
from uuid import UUID

from flask import Blueprint, jsonify, request
from psycopg.types.json import Jsonb

from .auth import current_principal, require_service_scope, target_user
from .db import get_db
from .errors import SQLSTATE_ERRORS, ApiError
from .limits import limiter, subject_or_address, write_limit
from .schemas import (
    BalanceQuery,
    BatchBody,
    PostingBody,
    TopupBody,
    TransactionsQuery,
    parse_body,
    parse_idempotency_header,
    parse_query,
)

bp = Blueprint("wallet", __name__, url_prefix="/wallet")

SCOPE_OF_KIND = {"topup": "wallet:topup", "bonus": "wallet:bonus", "spend": "wallet:spend"}
POSTING_SQL = {
    kind: f"SELECT entry_id, balance, replayed FROM wallet_{kind}(%s, %s, %s, %s, %s)"  # noqa: S608 (fixed names)
    for kind in SCOPE_OF_KIND
}


def _idempotency_key(*body_keys: str | None) -> str:
    """The key from the Idempotency-Key header or the body; several must agree."""
    header = request.headers.get("Idempotency-Key")
    given = {key for key in (*body_keys, header and parse_idempotency_header(header)) if key is not None}
    if not given:
        raise ApiError(400, "invalid_request", "an idempotency key is required (Idempotency-Key header or body)")
    if len(given) > 1:
        raise ApiError(400, "invalid_request", "the idempotency keys given in the request differ")
    return given.pop()


def _posted(row: dict, user_id: UUID, asset_type_id: int, amount: int) -> dict:
    """What a successful posting answers (the same on a replay)."""
    return {"entry_id": row["entry_id"], "user_id": str(user_id),
            "asset_type_id": asset_type_id, "amount": amount, "balance": row["balance"], "replayed": row["replayed"]}


def _post(kind: str, user_id: UUID, body: PostingBody, key: str):
    row = get_db().call(POSTING_SQL[kind], (user_id, body.asset_type_id, body.amount, key,
                                            Jsonb(body.metadata or {})))[0]
    response = jsonify(status="success", **_posted(row, user_id, body.asset_type_id, body.amount))
    if row["replayed"]:
        response.headers["Idempotent-Replayed"] = "true"
        response.status_code = 200
    else:
        response.status_code = 201
    return response


def _service_posting(kind: str, model: type[PostingBody]):
    require_service_scope(SCOPE_OF_KIND[kind])
    body = parse_body(model, request.get_data())
    if body.user_id is None:
        raise ApiError(400, "invalid_request", "user_id is required")
    return body


@bp.post("/topup")
@limiter.limit(write_limit, key_func=subject_or_address)
def topup():
    body = _service_posting("topup", TopupBody)
    return _post("topup", body.user_id, body, _idempotency_key(body.payment_id, body.idempotency_key))


@bp.post("/bonus")
@limiter.limit(write_limit, key_func=subject_or_address)
def bonus():
    body = _service_posting("bonus", PostingBody)
    return _post("bonus", body.user_id, body, _idempotency_key(body.idempotency_key))


@bp.post("/spend")
@limiter.limit(write_limit, key_func=subject_or_address)
def spend():
    body = parse_body(PostingBody, request.get_data())
    user_id = target_user(body.user_id, SCOPE_OF_KIND["spend"])
    return _post("spend", user_id, body, _idempotency_key(body.idempotency_key))


@bp.post("/batch")
@limiter.limit(write_limit, key_func=subject_or_address)
def batch():
    """Up to 50 postings in one call and one commit, for trusted services; an outcome per
    item. Every item's kind must be allowed by the token, or nothing is written."""
    principal = current_principal()
    body = parse_body(BatchBody, request.get_data())
    missing = {SCOPE_OF_KIND[p.kind] for p in body.postings} - principal.scopes
    if principal.role != "service" or missing:
        raise ApiError(403, "forbidden", f"this batch needs a service token with scopes {sorted(missing)}")
    postings = [p.model_dump(mode="json", exclude_none=True) for p in body.postings]
    rows = get_db().call("SELECT item, entry_id, balance, replayed, error_sqlstate FROM wallet_post_batch(%s)",
                         (Jsonb(postings),))
    items = []
    for posting, row in zip(body.postings, rows, strict=True):
        if row["error_sqlstate"]:
            status, code = SQLSTATE_ERRORS[row["error_sqlstate"]]
            items.append({"item": row["item"], "status": status, "code": code})
        else:
            items.append({"item": row["item"], "status": 200 if row["replayed"] else 201,
                          **_posted(row, posting.user_id, posting.asset_type_id, posting.amount)})
    return jsonify(items=items)


@bp.get("/balance")
def balance():
    query = parse_query(BalanceQuery, request.args)
    user_id = target_user(query.user_id, "wallet:read")
    rows = get_db().call("SELECT asset_type_id, asset_code, balance FROM wallet_balance(%s)", (user_id,))
    return jsonify(user_id=str(user_id), balances=rows)


@bp.get("/transactions")
def transactions():
    query = parse_query(TransactionsQuery, request.args)
    user_id = target_user(query.user_id, "wallet:read")
    # one row more than the page tells whether another page follows
    rows = get_db().call(
        "SELECT entry_id, kind, asset_type_id, amount, balance_after, idempotency_key, metadata, created_at"
        " FROM wallet_history(%s, %s, %s, %s)",
        (user_id, query.asset_type_id, query.before, query.limit + 1))
    items = rows[:query.limit]
    for item in items:
        item["created_at"] = item["created_at"].isoformat()
    next_before = items[-1]["entry_id"] if len(rows) > query.limit else None
    return jsonify(items=items, next_before=next_before)

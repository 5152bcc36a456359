"""Posting routes (top-up, bonus, spend, batch) and a wallet's balance and history: each
validates its input, calls one wallet function and returns its row."""

from typing import Any
from uuid import UUID

from flask import Blueprint, current_app, g, jsonify, request
from psycopg.types.json import Jsonb

from .auth import current_principal, read_limited, require_service_scope, target_user, write_limited
from .db import get_db
from .errors import SQLSTATE_ERRORS, ApiError
from .metrics import POSTINGS
from .schemas import (
    BalanceQuery,
    BatchRequest,
    BonusRequest,
    PostingRequest,
    PreviewQuery,
    SpendRequest,
    TopupRequest,
    TransactionsQuery,
    parse_body,
    parse_query,
)
from .scopes import Scope

bp = Blueprint("wallet", __name__, url_prefix="/wallet")

SCOPE_OF_KIND = {"topup": Scope.TOPUP, "bonus": Scope.BONUS, "spend": Scope.SPEND}


def _posted(row: dict[str, Any], user_id: UUID, asset_type_id: int, amount: int) -> dict[str, Any]:
    """What a successful posting answers (the same on a replay)."""
    return {
        "entry_id": row["entry_id"],
        "user_id": str(user_id),
        "asset_type_id": asset_type_id,
        "amount": amount,
        "balance": row["balance"],
        "replayed": row["replayed"],
        "paid_amount": row["paid_amount"],
        "free_amount": row["free_amount"],
    }


def created_or_replayed(answer: dict[str, Any], replayed: bool, dry_run: bool = False):
    """Every write's success: 201, or 200 with Idempotent-Replayed on a replay; a dry run's
    answer is 200 with "dry_run": true (and the ids a new write would get null)."""
    if dry_run:
        g.preview = True  # counted as a preview, not a posting (metrics)
        response = jsonify(status="success", **answer, dry_run=True)
    else:
        response = jsonify(status="success", **answer)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.status_code = 200 if replayed or dry_run else 201
    return response


def _posting_response(row: dict[str, Any], user_id: UUID, body: PostingRequest, dry_run: bool = False):
    return created_or_replayed(_posted(row, user_id, body.asset_type_id, body.amount), row["replayed"], dry_run)


def dry_run_asked() -> bool:
    """?dry_run=true on a write that may be previewed (spend, hold, transfer, exchange)."""
    return parse_query(PreviewQuery, request.args).dry_run == "true"


@bp.post("/topup")
@write_limited
def topup():
    require_service_scope(Scope.TOPUP)
    body = parse_body(TopupRequest, key_fields=("payment_id", "idempotency_key"))
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_topup(%s, %s, %s, %s, %s, %s)",
        (body.user_id, body.asset_type_id, body.amount, body.payment_id, Jsonb(body.metadata or {}), body.expires_at),
    )
    return _posting_response(row, body.user_id, body)


@bp.post("/bonus")
@write_limited
def bonus():
    require_service_scope(Scope.BONUS)
    body = parse_body(BonusRequest, key_fields=("idempotency_key",))
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_bonus(%s, %s, %s, %s, %s, %s)",
        (
            body.user_id,
            body.asset_type_id,
            body.amount,
            body.idempotency_key,
            Jsonb(body.metadata or {}),
            body.expires_at,
        ),
    )
    return _posting_response(row, body.user_id, body)


@bp.post("/spend")
@write_limited
def spend():
    current_principal()  # who is calling comes before what they sent
    body = parse_body(SpendRequest, key_fields=("idempotency_key",))
    user_id = target_user(body.user_id, Scope.SPEND)
    dry_run = dry_run_asked()
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_spend(%s, %s, %s, %s, %s, %s)",
        (user_id, body.asset_type_id, body.amount, body.idempotency_key, Jsonb(body.metadata or {}), dry_run),
    )
    return _posting_response(row, user_id, body, dry_run)


@bp.post("/batch")
@write_limited
def batch():
    """Up to 1,000 postings in one call and one commit, for trusted services; an outcome per
    item. Every item's kind must be allowed by the token, or nothing is written."""
    principal = current_principal()
    if principal.role != "service":
        raise ApiError(403, "forbidden", "a batch needs a service token")
    request.max_content_length = current_app.config["WALLET_MAX_BATCH_BODY_BYTES"]  # services, on this route only
    body = parse_body(BatchRequest)
    missing = {SCOPE_OF_KIND[p.kind] for p in body.postings} - principal.scopes
    if missing:
        raise ApiError(403, "forbidden", f"this batch needs a service token with scopes {sorted(missing)}")
    postings = [p.model_dump(mode="json", exclude_none=True) for p in body.postings]
    rows = get_db().call(
        "SELECT item, entry_id, balance, replayed, error_sqlstate, paid_amount, free_amount FROM wallet_post_batch(%s)",
        (Jsonb(postings),),
    )
    items = []
    for posting, row in zip(body.postings, rows, strict=True):
        if row["error_sqlstate"]:
            status, code = SQLSTATE_ERRORS[row["error_sqlstate"]]
            items.append({"item": row["item"], "status": status, "code": code})
            POSTINGS.labels(posting.kind, code).inc()
        else:
            outcome = _posted(row, posting.user_id, posting.asset_type_id, posting.amount)
            items.append({"item": row["item"], "status": 200 if row["replayed"] else 201, **outcome})
            POSTINGS.labels(posting.kind, "replayed" if row["replayed"] else "created").inc()
    return jsonify(items=items)


@bp.get("/balance")
@read_limited
def balance():
    query = parse_query(BalanceQuery, request.args)
    user_id = target_user(query.user_id, Scope.READ)
    rows = get_db().call(
        "SELECT asset_type_id, asset_code, balance, paid, free, held, available, debt FROM wallet_balance(%s)",
        (user_id,),
        read=True,
    )
    return jsonify(user_id=str(user_id), balances=rows)


@bp.get("/transactions")
@read_limited
def transactions():
    query = parse_query(TransactionsQuery, request.args)
    user_id = target_user(query.user_id, Scope.READ)
    # one row more than the page tells whether another page follows
    rows = get_db().call(
        "SELECT entry_id, kind, asset_type_id, amount, balance_after, idempotency_key, metadata, created_at,"
        " paid_amount, free_amount, original_entry_id, hold_id, unrecovered"
        " FROM wallet_history(%s, %s, %s, %s)",
        (user_id, query.asset_type_id, query.before, query.limit + 1),
        read=True,
    )
    items = rows[: query.limit]
    for item in items:
        item["created_at"] = item["created_at"].isoformat()
    next_before = items[-1]["entry_id"] if len(rows) > query.limit else None
    return jsonify(items=items, next_before=next_before)

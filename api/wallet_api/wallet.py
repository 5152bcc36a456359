"""Wallet routes: each validates its input, calls one wallet function and returns its row."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, current_app, jsonify, request
from psycopg.types.json import Jsonb

from .auth import current_principal, read_limited, require_service_scope, statement_limited, target_user, write_limited
from .db import get_db
from .errors import SQLSTATE_ERRORS, ApiError
from .metrics import POSTINGS
from .schemas import (
    MAX_INT8,
    BalanceQuery,
    BatchRequest,
    BonusRequest,
    CaptureRequest,
    HoldRequest,
    HoldsQuery,
    PostingRequest,
    RefundRequest,
    ReversalRequest,
    SpendRequest,
    StatementQuery,
    TopupRequest,
    TransactionsQuery,
    VoidRequest,
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


def _created_or_replayed(answer: dict[str, Any], replayed: bool):
    """Every write's success: 201, or 200 with Idempotent-Replayed on a replay."""
    response = jsonify(status="success", **answer)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.status_code = 200 if replayed else 201
    return response


def _posting_response(row: dict[str, Any], user_id: UUID, body: PostingRequest):
    return _created_or_replayed(_posted(row, user_id, body.asset_type_id, body.amount), row["replayed"])


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
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_spend(%s, %s, %s, %s, %s)",
        (user_id, body.asset_type_id, body.amount, body.idempotency_key, Jsonb(body.metadata or {})),
    )
    return _posting_response(row, user_id, body)


@bp.post("/refunds")
@write_limited
def refund():
    require_service_scope(Scope.REFUND)
    body = parse_body(RefundRequest, key_fields=("idempotency_key",))
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, recovered, unrecovered FROM wallet_refund(%s, %s, %s, %s, %s, %s)",
        (body.user_id, body.payment_id, body.amount, body.idempotency_key, body.policy, Jsonb(body.metadata or {})),
    )
    answer = {"entry_id": row["entry_id"], "user_id": str(body.user_id), "payment_id": body.payment_id,
              "amount": body.amount, "policy": body.policy, "recovered": row["recovered"],
              "unrecovered": row["unrecovered"], "balance": row["balance"], "replayed": row["replayed"]}  # fmt: skip
    return _created_or_replayed(answer, row["replayed"])


@bp.post("/reversals")
@write_limited
def reversal():
    require_service_scope(Scope.REVERSE)
    body = parse_body(ReversalRequest, key_fields=("idempotency_key",))
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_reverse_spend(%s, %s, %s, %s, %s)",
        (body.user_id, body.spend_key, body.amount, body.idempotency_key, Jsonb(body.metadata or {})),
    )
    answer = {"entry_id": row["entry_id"], "user_id": str(body.user_id), "spend_key": body.spend_key,
              "amount": body.amount, "balance": row["balance"], "replayed": row["replayed"],
              "paid_amount": row["paid_amount"], "free_amount": row["free_amount"]}  # fmt: skip
    return _created_or_replayed(answer, row["replayed"])


def _known_hold_id(hold_id: int) -> int:
    """A hold id from the path; one no bigint can hold names no hold."""
    if not 1 <= hold_id <= MAX_INT8:
        raise ApiError(404, "hold_not_found", f"no hold {hold_id} for this user")
    return hold_id


@bp.post("/holds")
@write_limited
def hold():
    current_principal()  # who is calling comes before what they sent
    body = parse_body(HoldRequest, key_fields=("idempotency_key",))
    user_id = target_user(body.user_id, Scope.HOLD)
    (row,) = get_db().call(
        "SELECT hold_id, available, expires_at, replayed FROM wallet_hold(%s, %s, %s, %s, %s, %s)",
        (user_id, body.asset_type_id, body.amount, body.idempotency_key,
         timedelta(seconds=body.expires_in_seconds), Jsonb(body.metadata or {})),
    )  # fmt: skip
    answer = {"hold_id": row["hold_id"], "user_id": str(user_id), "asset_type_id": body.asset_type_id,
              "amount": body.amount, "available": row["available"], "expires_at": row["expires_at"].isoformat(),
              "state": "open", "replayed": row["replayed"]}  # fmt: skip
    return _created_or_replayed(answer, row["replayed"])


@bp.post("/holds/<int:hold_id>/capture")
@write_limited
def capture(hold_id: int):
    current_principal()
    body = parse_body(CaptureRequest, key_fields=("idempotency_key",))
    user_id = target_user(body.user_id, Scope.HOLD)
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount FROM wallet_capture(%s, %s, %s, %s, %s)",
        (user_id, _known_hold_id(hold_id), body.idempotency_key, body.amount, Jsonb(body.metadata or {})),
    )
    answer = {"entry_id": row["entry_id"], "hold_id": hold_id, "user_id": str(user_id),
              "amount": row["paid_amount"] + row["free_amount"], "balance": row["balance"],
              "replayed": row["replayed"], "paid_amount": row["paid_amount"],
              "free_amount": row["free_amount"]}  # fmt: skip
    return _created_or_replayed(answer, row["replayed"])


@bp.post("/holds/<int:hold_id>/void")
@write_limited
def void(hold_id: int):
    current_principal()
    body = parse_body(VoidRequest, optional=True)
    user_id = target_user(body.user_id, Scope.HOLD)
    (row,) = get_db().call(
        "SELECT hold_id, available, state FROM wallet_void(%s, %s)", (user_id, _known_hold_id(hold_id))
    )
    return jsonify(status="success", hold_id=row["hold_id"], user_id=str(user_id), available=row["available"],
                   state=row["state"])  # fmt: skip


@bp.get("/holds")
@read_limited
def holds():
    query = parse_query(HoldsQuery, request.args)
    user_id = target_user(query.user_id, Scope.READ)
    rows = get_db().call(
        "SELECT hold_id, asset_type_id, amount, captured_amount, state, expires_at, idempotency_key, metadata,"
        " created_at FROM wallet_holds(%s, %s)",
        (user_id, None if query.state == "all" else query.state),
        read=True,
    )
    for item in rows:
        item["expires_at"] = item["expires_at"].isoformat()
        item["created_at"] = item["created_at"].isoformat()
    return jsonify(user_id=str(user_id), items=rows)


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


STATEMENT_CSV_COLUMNS = ("line", "asset_type_id", "asset_code", "entry_id", "kind", "amount", "paid_amount",
                         "free_amount", "balance", "paid", "free", "original_entry_id", "hold_id", "unrecovered",
                         "idempotency_key", "metadata", "created_at")  # fmt: skip


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(row: dict) -> dict:
    """OWASP's advice against CSV injection: a text cell a spreadsheet would read as a
    formula gets a leading single quote (numbers stay numbers)."""
    return {k: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for k, v in row.items()}


@bp.get("/statement")
@statement_limited
def statement():
    """Opening and closing balances and the entries between, as JSON or (Accept:
    text/csv) CSV: one line per opening balance, entry and closing balance."""
    query = parse_query(StatementQuery, request.args)
    user_id = target_user(query.user_id, Scope.READ)
    (row,) = get_db().call(
        "SELECT wallet_statement(%s, %s, %s) AS statement", (user_id, query.from_, query.to), read=True
    )
    document = row["statement"]
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) != "text/csv":
        return jsonify(document)
    filename = f"statement-{user_id}.csv"
    return Response(_statement_csv(document), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _statement_csv(document: dict) -> Iterator[str]:
    """The statement's CSV a few lines at a time, never as one string beside the document."""
    out = io.StringIO()
    writer = csv.DictWriter(out, STATEMENT_CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    codes = {b["asset_type_id"]: b["asset_code"] for b in document["opening"]}
    lines = [{"line": "opening", **balance} for balance in document["opening"]]
    for entry in document["entries"]:
        lines.append({"line": "entry", **entry, "asset_code": codes.get(entry["asset_type_id"]),
                      "balance": entry["balance_after"], "metadata": json.dumps(entry["metadata"])})  # fmt: skip
        if len(lines) >= 100:
            writer.writerows(map(_csv_safe, lines))
            lines.clear()
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    lines += [{"line": "closing", **balance} for balance in document["closing"]]
    writer.writerows(map(_csv_safe, lines))
    yield out.getvalue()

"""Hold routes: reserve credit, capture it (a spend from the lots chosen at hold time),
void it, list a user's holds. Each validates its input and calls one wallet function."""

from datetime import timedelta

from flask import Blueprint, jsonify, request
from psycopg.types.json import Jsonb

from .auth import current_principal, read_limited, target_user, write_limited
from .db import get_db
from .errors import ApiError
from .schemas import MAX_INT8, CaptureRequest, HoldRequest, HoldsQuery, VoidRequest, parse_body, parse_query
from .scopes import Scope
from .wallet import created_or_replayed, dry_run_asked

bp = Blueprint("holds", __name__, url_prefix="/wallet")


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
    dry_run = dry_run_asked()
    (row,) = get_db().call(
        "SELECT hold_id, available, expires_at, replayed FROM wallet_hold(%s, %s, %s, %s, %s, %s, %s)",
        (user_id, body.asset_type_id, body.amount, body.idempotency_key,
         timedelta(seconds=body.expires_in_seconds), Jsonb(body.metadata or {}), dry_run),
    )  # fmt: skip
    answer = {"hold_id": row["hold_id"], "user_id": str(user_id), "asset_type_id": body.asset_type_id,
              "amount": body.amount, "available": row["available"], "expires_at": row["expires_at"].isoformat(),
              "state": "open", "replayed": row["replayed"]}  # fmt: skip
    return created_or_replayed(answer, row["replayed"], dry_run)


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
    return created_or_replayed(answer, row["replayed"])


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

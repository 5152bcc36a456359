"""Refund and reversal routes: give back a top-up (the payment provider's refund) or part
of a spend. Each validates its input and calls one wallet function."""

from flask import Blueprint
from psycopg.types.json import Jsonb

from .auth import require_service_scope, write_limited
from .db import get_db
from .schemas import RefundRequest, ReversalRequest, parse_body
from .scopes import Scope
from .wallet import created_or_replayed

bp = Blueprint("refunds", __name__, url_prefix="/wallet")


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
    return created_or_replayed(answer, row["replayed"])


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
    return created_or_replayed(answer, row["replayed"])

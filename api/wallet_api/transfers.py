"""Transfer and exchange routes: credit from one user to another (a service's call: the
game decides who may give to whom), one asset into another (the user on its own wallet,
or a service), and the operator's exchange rates. Each validates its input and calls one
wallet function."""

from flask import Blueprint, jsonify
from psycopg.types.json import Jsonb

from .auth import current_principal, require_service_scope, target_user, write_limited
from .db import get_db
from .schemas import ExchangeRequest, TransferRequest, parse_body
from .scopes import Scope
from .wallet import created_or_replayed, dry_run_asked

bp = Blueprint("transfers", __name__)


@bp.post("/wallet/transfers")
@write_limited
def transfer():
    require_service_scope(Scope.TRANSFER)
    body = parse_body(TransferRequest, key_fields=("idempotency_key",))
    dry_run = dry_run_asked()
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount, to_entry_id, to_balance"
        " FROM wallet_transfer(%s, %s, %s, %s, %s, %s, %s, %s)",
        (body.from_user_id, body.to_user_id, body.asset_type_id, body.amount, body.idempotency_key, body.fee,
         Jsonb(body.metadata or {}), dry_run),
    )  # fmt: skip
    answer = {"entry_id": row["entry_id"], "from_user_id": str(body.from_user_id), "to_user_id": str(body.to_user_id),
              "asset_type_id": body.asset_type_id, "amount": body.amount, "fee": body.fee,
              "balance": row["balance"], "to_entry_id": row["to_entry_id"], "to_balance": row["to_balance"],
              "paid_amount": row["paid_amount"], "free_amount": row["free_amount"],
              "replayed": row["replayed"]}  # fmt: skip
    return created_or_replayed(answer, row["replayed"], dry_run)


@bp.post("/wallet/exchanges")
@write_limited
def exchange():
    current_principal()  # who is calling comes before what they sent
    body = parse_body(ExchangeRequest, key_fields=("idempotency_key",))
    user_id = target_user(body.user_id, Scope.EXCHANGE)
    dry_run = dry_run_asked()
    (row,) = get_db().call(
        "SELECT entry_id, balance, replayed, paid_amount, free_amount, to_entry_id, to_amount, to_balance"
        " FROM wallet_exchange(%s, %s, %s, %s, %s, %s, %s)",
        (user_id, body.from_asset_type_id, body.to_asset_type_id, body.amount, body.idempotency_key,
         Jsonb(body.metadata or {}), dry_run),
    )  # fmt: skip
    answer = {"entry_id": row["entry_id"], "user_id": str(user_id), "from_asset_type_id": body.from_asset_type_id,
              "to_asset_type_id": body.to_asset_type_id, "amount": body.amount, "balance": row["balance"],
              "to_entry_id": row["to_entry_id"], "to_amount": row["to_amount"], "to_balance": row["to_balance"],
              "paid_amount": row["paid_amount"], "free_amount": row["free_amount"],
              "replayed": row["replayed"]}  # fmt: skip
    return created_or_replayed(answer, row["replayed"], dry_run)


@bp.get("/exchange-rates")
def exchange_rates():
    current_principal()
    return jsonify(
        items=get_db().call(
            "SELECT from_asset_type_id, to_asset_type_id, numerator, denominator FROM wallet_exchange_rates()"
        )
    )

"""Opening user accounts (trusted services with scope accounts:write), reading one (the
user itself, or a service with accounts:read) and setting its status and limits
(services with accounts:admin: support, fraud)."""

from uuid import UUID

from flask import Blueprint, jsonify

from .auth import read_limited, require_service_scope, target_user, write_limited
from .db import get_db
from .schemas import AccountLimitsRequest, AccountStatusRequest, OpenAccountRequest, parse_body
from .scopes import Scope

bp = Blueprint("accounts", __name__)


@bp.post("/accounts")
@write_limited
def open_account():
    require_service_scope(Scope.ACCOUNTS_WRITE)
    body = parse_body(OpenAccountRequest)
    row = get_db().call(
        "SELECT account_id, created FROM wallet_open_account_status(%s, %s)", (body.user_id, body.name)
    )[0]
    response = jsonify(account_id=row["account_id"], user_id=str(body.user_id), created=row["created"])
    response.status_code = 201 if row["created"] else 200
    return response


@bp.put("/accounts/<uuid:user_id>/status")
@write_limited
def set_status(user_id: UUID):
    principal = require_service_scope(Scope.ACCOUNTS_ADMIN)
    body = parse_body(AccountStatusRequest)
    # who: the calling service, kept with the status (wallet.actor, read by the function)
    (row,) = get_db().call(
        "SELECT wallet_set_account_status(%s, %s, %s) AS previous FROM (SELECT set_config('wallet.actor', %s, true)) a",
        (user_id, body.status, body.reason, f"service:{principal.subject}"),
    )
    return jsonify(user_id=str(user_id), status=body.status, previous_status=row["previous"], reason=body.reason)


ACCOUNT = "SELECT user_id, name, status, status_reason, status_changed_at, limits FROM wallet_account(%s)"


def _account(row):
    return jsonify(user_id=str(row["user_id"]), name=row["name"], status=row["status"],
                   status_reason=row["status_reason"],
                   status_changed_at=row["status_changed_at"].isoformat() if row["status_changed_at"] else None,
                   limits=row["limits"])  # fmt: skip


@bp.get("/accounts/<uuid:user_id>")
@read_limited
def get_account(user_id: UUID):
    (row,) = get_db().call(ACCOUNT, (target_user(user_id, Scope.ACCOUNTS_READ),))
    return _account(row)


@bp.put("/accounts/<uuid:user_id>/limits")
@write_limited
def set_limits(user_id: UUID):
    principal = require_service_scope(Scope.ACCOUNTS_ADMIN)
    body = parse_body(AccountLimitsRequest)
    # who: the calling service, kept with the change (wallet.actor, read by the function)
    limits = (body.asset_type_id, body.max_balance, body.daily_spend_limit, user_id, f"service:{principal.subject}")
    get_db().call(
        "SELECT wallet_set_limits(%s, %s, %s, %s) FROM (SELECT set_config('wallet.actor', %s, true)) a", limits
    )
    (row,) = get_db().call(ACCOUNT, (user_id,))
    return _account(row)

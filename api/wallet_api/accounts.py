"""Opening user accounts (trusted services with scope accounts:write)."""

from flask import Blueprint, jsonify

from .auth import require_service_scope, write_limited
from .db import get_db
from .schemas import OpenAccountRequest, parse_body
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

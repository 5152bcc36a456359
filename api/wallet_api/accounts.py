"""Opening user accounts (trusted services with scope accounts:write)."""
from flask import Blueprint, jsonify, request

from .auth import require_service_scope
from .db import get_db
from .limits import limiter, subject_or_address, write_limit
from .schemas import AccountBody, parse_body

bp = Blueprint("accounts", __name__)


@bp.post("/accounts")
@limiter.limit(write_limit, key_func=subject_or_address)
def open_account():
    require_service_scope("accounts:write")
    body = parse_body(AccountBody, request.get_data())
    row = get_db().call("SELECT account_id, created FROM wallet_open_account_status(%s, %s)",
                        (body.user_id, body.name))[0]
    response = jsonify(account_id=row["account_id"], user_id=str(body.user_id), created=row["created"])
    response.status_code = 201 if row["created"] else 200
    return response

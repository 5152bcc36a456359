"""Reports for finance (service tokens with scope reports:read)."""

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request

from .auth import require_service_scope
from .db import get_db
from .schemas import OutstandingQuery, parse_query
from .scopes import Scope

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/outstanding")
def outstanding():
    """Unspent paid and free credit, debt and wallets holding paid credit, per asset, at `at`."""
    require_service_scope(Scope.REPORTS_READ)
    query = parse_query(OutstandingQuery, request.args)
    at = query.at or datetime.now(UTC)
    rows = get_db().call(
        "SELECT asset_type_id, asset_code, paid, free, debt, paid_wallets FROM wallet_outstanding(%s)", (at,)
    )
    # the sums are numeric (past bigint when enough credit is out): JSON integers, every
    # digit written, never rounded through a float
    for row in rows:
        row.update(paid=int(row["paid"]), free=int(row["free"]), debt=int(row["debt"]))
    return jsonify(at=at.isoformat(), items=rows)

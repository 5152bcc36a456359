"""Asset discovery: which assets exist, their codes, spend orders and transfer policies (any
valid token)."""

from flask import Blueprint, jsonify

from .auth import current_principal
from .db import get_db

bp = Blueprint("assets", __name__)


@bp.get("/assets")
def assets():
    current_principal()
    return jsonify(
        items=get_db().call("SELECT asset_type_id, code, name, spend_order, transfer_policy FROM wallet_assets()")
    )

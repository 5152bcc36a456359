"""Reports: a user's statement for a period (JSON or CSV), and for finance the credit
outstanding at a moment and a payment provider's records reconciled with the ledger
(service tokens with scope reports:read)."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request
from psycopg.types.json import Jsonb

from .auth import require_service_scope, statement_limited, target_user
from .db import get_db
from .errors import ApiError
from .reconciliation import RecordsError, read_payments
from .schemas import OutstandingQuery, ReconciliationQuery, StatementQuery, parse_query, read_body
from .scopes import Scope

bp = Blueprint("reports", __name__)

STATEMENT_CSV_COLUMNS = ("line", "asset_type_id", "asset_code", "entry_id", "kind", "amount", "paid_amount",
                         "free_amount", "balance", "paid", "free", "original_entry_id", "hold_id", "unrecovered",
                         "idempotency_key", "metadata", "created_at")  # fmt: skip


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(row: dict) -> dict:
    """OWASP's advice against CSV injection: a text cell a spreadsheet would read as a
    formula gets a leading single quote (numbers stay numbers)."""
    return {k: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for k, v in row.items()}


@bp.get("/wallet/statement")
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
    return Response(statement_csv(document), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def statement_csv(document: dict) -> Iterator[str]:
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


@bp.get("/reports/outstanding")
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


RECONCILIATION_BODY_BYTES = 5 * 1024 * 1024  # about 100,000 records, what one call compares


@bp.post("/reports/reconciliation")
def reconciliation():
    """A payment provider's records (CSV: payment_id, user_id, amount, refunded?) against the
    top-ups made in [from, to) and their refunds: every difference."""
    require_service_scope(Scope.REPORTS_READ)
    query = parse_query(ReconciliationQuery, request.args)
    if request.mimetype != "text/csv":
        raise ApiError(415, "unsupported_media_type", "the body must be CSV (Content-Type: text/csv)")
    request.max_content_length = RECONCILIATION_BODY_BYTES  # on this route only
    try:
        payments = read_payments(io.StringIO(read_body().decode("utf-8-sig"), newline=""))
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_request", "the body must be UTF-8") from None
    except (RecordsError, csv.Error) as exc:
        raise ApiError(400, "invalid_request", str(exc)) from None
    rows = get_db().call(
        "SELECT payment_id, user_id, issue, expected, found FROM wallet_reconcile_payments(%s, %s, %s)",
        (query.from_, query.to, Jsonb([p.record for p in payments])),
        read=True,
    )
    return jsonify({"from": query.from_.isoformat(), "to": query.to.isoformat(), "payments": len(payments),
                    "items": rows})  # fmt: skip

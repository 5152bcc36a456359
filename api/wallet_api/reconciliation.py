"""A payment provider's records, as CSV, for wallet_reconcile_payments: the operator's
command (wallet_api.reconcile) and POST /reports/reconciliation read them alike.

The CSV has a header naming payment_id, user_id and amount, and, if wanted, refunded
(empty: 0); other columns are ignored."""

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from psycopg.types.json import Jsonb

COLUMNS = ("payment_id", "user_id", "amount")
PER_CALL = 100_000  # wallet_reconcile_payments' most
COLUMNS_OF_A_DIFFERENCE = ("payment_id", "user_id", "issue", "expected", "found")


class RecordsError(ValueError):
    """Records the wallet cannot read: a missing column, or a row without a user id."""


@dataclass(frozen=True)
class Payment:
    line: int
    record: dict


def read_payments(lines: Iterable[str]) -> list[Payment]:
    reader = csv.DictReader(lines)
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise RecordsError(f"the records have no column {', '.join(missing)} (their header: {reader.fieldnames})")
    payments = []
    for row in reader:
        record = {"payment_id": row["payment_id"], "user_id": row["user_id"], "amount": as_number(row["amount"])}
        if row.get("refunded"):
            record["refunded"] = as_number(row["refunded"])
        payments.append(Payment(reader.line_num, record))
    return payments


def as_number(text: str | None):
    """A whole number as a JSON number; anything else as it is, for the wallet to refuse."""
    return int(text) if text is not None and text.strip().isdigit() else text


def part_of(user_id: str, parts: int) -> int:
    """The part wallet_reconcile_payments puts a user in: the uuid's last byte modulo parts."""
    return uuid.UUID(user_id).bytes[15] % parts


def in_parts(payments: list[Payment], per_call: int = PER_CALL) -> list[list[Payment]]:
    """The payments in the fewest parts (by user) of at most per_call each."""
    for payment in payments:
        try:
            uuid.UUID(payment.record["user_id"] or "")
        except ValueError:
            raise RecordsError(f"line {payment.line}: user_id {payment.record['user_id']!r} is not a uuid") from None
    parts = max(1, -(-len(payments) // per_call))
    while True:
        buckets: list[list[Payment]] = [[] for _ in range(parts)]
        for payment in payments:
            buckets[part_of(payment.record["user_id"], parts)].append(payment)
        if max(len(b) for b in buckets) <= per_call or parts == 256:
            return buckets
        parts += 1


def differences(conn, start, end, payments: list[Payment], per_call: int = PER_CALL) -> list[dict]:
    """Every difference, from one call per part."""
    buckets = in_parts(payments, per_call)
    found = []
    for part, bucket in enumerate(buckets):
        rows = conn.execute(
            "SELECT payment_id, user_id, issue, expected, found FROM wallet_reconcile_payments(%s, %s, %s, %s, %s)",
            (start, end, Jsonb([p.record for p in bucket]), part, len(buckets)),
        ).fetchall()
        found += [dict(zip(COLUMNS_OF_A_DIFFERENCE, row, strict=True)) for row in rows]
    return found

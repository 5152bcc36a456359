"""Reconcile a payment provider's records with the wallet's top-ups and refunds:

    DATABASE_URL=... python -m wallet_api.reconcile --from 2027-03-01T00:00:00Z --to 2027-04-01T00:00:00Z \\
        [--per-call N] FILE.csv

FILE.csv has a header naming payment_id, user_id and amount, and, if wanted, refunded.
Prints each difference as CSV (payment_id, user_id, issue, expected, found; the issues
are missing_topup, unknown_topup, amount_differs and refund_differs: README, "Data life
cycle") and a count per issue on stderr. Read only. The records go in calls of at most
--per-call (default and most: 100,000), split by user. Exits 0 when the records and the
ledger agree, 1 when they differ, 2 on a usage error, records it cannot read or a
database error.
"""

import csv
import sys
import time
from collections import Counter
from datetime import datetime

import psycopg

from wallet_api.config import CommandSettings
from wallet_api.reconciliation import COLUMNS_OF_A_DIFFERENCE, PER_CALL, differences, read_payments


def moment(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text} has no offset (write Z or +HH:MM)")
    return value


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    args = dict(zip(argv[:-1:2], argv[1:-1:2], strict=False))
    per_call = args.pop("--per-call", str(PER_CALL))
    if len(argv) % 2 == 0 or set(args) != {"--from", "--to"} or not conninfo or not per_call.isdigit() \
            or not 1 <= int(per_call) <= PER_CALL:  # fmt: skip
        print(__doc__, file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        start, end = moment(args["--from"]), moment(args["--to"])
        with open(argv[-1], newline="") as f:
            payments = read_payments(f)
        with psycopg.connect(conninfo) as conn:
            conn.read_only = True
            found = differences(conn, start, end, payments, int(per_call))
    except (OSError, ValueError, csv.Error) as exc:
        print(f"reconcile: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
        print(f"reconcile: {exc.diag.message_primary or exc}{detail}", file=sys.stderr)
        return 2
    out = csv.DictWriter(sys.stdout, COLUMNS_OF_A_DIFFERENCE, lineterminator="\n")
    out.writeheader()
    out.writerows(found)
    issues = Counter(d["issue"] for d in found)
    counts = ", ".join(f"{issue} {count:,}" for issue, count in sorted(issues.items())) or "none"
    print(f"reconcile: {len(payments):,} payments from {start.isoformat()} to {end.isoformat()}:"
          f" {len(found):,} differences ({counts}); {time.monotonic() - started:.1f} s", file=sys.stderr)  # fmt: skip
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

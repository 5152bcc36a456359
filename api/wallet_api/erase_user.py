"""Erase a person's data on their request (wallet_erase_user), as the database owner:

    DATABASE_URL=<the owner's> python -m wallet_api.erase_user USER_ID [--by NAME]

The account must hold nothing (no balance, held credit or debt); it is then erased for
good: docs/runbook.md, "An erasure request", says what goes and what stays. --by names
the operator, kept as who changed the account's status. Exits 0 when erased (or already
erased), 1 when refused, 2 on a usage error.
"""

import sys
import uuid

import psycopg

from wallet_api.config import CommandSettings


def erase_user(conninfo: str, user_id: str, by: str | None = None) -> tuple[int, int, int, int]:
    """What wallet_erase_user emptied: entries, holds, events, credentials."""
    user = uuid.UUID(user_id)
    with psycopg.connect(conninfo) as conn:
        if by:
            conn.execute("SELECT set_config('wallet.actor', %s, true)", (by,))
        row = conn.execute("SELECT * FROM wallet_erase_user(%s)", (user,)).fetchone()
        assert row is not None  # the function answers one row
        entries, holds, events, credentials = row
        return entries, holds, events, credentials


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    by = None
    if len(argv) == 3 and argv[1] == "--by":
        argv, by = argv[:1], argv[2]
    if len(argv) != 1 or not conninfo:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        entries, holds, events, credentials = erase_user(conninfo, argv[0], by)
    except ValueError:
        print(f"erase_user: {argv[0]} is not a user id", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
        print(f"erase_user: {exc.diag.message_primary or exc}{detail}", file=sys.stderr)
        return 1
    print(f"erase_user: {argv[0]} erased; metadata emptied on {entries} entries, {holds} holds and {events} events;"
          f" {credentials} credentials deleted")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

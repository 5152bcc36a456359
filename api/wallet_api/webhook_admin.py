"""Webhook subscriptions and dead deliveries, run as the database owner:

    python -m wallet_api.webhook_admin subscribe [--private-target] URL [EVENT_TYPE...]
                                                                prints the id and secret
    python -m wallet_api.webhook_admin list
    python -m wallet_api.webhook_admin unsubscribe SUBSCRIPTION_ID
    python -m wallet_api.webhook_admin dead [SUBSCRIPTION_ID]
    python -m wallet_api.webhook_admin redeliver SUBSCRIPTION_ID [EVENT_ID]

No event type means all of them. A URL on a loopback, private or link-local address is
refused unless --private-target says the receiver is on the operator's own network
(the worker then needs WALLET_WEBHOOK_PRIVATE_TARGETS=allow to send there). The secret
(Standard Webhooks, `whsec_` + base64 of 32 random bytes) is made here and shown once:
give it to the receiver, which verifies each delivery's `webhook-signature` with it.
The worker sends the deliveries (wallet_api.worker.deliveries).
"""

import base64
import json
import secrets
import sys

import psycopg

from .config import CommandSettings

USAGE = __doc__.split("\n\n")[1]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def subscribe(conninfo: str, url: str, event_types: list[str], private_target: bool = False) -> tuple[int, str]:
    secret = new_secret()
    with psycopg.connect(conninfo) as conn:
        if private_target:
            conn.execute("SET wallet.webhook_private_targets = 'allow'")
        (subscription_id,) = conn.execute(
            "SELECT wallet_webhook_subscribe(%s, %s, %s)", (url, secret, event_types or None)
        ).fetchall()[0]
    return subscription_id, secret


def _rows(conninfo: str, query: str, args: tuple) -> list[dict]:
    with psycopg.connect(conninfo) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(query, args).fetchall()


def main(argv: list[str]) -> int:
    conninfo = CommandSettings.from_env().database_url
    if not conninfo or not argv:
        print(USAGE, file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    try:
        private = command == "subscribe" and args[:1] == ["--private-target"]
        if private:
            args = args[1:]
        if command == "subscribe" and args:
            subscription_id, secret = subscribe(conninfo, args[0], args[1:], private)
            print(json.dumps({"subscription_id": subscription_id, "secret": secret}))
        elif command == "list" and not args:
            rows = _rows(conninfo, "SELECT * FROM wallet_webhook_subscriptions()", ())
            print(json.dumps(rows, default=str, indent=1))
        elif command == "unsubscribe" and len(args) == 1:
            rows = _rows(conninfo, "SELECT wallet_webhook_unsubscribe(%s) AS removed", (int(args[0]),))
            print(json.dumps({"removed": bool(rows and rows[0]["removed"])}))
        elif command == "dead" and len(args) <= 1:
            rows = _rows(conninfo, "SELECT * FROM wallet_webhook_dead(%s, 1000)", (int(args[0]) if args else None,))
            print(json.dumps(rows, default=str, indent=1))
        elif command == "redeliver" and len(args) in (1, 2):
            event_id = int(args[1]) if len(args) == 2 else None
            rows = _rows(conninfo, "SELECT wallet_webhook_redeliver(%s, %s) AS redelivered", (int(args[0]), event_id))
            print(json.dumps(rows[0]))
        else:
            print(USAGE, file=sys.stderr)
            return 2
    except (ValueError, psycopg.Error) as exc:
        print(f"webhook_admin: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

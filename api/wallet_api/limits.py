"""Rate limits (flask-limiter). Logins and token requests are limited per client
address, against brute force. Writes are limited per authenticated subject: a user has
a budget of its own (WALLET_RATE_LIMIT_USER_WRITES); a service writes for many users
and is not throttled unless an operator sets WALLET_RATE_LIMIT_SERVICE_WRITES. Who the
caller is comes from auth.py, which applies `write_limit` to every write route.

The default storage is per process: use a shared one (redis://...) to make a limit
hold across gunicorn workers and hosts."""

import math
import time
from collections.abc import Callable

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Limit headers are off: flask-limiter would put its window's Retry-After on every
# response, 503s included. A 429 gets the exact wait from retry_after_seconds().
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)


def retry_after_seconds() -> int:
    """Seconds until the limit that was just breached lets a request through again."""
    current = limiter.current_limit
    return max(1, math.ceil(current.reset_at - time.time())) if current else 60


def login_limit() -> str:
    return current_app.config["WALLET_RATE_LIMIT_LOGIN"]


def write_limit(role: Callable[[], str | None], key: Callable[[], str]):
    """A decorator limiting writes by the caller's role (`role()` is "user", "service"
    or None for a caller without a valid token, who is limited as a user and keyed by
    `key()`, its address)."""

    def limit_of_role() -> str:
        config = current_app.config
        return (
            config["WALLET_RATE_LIMIT_SERVICE_WRITES"]
            if role() == "service"
            else config["WALLET_RATE_LIMIT_USER_WRITES"]
        )

    def unthrottled() -> bool:
        return role() == "service" and not current_app.config["WALLET_RATE_LIMIT_SERVICE_WRITES"]

    return limiter.limit(limit_of_role, key_func=key, exempt_when=unthrottled)

"""Rate limits (flask-limiter): logins and token requests per client address against
brute force, writes per authenticated subject. Limits and storage come from Settings;
the default storage is per process, so use a shared one (redis://...) to make a limit
hold across gunicorn workers and hosts."""
import math
import time

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


def subject_or_address() -> str:
    """The token's subject, so that one caller's writes share one budget; a request
    without a valid token is keyed by address (it will get a 401 anyway)."""
    from .auth import current_principal

    try:
        return f"sub:{current_principal().subject}"
    except Exception:  # noqa: BLE001 - any token problem is answered by the route itself
        return f"addr:{get_remote_address()}"


def login_limit() -> str:
    return current_app.config["WALLET_RATE_LIMIT_LOGIN"]


def write_limit() -> str:
    return current_app.config["WALLET_RATE_LIMIT_WRITES"]

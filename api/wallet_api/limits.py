"""Rate limits (flask-limiter). Logins and token requests share one budget per (client
address, account): guesses at one account from one address are few
(WALLET_RATE_LIMIT_LOGIN), while many players behind one carrier NAT or login proxy may
each log in; a looser ceiling per address (WALLET_RATE_LIMIT_LOGIN_ADDRESS) stops one
address spraying many accounts. The client address is the peer's, or with
WALLET_TRUSTED_PROXIES set, the one those proxies forwarded (werkzeug's ProxyFix).

Writes and reads are limited per authenticated subject, each with a budget of its own:
a user has WALLET_RATE_LIMIT_USER_WRITES and WALLET_RATE_LIMIT_USER_READS (a statement
costs STATEMENT_READ_COST reads); a service acts for many users and is not throttled
unless an operator sets WALLET_RATE_LIMIT_SERVICE_WRITES or _READS. Who the caller is
comes from auth.py, which applies `subject_limit` to every write and read route.

The default storage is per process: use a shared one (WALLET_RATE_LIMIT_STORAGE=
redis://...) in production, so that a limit holds across the server's workers and hosts.
While that store does not answer, each process keeps the same limits in its own memory
(flask-limiter's in-memory fallback, re-trying the store with a growing pause): the
service keeps serving, logs the fall once and counts it
(wallet_rate_limit_store_fallbacks_total); a limit then holds per process only."""

import logging
import math
import time
import uuid
from collections.abc import Callable
from functools import partial, wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from prometheus_client import Counter

P = ParamSpec("P")
R = TypeVar("R")

# Limit headers are off: flask-limiter would put its window's Retry-After on every
# response, 503s included. A 429 gets the exact wait from retry_after_seconds().
limiter = Limiter(key_func=get_remote_address, headers_enabled=False, in_memory_fallback_enabled=True)

STORE_FALLBACKS = Counter("wallet_rate_limit_store_fallbacks", "Times a server process lost the shared rate-limit "
                          "store and went on with its limits in its own memory")  # fmt: skip


class _CountStoreFallbacks(logging.Filter):
    """flask-limiter logs one warning each time it falls back to memory: count it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Rate limit storage unreachable"):
            STORE_FALLBACKS.inc()
        return True


logging.getLogger("flask-limiter").addFilter(_CountStoreFallbacks())


def retry_after_seconds() -> int:
    """Seconds until the limit that was just breached lets a request through again."""
    current = limiter.current_limit
    return max(1, math.ceil(current.reset_at - time.time())) if current else 60


def login_limit() -> str:
    return current_app.config["WALLET_RATE_LIMIT_LOGIN"]


def login_address_limit() -> str:
    return current_app.config["WALLET_RATE_LIMIT_LOGIN_ADDRESS"]


def login_account() -> str:
    """The account a login or token request names (a user id however spelled, or a client
    id), or "-" when the body names none: read before the body is checked."""
    body = request.get_json(silent=True)
    account = body.get("user_id", body.get("client_id")) if isinstance(body, dict) else None
    if not isinstance(account, str):
        return "-"
    try:
        return str(uuid.UUID(account))
    except ValueError:
        return account[:255]


def login_limited(route, account: Callable[[], str] = login_account, methods: list[str] | None = None):
    """The login routes (the API's two, the console's form): one budget per (address,
    account), one per address; `methods`: only those requests count."""
    per_account = limiter.shared_limit(login_limit, scope="login", methods=methods,
                                       key_func=lambda: f"{get_remote_address()}|{account()}")  # fmt: skip
    per_address = limiter.shared_limit(login_address_limit, scope="login-address", key_func=get_remote_address,
                                       methods=methods)  # fmt: skip
    limited = per_address(per_account(route))
    limited.wallet_unthrottled = _never  # type: ignore[attr-defined]
    return limited


def _never() -> bool:
    return False


def subject_limit(role: Callable[[], str | None], key: Callable[[], str], kind: str, cost: int = 1):
    """A decorator limiting a route by the caller's role: `kind` is "WRITES" or "READS",
    whose WALLET_RATE_LIMIT_USER_<kind> and WALLET_RATE_LIMIT_SERVICE_<kind> settings
    apply (`role()` is "user", "service" or None for a caller without a valid token, who
    is limited as a user and keyed by `key()`, its address); the request takes `cost`
    from the budget. A service is not throttled unless an operator set its limit: its
    request then skips flask-limiter altogether (the route's check here, its per-request
    hooks through init_limits), before any key is computed."""
    user_setting, service_setting = f"WALLET_RATE_LIMIT_USER_{kind}", f"WALLET_RATE_LIMIT_SERVICE_{kind}"

    def limit_of_role() -> str:
        config = current_app.config
        return config[service_setting] if role() == "service" else config[user_setting]

    def unthrottled() -> bool:
        return not current_app.config[service_setting] and role() == "service"

    limited = limiter.shared_limit(limit_of_role, scope=kind.lower(), key_func=key, cost=cost)

    def decorate(route: Callable[P, R]) -> Callable[P, R]:
        checked = limited(route)

        @wraps(route)
        def route_or_checked(*args: P.args, **kwargs: P.kwargs) -> R:
            return route(*args, **kwargs) if unthrottled() else checked(*args, **kwargs)

        route_or_checked.wallet_unthrottled = unthrottled  # type: ignore[attr-defined]
        return route_or_checked

    return decorate


def _no_limit_applies() -> bool:
    """None of this module's limits applies to the request: its route has none, or its
    subject limit leaves this caller unthrottled. Decided once per request."""
    if "wallet_no_limit" not in g:
        view = current_app.view_functions.get(request.endpoint or "")
        unthrottled = getattr(view, "wallet_unthrottled", None)
        g.wallet_no_limit = unthrottled is None or unthrottled()
    return g.wallet_no_limit


def init_limits(app: Flask) -> None:
    """flask-limiter on the app, its per-request hooks run only where a limit applies:
    elsewhere they would look for default limits (there are none) and keep and clear a
    per-request context, a tenth of a whoami's time."""
    limiter.init_app(app)
    _guard(app.before_request_funcs[None], _before_where_limited)
    _guard(app.after_request_funcs[None], _after_where_limited)
    _guard(app.teardown_request_funcs[None], _teardown_where_limited)


def _guard(hooks: list[Any], where_limited: Callable) -> None:
    for i, hook in enumerate(hooks):
        if _belongs_to_limiter(hook):
            hooks[i] = partial(where_limited, hook)


def _belongs_to_limiter(hook: Callable) -> bool:
    owner = hook.args[0] if isinstance(hook, partial) and hook.args else getattr(hook, "__self__", None)
    return owner is limiter


def _before_where_limited(hook: Any) -> None:
    if not _no_limit_applies():
        hook()


def _after_where_limited(hook: Any, response: Response) -> Response:
    return response if _no_limit_applies() else hook(response)


def _teardown_where_limited(hook: Any, exc: BaseException | None = None) -> None:
    if not _no_limit_applies():
        hook(exc)

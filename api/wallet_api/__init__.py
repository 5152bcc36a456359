"""The wallet service: a thin HTTP layer over the PL/pgSQL ledger in sql/."""

import itertools
import logging
import os
import time
import uuid
from datetime import timedelta

import orjson
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings
from .metrics import forget_dead_workers

access_log = logging.getLogger("wallet_api.access")


def create_app(settings: Settings | None = None) -> Flask:
    from . import accounts, assets, auth, docs, health, holds, metrics_endpoint, refunds, reports, transfers, wallet
    from .console import init_console
    from .db import Database
    from .errors import register_error_handlers
    from .json_answers import OrjsonProvider
    from .limits import init_limits

    settings = settings or Settings.from_env()
    app = WalletApp(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        WALLET_MAX_BATCH_BODY_BYTES=settings.max_batch_body_bytes,
        JWT_SECRET_KEY=settings.jwt_secret_key,
        WALLET_JWT_PREVIOUS_KEY=settings.jwt_previous_secret_key,
        WALLET_CREDENTIAL_CHECK_SECONDS=settings.credential_check_seconds,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.access_token_minutes),
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        # a store that does not answer costs a request at most this long, then the
        # limits go on in memory (limits.py)
        RATELIMIT_STORAGE_OPTIONS=(
            {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
            if settings.rate_limit_storage.startswith(("redis://", "rediss://", "redis+unix://"))
            else {}
        ),
        RATELIMIT_STRATEGY="moving-window",  # no burst of twice the limit across a window edge
        WALLET_RATE_LIMIT_LOGIN=settings.rate_limit_login,
        WALLET_RATE_LIMIT_LOGIN_ADDRESS=settings.rate_limit_login_address,
        WALLET_RATE_LIMIT_USER_WRITES=settings.rate_limit_user_writes,
        WALLET_RATE_LIMIT_SERVICE_WRITES=settings.rate_limit_service_writes,
        WALLET_RATE_LIMIT_USER_READS=settings.rate_limit_user_reads,
        WALLET_RATE_LIMIT_SERVICE_READS=settings.rate_limit_service_reads,
    )
    # //openapi.json is a 404, not a redirect whose Location is built from the Host header
    app.url_map.merge_slashes = False
    if settings.trusted_proxies:
        # the client address from X-Forwarded-For, as set by that many proxies in front
        # (each appends the address it saw); never believed without them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.extensions["wallet_db"] = Database(settings)
    auth.jwt.init_app(app)
    init_limits(app)
    register_error_handlers(app)
    for module in (auth, wallet, holds, refunds, transfers, accounts, assets, reports, health, metrics_endpoint, docs):
        app.register_blueprint(module.bp)
    init_console(app, settings.jwt_secret_key, settings.jwt_previous_secret_key, settings.env == "production")
    _log_requests(app)
    _harden(app)  # after the request id is set, so that its refusals carry one
    forget_dead_workers()
    return app


class WalletApp(Flask):
    def ensure_sync(self, func):
        """Every view and hook here is synchronous: Flask's check for a coroutine, made
        for each of them on every request, is skipped."""
        return func


class _RequestIds:
    """Unique request ids without a random draw per request: a random prefix per process
    (a forked worker draws its own), then a counter."""

    def __init__(self) -> None:
        self._pid = 0
        self._prefix = ""
        self._count = itertools.count()

    def __next__(self) -> str:
        if self._pid != os.getpid():
            self._pid, self._prefix, self._count = os.getpid(), uuid.uuid4().hex[:16], itertools.count()
        return f"{self._prefix}{next(self._count):016x}"


_request_ids = _RequestIds()


# Every answer: no content sniffing, no framing, nothing loaded; /docs sets its own policy.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _harden(app: Flask) -> None:
    from .errors import ApiError

    @app.before_request
    def refuse_ambiguous_framing():
        """A body framed by both Content-Length and Transfer-Encoding is how requests are
        smuggled past a proxy: refused (RFC 9112, 6.1), and the connection closed."""
        if request.environ.get("HTTP_TRANSFER_ENCODING") and request.environ.get("CONTENT_LENGTH"):
            raise ApiError(400, "invalid_request", "a request may not carry both Content-Length and "
                           "Transfer-Encoding", {"Connection": "close"})  # fmt: skip

    @app.after_request
    def security_headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Content-Security-Policy", API_POLICY)
        return response


def _log_requests(app: Flask) -> None:
    from .metrics import observe_pool, observe_request

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        # the lines are the message alone: no caller's frame, thread or process is looked
        # up for them (the logging documentation's "Optimization")
        logging._srcfile = None  # type: ignore[attr-defined]
        logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    access_log.setLevel(logging.INFO)

    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else next(_request_ids)
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        # the request and g looked up once: each use of Flask's proxies is a lookup
        req, request_g = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        request_id = request_g.get("request_id")
        response.headers["X-Request-Id"] = request_id or ""
        seconds = time.perf_counter() - request_g.get("started", time.perf_counter())
        route = req.url_rule.rule if req.url_rule else None
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        observe_request(
            route,
            req.method,
            response.status_code,
            seconds,
            replayed,
            request_g.get("problem_code"),
            request_g.get("preview", False),
        )
        stats = app.extensions["wallet_db"].pool.get_stats()
        observe_pool(stats.get("pool_size", 0), stats.get("pool_available", 0), stats.get("requests_waiting", 0))
        # one structured line per request; never a token, password or body
        access_log.info(
            orjson.dumps(
                {
                    "method": req.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": request_id,
                    "subject": request_g.get("subject"),
                }
            ).decode()
        )
        return response

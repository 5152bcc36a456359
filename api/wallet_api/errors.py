"""The one place where failures become HTTP responses: RFC 9457 problem details
(application/problem+json) carrying the contract's stable `code`."""

import logging

import psycopg
from flask import Flask, g, jsonify, request
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from .db import connection_lost
from .error_catalogue import BY_CODE, BY_SQLSTATE, CATALOGUE
from .limits import retry_after_seconds
from .metrics import POOL_TIMEOUTS

log = logging.getLogger(__name__)

# Every problem the API answers, by its stable code: (HTTP status, title), from the one
# catalogue; the OpenAPI document lists exactly these.
PROBLEMS = {error.code: (error.status, error.title) for error in CATALOGUE if error.status}

# The wallet functions' own SQLSTATEs (class WA) that have an answer over HTTP.
SQLSTATE_ERRORS = {state: (error.status, error.code) for state, error in BY_SQLSTATE.items() if error.status}
# Database states that mean "try again shortly" besides a lost connection (db.py): lock or
# statement timeout, retries of deadlock or serialization failure exhausted, too many
# connections.
UNAVAILABLE_SQLSTATES = {state for state in BY_CODE["unavailable"].sqlstates if len(state) == 5}

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def problem(status: int, code: str, detail: str, headers: dict | None = None, members: dict | None = None):
    body = {
        "type": f"urn:wallet:problem:{code}",
        "title": PROBLEMS[code][1],
        "status": status,
        "detail": detail,
        "code": code,
        **(members or {}),
    }
    g.problem_code = code  # for the postings metric
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def unavailable(detail: str):
    return problem(503, "unavailable", detail, {"Retry-After": "1"})


def refusal(exc: psycopg.Error) -> tuple[int, str, str] | None:
    """One of the wallet's own refusals (the error catalogue): its HTTP status, its name
    and what happened; None for any other error."""
    if exc.sqlstate not in SQLSTATE_ERRORS:
        return None
    status, code = SQLSTATE_ERRORS[exc.sqlstate]
    # our own functions' messages are "name: what happened"; only that part is shown.
    # Through the PL/Proxy router (docs/sharding.md) they come as "<function>:
    # [<shard>] REMOTE ERROR: name: what happened", the DETAIL as "Remote detail: ...".
    message = (exc.diag.message_primary or "").rpartition("REMOTE ERROR: ")[2]
    return status, code, message.removeprefix(f"{code}: ")


def database_problem(exc: psycopg.Error):
    if refused := refusal(exc):
        status, code, message = refused
        members: dict[str, str | int] = {}
        detail = (exc.diag.message_detail or "").removeprefix("Remote detail: ")
        if code == "spend_limit_exceeded":  # its DETAIL is "remaining: <N>"
            members["remaining"] = int(detail.removeprefix("remaining: "))
        if code == "account_not_active":  # its DETAIL is "status: <status>"
            members["account_status"] = detail.removeprefix("status: ")
        if code == "hold_not_open":  # its DETAIL is "state: <state>"
            members["state"] = detail.removeprefix("state: ")
        return problem(status, code, message, members=members)
    if isinstance(exc, PoolTimeout):
        POOL_TIMEOUTS.inc()
        return unavailable("all database connections are busy; retry shortly")
    if exc.sqlstate in UNAVAILABLE_SQLSTATES or connection_lost(exc) or shard_unreachable(exc):
        log.warning("database unavailable: %s %s", exc.sqlstate, type(exc).__name__)
        return unavailable("the database is busy or unreachable; retry shortly")
    return internal_error(exc)


def shard_unreachable(exc: psycopg.Error) -> bool:
    """Behind the PL/Proxy router (docs/sharding.md), a shard it cannot reach or that
    went away mid-call: PL/Proxy reports libpq's failure as XX000, naming the call."""
    message = exc.diag.message_primary or ""
    return exc.sqlstate == "XX000" and message.startswith("PL/Proxy function") and "] PQ" in message


def internal_error(exc: Exception):
    log.error("unexpected error (request %s)", g.get("request_id"), exc_info=exc)
    return problem(500, "internal_error", "an unexpected error occurred; it has been logged")


MAX_DISCARDED_BODY = 1024 * 1024


def _discard_body() -> None:
    """Reads and drops the refused body (up to 1 MiB), so that the connection is left at
    the next request: gunicorn would otherwise sometimes close a kept-alive connection
    the client goes on to reuse."""
    remaining = min(request.content_length or 0, MAX_DISCARDED_BODY)
    stream = request.environ["wsgi.input"]
    while remaining > 0 and (chunk := stream.read(min(remaining, 65536))):
        remaining -= len(chunk)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, lambda e: problem(e.status, e.code, e.detail, e.headers))
    app.register_error_handler(psycopg.Error, database_problem)

    @app.errorhandler(HTTPException)
    def http_problem(exc: HTTPException):
        status = exc.code or 500
        if status >= 500:
            return internal_error(exc)
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        if status == 429:
            headers["Retry-After"] = str(retry_after_seconds())
        if status == 413:
            _discard_body()
        return problem(status, HTTP_CODES.get(status, "invalid_request"), exc.description or "", headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        return internal_error(exc)

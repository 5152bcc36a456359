"""The support console (/console): server-rendered pages for support and finance people,
served by the API itself, reading and writing through the same SQL functions as the API.

Staff log in with their own name and password (`python -m wallet_api.credentials staff
NAME SCOPE...`, argon2 like users), and what they may do follows their scopes:
accounts:read (find a user, their wallets, history and holds), accounts:admin (freeze,
unfreeze, close, limits; each change records `staff:NAME` as who made it) and
reports:read (the outstanding report). The session is a signed cookie (HttpOnly,
SameSite=Strict, Secure in production, path /console) that ends after 8 hours or when the
login is revoked or given a new password (checked like tokens, every
WALLET_CREDENTIAL_CHECK_SECONDS). Every form carries a CSRF token (Flask-WTF); the login is
rate-limited like the API's; the pages load nothing but their own stylesheet and run no
script (the content security policy allows none).
"""

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import psycopg
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from ..auth import check_secret, login_valid_since
from ..db import get_db
from ..errors import refusal
from ..limits import login_limited
from ..reports import statement_csv
from ..scopes import Scope
from .chart import balance_chart

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")

# its own stylesheet, nothing else: no script at all, no frame, forms posted here only
CONSOLE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
SESSION_HOURS = 8
HISTORY_PAGE = 25
CHART_DAYS = 30
STATUS_ACTIONS = {"frozen": "Freeze", "active": "Unfreeze", "closed": "Close"}
ENTRY_KINDS = ("topup", "bonus", "import", "spend", "refund", "reversal", "expire", "debt_repayment", "transfer_out",
               "transfer_in", "fee", "exchange_out", "exchange_in")  # fmt: skip


class ConsoleSessions(SecureCookieSessionInterface):
    """Sessions for /console only: the API's routes get none (no cookie read or set)."""

    def open_session(self, app: Flask, request: Request):  # type: ignore[override]
        if not request.path.startswith(bp.url_prefix or "/console"):
            return None  # Flask gives the request a null session, never saved
        return super().open_session(app, request)


def init_console(app: Flask, jwt_secret_key: str, previous_key: str | None, production: bool) -> None:
    """The console's sessions, signed with a key derived from the JWT key (so the JWT key's
    rotation rotates it, the previous key still accepted meanwhile)."""

    def derived(key: str) -> str:
        return hmac.new(key.encode(), b"wallet-console-session", hashlib.sha256).hexdigest()

    app.secret_key = derived(jwt_secret_key)
    app.config.update(
        SECRET_KEY_FALLBACKS=[derived(previous_key)] if previous_key else [],
        SESSION_COOKIE_NAME="wallet_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
    )
    app.session_interface = ConsoleSessions()
    app.register_blueprint(bp)


class Refused(Exception):
    """A call the wallet refused: shown on the page, as the API would answer it."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def call(query: Any, params: tuple = ()) -> list[dict[str, Any]]:
    """One wallet function, as the API calls it; its refusals become Refused."""
    try:
        return get_db().call(query, params)
    except psycopg.Error as exc:
        if refused := refusal(exc):
            raise Refused(*refused) from None
        raise


def require(scope: Scope) -> None:
    if str(scope) not in g.staff["scopes"]:
        abort(403, description=f"this needs the scope {scope}")


@bp.before_request
def signed_in_staff():
    """Every page but the login and the stylesheet: a signed-in member of staff whose login
    still stands; every form: its CSRF token."""
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(exc.args[0]) from None
    if request.endpoint in ("console.login", "console.static"):
        return None
    staff = session.get("staff")
    if not staff:
        return redirect(url_for("console.login", next=_local(request.full_path.rstrip("?"))))
    since = login_valid_since("staff", staff["name"])
    if since is None or staff["at"] <= since:
        session.clear()
        flash("Your login was revoked or its password changed: sign in again.")
        return redirect(url_for("console.login"))
    g.staff = staff
    return None


@bp.after_request
def console_headers(response):
    response.headers["Content-Security-Policy"] = CONSOLE_POLICY
    response.headers["Cache-Control"] = "no-store"  # account data stays off shared caches and the back button
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "staff": g.get("staff"), "money": money}


def money(amount: int | None) -> str:
    return "" if amount is None else f"{amount:,}"


def _local(target: str | None) -> str | None:
    """A place in the console to go back to after signing in, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and parts.path.startswith("/console") else None


def _login_name() -> str:
    return f"staff:{request.form.get('name', '-').strip()[:255]}"


@bp.route("/login", methods=["GET", "POST"])
@partial(login_limited, account=_login_name, methods=["POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html", next=_local(request.args.get("next")))
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    scopes = check_secret("staff", name, password) if name and password else None
    if scopes is None:
        flash("Unknown name or wrong password.")
        return render_template("console/login.html", next=_local(request.form.get("next"))), 401
    session.clear()  # a new session, and a new CSRF token, for who signed in
    session.permanent = True
    session["staff"] = {"name": name, "scopes": sorted(scopes), "at": time.time()}
    return redirect(_local(request.form.get("next")) or url_for("console.home"))


@bp.post("/logout")
def logout():
    session.clear()
    flash("Signed out.")
    return redirect(url_for("console.login"))


@bp.get("/")
def home():
    require(Scope.ACCOUNTS_READ)
    wanted = request.args.get("user_id", "").strip()
    if wanted:
        try:
            return redirect(url_for("console.user", user_id=UUID(wanted)))
        except ValueError:
            flash(f"{wanted!r} is not a user id (a uuid).")
    return render_template("console/home.html", wanted=wanted)


@bp.get("/users/<uuid:user_id>")
def user(user_id: UUID):
    require(Scope.ACCOUNTS_READ)
    try:
        (account,) = call("SELECT * FROM wallet_account(%s)", (user_id,))
    except Refused as refused:
        flash(refused.message)
        return render_template("console/home.html", wanted=str(user_id)), refused.status
    balances = call("SELECT * FROM wallet_balance(%s)", (user_id,))
    limits = {row["asset_type_id"]: row for row in account["limits"]}
    asset = request.args.get("asset_type_id", type=int)
    kind = request.args.get("kind") or None
    days = _days(request.args.get("from", ""), request.args.get("to", ""))
    if days:  # the days' entries from the statement, newest first
        (row,) = call("SELECT wallet_statement(%s, %s, %s) AS statement", (user_id, *days))
        history = [_entry(e) for e in reversed(row["statement"]["entries"])]
        older = None
    else:  # a page of the history, then the next with "Older entries"
        before = request.args.get("before", type=int)
        history = call("SELECT * FROM wallet_history(%s, %s, %s, %s)", (user_id, asset, before, HISTORY_PAGE + 1))
        older = history[HISTORY_PAGE]["entry_id"] if len(history) > HISTORY_PAGE else None
        history = history[:HISTORY_PAGE]
    history = [e for e in history if (asset is None or e["asset_type_id"] == asset) and kind in (None, e["kind"])]
    codes = {row["asset_type_id"]: row["asset_code"] for row in balances}
    limit_changes = call("SELECT * FROM wallet_limit_changes(%s, 10)", (user_id,))
    open_holds = call("SELECT * FROM wallet_holds(%s, 'open')", (user_id,))
    past_holds = [h for h in call("SELECT * FROM wallet_holds(%s, NULL)", (user_id,)) if h["state"] != "open"][:20]
    return render_template(
        "console/user.html", user_id=user_id, account=account, balances=balances, limits=limits,
        history=history, older=older, asset=asset, codes=codes, open_holds=open_holds, past_holds=past_holds,
        limit_changes=limit_changes, kind=kind, kinds=ENTRY_KINDS, days=days,
        chart=balance_chart(_daily_balances(user_id), codes), actions=STATUS_ACTIONS,
    )  # fmt: skip


def _days(first: str, last: str) -> tuple[datetime, datetime] | None:
    """From the start of the first day to the end of the last (UTC), when both are given."""
    if not (first and last):
        return None
    try:
        return (datetime.fromisoformat(first).replace(tzinfo=UTC),
                datetime.fromisoformat(last).replace(tzinfo=UTC) + timedelta(days=1))  # fmt: skip
    except ValueError:
        abort(400, description="Give the first and the last day as YYYY-MM-DD.")


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A statement's entry as a history row (its time is a string there)."""
    return {**entry, "created_at": datetime.fromisoformat(entry["created_at"])}


def _daily_balances(user_id: UUID) -> list[tuple[datetime, dict[int, int]]]:
    """Each asset's balance at the end of each of the last CHART_DAYS days, and now."""
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    moments = [midnight - timedelta(days=d) for d in range(CHART_DAYS - 1, -1, -1)] + [now]
    points = []
    for moment in moments:
        rows = call("SELECT asset_type_id, balance FROM wallet_balance_at(%s, %s)", (user_id, moment))
        points.append((moment, {row["asset_type_id"]: row["balance"] for row in rows}))
    return points


@bp.post("/users/<uuid:user_id>/status")
def set_status(user_id: UUID):
    """Two steps: the form asks, a page shows what will happen, its button does it."""
    require(Scope.ACCOUNTS_ADMIN)
    status, reason = request.form.get("status", ""), request.form.get("reason", "").strip()
    if status not in STATUS_ACTIONS or not 1 <= len(reason) <= 500:
        flash("Choose what to do and give a reason (1 to 500 characters).")
        return redirect(url_for("console.user", user_id=user_id))
    if request.form.get("confirmed") != "yes":
        return render_template("console/confirm.html", user_id=user_id, status=status, reason=reason,
                               action=STATUS_ACTIONS[status])  # fmt: skip
    try:
        # who: the signed-in member of staff, kept with the status (wallet.actor, as the API's routes do)
        (row,) = call("SELECT wallet_set_account_status(%s, %s, %s) AS previous"
                      " FROM (SELECT set_config('wallet.actor', %s, true)) a",
                      (user_id, status, reason, f"staff:{g.staff['name']}"))  # fmt: skip
    except Refused as refused:
        flash(f"Not done: {refused.message}")
    else:
        flash(f"Done: the account was {row['previous']}, it is {status} now.")
    return redirect(url_for("console.user", user_id=user_id))


@bp.post("/users/<uuid:user_id>/limits")
def set_limits(user_id: UUID):
    """A user's cap and daily spend limit on one asset; a blank field: the asset's applies."""
    require(Scope.ACCOUNTS_ADMIN)
    try:
        asset = int(request.form.get("asset_type_id", ""))
        cap, daily = (_limit(request.form.get(field, "")) for field in ("max_balance", "daily_spend_limit"))
    except ValueError:
        flash("Limits are whole numbers of 0 or more, or blank for the asset's own.")
        return redirect(url_for("console.user", user_id=user_id))
    try:
        # who: the signed-in member of staff, kept with the change (wallet.actor)
        call("SELECT wallet_set_limits(%s, %s, %s, %s) FROM (SELECT set_config('wallet.actor', %s, true)) a",
             (asset, cap, daily, user_id, f"staff:{g.staff['name']}"))  # fmt: skip
    except Refused as refused:
        flash(f"Not done: {refused.message}")
    else:
        flash("Done: the limits are set.")
    return redirect(url_for("console.user", user_id=user_id))


def _limit(text: str) -> int | None:
    value = int(text) if text.strip() else None
    if value is not None and not 0 <= value <= 9007199254740991:
        raise ValueError(text)
    return value


@bp.get("/users/<uuid:user_id>/statement.csv")
def statement(user_id: UUID):
    """The statement the API answers as CSV (formula-safe), for the days asked."""
    require(Scope.ACCOUNTS_READ)
    days = _days(request.args.get("from", ""), request.args.get("to", ""))
    if days is None:
        abort(400, description="Give the first and the last day of the statement (YYYY-MM-DD).")
    (row,) = call("SELECT wallet_statement(%s, %s, %s) AS statement", (user_id, *days))
    return Response(statement_csv(row["statement"]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statement-{user_id}.csv"'})  # fmt: skip


@bp.get("/outstanding")
def outstanding():
    """Finance's question: what credit is outstanding, per asset, at the end of a day."""
    require(Scope.REPORTS_READ)
    day = request.args.get("day", "")
    rows, at = [], None
    if day:
        try:
            at = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        except ValueError:
            abort(400, description="Give the day as YYYY-MM-DD.")
        rows = call("SELECT * FROM wallet_outstanding(%s)", (at,))
    return render_template("console/outstanding.html", day=day, at=at, rows=rows)


@bp.errorhandler(CSRFError)
def csrf_refused(exc: CSRFError):
    return render_template("console/error.html", status=400,
                           message=f"The form could not be accepted ({exc.description}). Go back, reload the page "
                                   "and try again."), 400  # fmt: skip


@bp.errorhandler(HTTPException)
def page_error(exc: HTTPException):
    if exc.code == 429:
        return render_template("console/login.html", next=None,
                               refused="Too many attempts: wait a minute and try again."), 429  # fmt: skip
    return render_template("console/error.html", status=exc.code, message=exc.description), exc.code or 500


@bp.errorhandler(Refused)
def refused_page(exc: Refused):
    return render_template("console/error.html", status=exc.status, message=exc.message), exc.status

"""Authentication (JWT access tokens for users and service clients) and the checks
that decide whose wallet a caller may touch."""

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, current_app, g, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, verify_jwt_in_request
from flask_limiter.util import get_remote_address

from .db import get_db
from .errors import ApiError, problem
from .limits import login_limited, subject_limit
from .schemas import ClientCredentials, LoginRequest, parse_body
from .scopes import USER_SCOPES

bp = Blueprint("auth", __name__)
jwt = JWTManager()
_hasher = PasswordHasher()
# checked against when the subject is unknown, so both failures cost the same time
_UNKNOWN_SUBJECT_HASH = _hasher.hash("no such subject")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str  # "user" or "service"
    scopes: frozenset[str]


def _unauthenticated(detail: str):
    return problem(401, "unauthenticated", detail, {"WWW-Authenticate": "Bearer"})


@jwt.unauthorized_loader
def _missing_token(reason):
    return _unauthenticated("a bearer access token is required")


@jwt.invalid_token_loader
def _invalid_token(reason):
    return _unauthenticated("the access token is invalid")


@jwt.expired_token_loader
def _expired_token(header, payload):
    return _unauthenticated("the access token has expired")


def key_id(key: str) -> str:
    """Names a signing key in the tokens it signs (`kid`), without revealing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@jwt.decode_key_loader
def _key_that_signed(header, payload) -> str:
    """The current key, or during a rotation the previous one for the tokens it signed."""
    previous = current_app.config["WALLET_JWT_PREVIOUS_KEY"]
    if previous and header.get("kid") == key_id(previous):
        return previous
    return current_app.config["JWT_SECRET_KEY"]


@jwt.token_verification_loader
def _claims_are_complete(header, payload) -> bool:
    if "exp" not in payload or "iat" not in payload or payload.get("role") not in ("user", "service"):
        return False
    if not isinstance(payload.get("scopes"), list):
        return False
    if payload["role"] == "user":
        try:
            UUID(payload["sub"])
        except (ValueError, TypeError, KeyError):
            return False
    return True


@jwt.token_verification_failed_loader
def _incomplete_token(header, payload):
    return _unauthenticated("the access token is invalid")


class _Recent:
    """A map shared by a worker's threads that forgets its least recently used entries
    beyond `size`."""

    def __init__(self, size: int):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


# (kind, subject) -> (valid since, as a Unix time, or None: revoked; when it was read)
_valid_since = _Recent(100_000)


def login_valid_since(kind: str, subject: str) -> float | None:
    """When the subject's login got its current secret (None: revoked), read from the
    database at most every WALLET_CREDENTIAL_CHECK_SECONDS per subject in this worker."""
    now = time.monotonic()
    cached = _valid_since.get((kind, subject))
    if cached and now - cached[1] < current_app.config["WALLET_CREDENTIAL_CHECK_SECONDS"]:
        return cached[0]
    (row,) = get_db().call("SELECT wallet_credential_valid_since(%s, %s) AS since", (kind, subject))
    since = row["since"].timestamp() if row["since"] else None
    _valid_since.put((kind, subject), (since, now))
    return since


# Authorization header value -> the claims of the token it carries, once verified, and
# the caller they describe. A service sends one token for many requests: its signature
# and claims are checked once per worker, its expiry on every request.
_verified = _Recent(10_000)


def _verified_token() -> tuple[dict, Principal]:
    header = request.headers.get("Authorization", "")
    verified = _verified.get(header)
    if verified is None:
        verify_jwt_in_request()  # signature, algorithm, expiry, the claims' shape
        claims = get_jwt()
        verified = (claims, Principal(claims["sub"], claims["role"], frozenset(claims["scopes"])))
        _verified.put(header, verified)
    elif verified[0]["exp"] <= time.time():
        raise ApiError(401, "unauthenticated", "the access token has expired", {"WWW-Authenticate": "Bearer"})
    return verified


def current_principal() -> Principal:
    """The request's verified caller; the token is verified once per worker (its expiry
    on every request), and refused when its login was revoked or given a new secret after
    the token was issued."""
    if "principal" not in g:
        claims, principal = _verified_token()
        since = login_valid_since(principal.role, principal.subject)
        # a whole-second iat (a token from before iat had a fraction) counts as issued at
        # the start of its second: refused when the secret changed within that second
        if since is None or claims["iat"] <= since:
            raise ApiError(401, "unauthenticated", "the access token's login was revoked or its secret changed",
                           {"WWW-Authenticate": "Bearer"})  # fmt: skip
        g.subject = principal.subject
        g.principal = principal
    return g.principal


def _role_or_none() -> str | None:
    try:
        return current_principal().role
    except Exception:  # noqa: BLE001 - any token problem is answered by the route itself
        return None


def _subject_or_address() -> str:
    """One caller's writes share one budget; a request without a valid token is keyed
    by its address (it will get a 401 anyway)."""
    return f"sub:{g.principal.subject}" if _role_or_none() else f"addr:{get_remote_address()}"


# Every write route and every read of a wallet: a user's are limited, a service's only
# if an operator says so. A statement (up to 10,000 entries) weighs as 100 reads.
STATEMENT_READ_COST = 100
write_limited = subject_limit(_role_or_none, _subject_or_address, "WRITES")
read_limited = subject_limit(_role_or_none, _subject_or_address, "READS")
statement_limited = subject_limit(_role_or_none, _subject_or_address, "READS", cost=STATEMENT_READ_COST)


def require_service_scope(scope: str) -> Principal:
    principal = current_principal()
    if principal.role != "service" or scope not in principal.scopes:
        raise ApiError(403, "forbidden", f"this needs a service token with scope {scope}")
    return principal


def target_user(requested: UUID | None, service_scope: str) -> UUID:
    """The user a request acts on: a user only ever its own wallet; a service with the
    scope, the user it names."""
    principal = current_principal()
    if principal.role == "user":
        own = UUID(principal.subject)
        if requested is not None and requested != own:
            raise ApiError(403, "forbidden", "a user may only act on its own wallet")
        return own
    if service_scope not in principal.scopes:
        raise ApiError(403, "forbidden", f"this needs a service token with scope {service_scope}")
    if requested is None:
        raise ApiError(400, "invalid_request", "user_id is required when a service calls")
    return requested


def check_secret(kind: str, subject: str, secret: str) -> list[str] | None:
    """The subject's scopes if the secret matches its argon2 hash, else None."""
    rows = get_db().call("SELECT secret_hash, scopes FROM wallet_auth_credential(%s, %s)", (kind, subject))
    try:
        _hasher.verify(rows[0]["secret_hash"] if rows else _UNKNOWN_SUBJECT_HASH, secret)
    except (VerificationError, InvalidHashError):
        return None
    return rows[0]["scopes"] if rows else None


def _token_response(subject: str, role: str, scopes: list[str]):
    # iat to the millisecond (a NumericDate may have a fraction): a token issued in the
    # same second as, but before, a secret change must still be refused
    now = time.time()
    lifetime = int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())
    claims = {"role": role, "scopes": scopes, "iat": round(now, 3), "exp": int(now) + lifetime}
    token = create_access_token(identity=subject, additional_claims=claims,
                                additional_headers={"kid": key_id(current_app.config["JWT_SECRET_KEY"])})  # fmt: skip
    return jsonify(
        access_token=token,
        token_type="Bearer",  # noqa: S106 (not a password)
        expires_in=lifetime,
    )


@bp.post("/auth/login")
@login_limited
def login():
    body = parse_body(LoginRequest)
    if check_secret("user", str(body.user_id), body.password) is None:
        raise ApiError(401, "unauthenticated", "unknown user or wrong password")
    g.subject = str(body.user_id)
    return _token_response(str(body.user_id), "user", [str(scope) for scope in USER_SCOPES])


@bp.get("/auth/whoami")
def whoami():
    """The caller as its token describes it: for checking a token, and the benchmarks'
    trivial authenticated route (no database)."""
    principal = current_principal()
    return jsonify(sub=principal.subject, role=principal.role, scopes=sorted(principal.scopes))


@bp.post("/auth/token")
@login_limited
def token():
    body = parse_body(ClientCredentials)
    scopes = check_secret("service", body.client_id, body.client_secret)
    if scopes is None:
        raise ApiError(401, "unauthenticated", "unknown client or wrong secret")
    g.subject = body.client_id
    return _token_response(body.client_id, "service", scopes)

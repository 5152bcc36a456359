"""Every setting of the service, read from the environment in this one place."""

import logging
import math
import os
import secrets
from collections import Counter
from dataclasses import dataclass

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    """The service must not start with this configuration."""


def _int(environ, name: str, default: int) -> int:
    try:
        return int(environ.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer") from exc


# Keys published in this repository (docker-compose.yml): fine on a laptop, never in production.
DEVELOPMENT_KEYS = frozenset({"development-only-secret-change-me-0123456789"})
MIN_KEY_BITS = 128


def estimated_bits(secret: str) -> float:
    """Shannon entropy of the key's characters times its length: a generous estimate
    that still catches repeated or few distinct characters ('a' * 32, 'abab...')."""
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


def _check_production_key(secret: str) -> None:
    hint = "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if secret in DEVELOPMENT_KEYS:
        raise ConfigError(f"JWT_SECRET_KEY is the published development key; {hint}")
    if estimated_bits(secret) < MIN_KEY_BITS:
        raise ConfigError(f"JWT_SECRET_KEY is too predictable (about {estimated_bits(secret):.0f} bits); {hint}")


@dataclass(frozen=True)
class Settings:
    database_url: str
    read_database_url: str = ""  # standbys for reads (target_session_attrs=prefer-standby); empty: the primary
    env: str = "development"
    jwt_secret_key: str = ""
    jwt_previous_secret_key: str = ""  # still accepted, for a key rotation (docs/runbook.md)
    credential_check_seconds: int = 30  # how stale a token's login check may be
    access_token_minutes: int = 15
    pool_min_size: int = 1
    pool_max_size: int = 4
    pool_timeout_seconds: float = 2.0  # waiting for a free connection, then 503
    lock_timeout_ms: int = 2000
    statement_timeout_ms: int = 5000
    max_body_bytes: int = 64 * 1024
    max_batch_body_bytes: int = 5 * 1024 * 1024  # POST /wallet/batch: 1,000 items of 4 KiB metadata fit
    # per (client address, account), /auth/login and /auth/token together: the contract's
    # 20 to 100 attempts per address and minute holds for one account and for many
    rate_limit_login: str = "20/minute"
    rate_limit_login_address: str = "100/minute"  # per client address, the same two routes
    trusted_proxies: int = 0  # proxies in front whose X-Forwarded-For is believed
    rate_limit_user_writes: str = "1200/minute"  # per user, every write route
    rate_limit_service_writes: str = ""  # per service client; empty: services are not throttled
    rate_limit_user_reads: str = "3000/minute"  # per user, every read of a wallet (a statement counts 100)
    rate_limit_service_reads: str = ""  # per service client; empty: services are not throttled
    rate_limit_storage: str = "memory://"

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        env = environ.get("WALLET_ENV", "production")
        database_url = environ.get("DATABASE_URL", "")
        if not database_url:
            raise ConfigError("DATABASE_URL is required")
        secret = environ.get("JWT_SECRET_KEY", "")
        if not secret:
            if env != "development":
                raise ConfigError("JWT_SECRET_KEY is required outside WALLET_ENV=development")
            secret = secrets.token_urlsafe(48)
            log.warning("JWT_SECRET_KEY is not set: using a random key, tokens die with this process")
        if len(secret.encode()) < 32:
            raise ConfigError("JWT_SECRET_KEY must be at least 32 bytes")
        if env == "production":
            _check_production_key(secret)
        previous = environ.get("JWT_PREVIOUS_SECRET_KEY", "")
        if previous and (len(previous.encode()) < 32 or previous == secret):
            raise ConfigError("JWT_PREVIOUS_SECRET_KEY must be at least 32 bytes and differ from JWT_SECRET_KEY")
        return cls(
            database_url=database_url,
            read_database_url=environ.get("WALLET_READ_DATABASE_URL", ""),
            env=env,
            jwt_secret_key=secret,
            jwt_previous_secret_key=previous,
            credential_check_seconds=_int(environ, "WALLET_CREDENTIAL_CHECK_SECONDS", 30),
            access_token_minutes=_int(environ, "JWT_ACCESS_TOKEN_MINUTES", 15),
            pool_min_size=_int(environ, "WALLET_POOL_MIN_SIZE", 1),
            pool_max_size=_int(environ, "WALLET_POOL_MAX_SIZE", 4),
            pool_timeout_seconds=_int(environ, "WALLET_POOL_TIMEOUT_MS", 2000) / 1000,
            lock_timeout_ms=_int(environ, "WALLET_LOCK_TIMEOUT_MS", 2000),
            statement_timeout_ms=_int(environ, "WALLET_STATEMENT_TIMEOUT_MS", 5000),
            max_batch_body_bytes=_int(environ, "WALLET_MAX_BATCH_BODY_BYTES", cls.max_batch_body_bytes),
            rate_limit_login=environ.get("WALLET_RATE_LIMIT_LOGIN", cls.rate_limit_login),
            rate_limit_login_address=environ.get("WALLET_RATE_LIMIT_LOGIN_ADDRESS", cls.rate_limit_login_address),
            trusted_proxies=_int(environ, "WALLET_TRUSTED_PROXIES", 0),
            rate_limit_user_writes=environ.get("WALLET_RATE_LIMIT_USER_WRITES", cls.rate_limit_user_writes),
            rate_limit_service_writes=environ.get("WALLET_RATE_LIMIT_SERVICE_WRITES", cls.rate_limit_service_writes),
            rate_limit_user_reads=environ.get("WALLET_RATE_LIMIT_USER_READS", cls.rate_limit_user_reads),
            rate_limit_service_reads=environ.get("WALLET_RATE_LIMIT_SERVICE_READS", cls.rate_limit_service_reads),
            rate_limit_storage=environ.get("WALLET_RATE_LIMIT_STORAGE", cls.rate_limit_storage),
        )

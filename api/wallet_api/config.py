"""Every setting of the service, read from the environment in this one place."""

import logging
import math
import os
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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


@dataclass(frozen=True)
class ServerSettings:
    """The API's server (python -m wallet_api.serve)."""

    host: str = "127.0.0.1"
    port: str = "8000"
    workers: str = str(os.cpu_count() or 1)
    threads: str = "4"
    server: str = "granian"
    metrics_dir: str = ""  # PROMETHEUS_MULTIPROC_DIR; empty: a folder per port under the temp dir

    @classmethod
    def from_env(cls, environ=os.environ) -> "ServerSettings":
        return cls(
            host=environ.get("HOST", cls.host),
            port=environ.get("PORT", cls.port),
            workers=environ.get("WEB_CONCURRENCY", cls.workers),
            threads=environ.get("WALLET_THREADS", cls.threads),
            server=environ.get("WALLET_SERVER", cls.server),
            metrics_dir=environ.get("PROMETHEUS_MULTIPROC_DIR", ""),
        )


@dataclass(frozen=True)
class MetricsSettings:
    """GET /metrics: the scrape's bearer token, and the server workers' shared folder."""

    token: str = ""
    multiproc_dir: str = ""  # empty: one process, the default registry

    @classmethod
    def from_env(cls, environ=os.environ) -> "MetricsSettings":
        return cls(environ.get("WALLET_METRICS_TOKEN", ""), environ.get("PROMETHEUS_MULTIPROC_DIR", ""))


@dataclass(frozen=True)
class CommandSettings:
    """The operator commands (wallet_api.migrate, .credentials, .webhook_admin)."""

    database_url: str = ""
    env: str = ""  # WALLET_ENV as set: seed refuses only an explicit "production"
    db_wait_seconds: float = 0.0  # migrate: how long to wait for a database that is starting

    @classmethod
    def from_env(cls, environ=os.environ) -> "CommandSettings":
        return cls(
            database_url=environ.get("DATABASE_URL", ""),
            env=environ.get("WALLET_ENV", ""),
            db_wait_seconds=float(environ.get("WALLET_DB_WAIT_SECONDS", "0")),
        )


def sql_dir(environ=os.environ) -> Path:
    """Where migrate reads the migrations, functions and seed from: WALLET_SQL_DIR, or the
    checkout's sql/."""
    return Path(environ.get("WALLET_SQL_DIR", Path(__file__).resolve().parents[2] / "sql"))


@dataclass(frozen=True)
class WorkerSettings:
    """The background worker (python -m wallet_api.worker)."""

    database_url: str = ""
    expire_cron: str = "* * * * *"
    transfers_cron: str = "* * * * * */5"
    notify_interval_seconds: float = 0.02
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9102  # 0: no endpoint

    @classmethod
    def from_env(cls, environ=os.environ) -> "WorkerSettings":
        return cls(
            database_url=environ.get("DATABASE_URL", ""),
            expire_cron=environ.get("WALLET_EXPIRE_CRON", cls.expire_cron),
            transfers_cron=environ.get("WALLET_TRANSFERS_CRON", cls.transfers_cron),
            notify_interval_seconds=_int(environ, "WALLET_NOTIFY_INTERVAL_MS", 20) / 1000,
            metrics_host=environ.get("WALLET_WORKER_METRICS_HOST", cls.metrics_host),
            metrics_port=_int(environ, "WALLET_WORKER_METRICS_PORT", cls.metrics_port),
        )


@dataclass(frozen=True)
class DeliverySettings:
    """The worker's webhook sender."""

    retry_for: timedelta
    backoff_cap: timedelta
    timeout: float
    concurrency: int
    per_receiver: int
    run_for: float
    lease: timedelta
    private_targets: bool

    @classmethod
    def from_env(cls, environ=os.environ) -> "DeliverySettings":
        env = environ.get
        timeout = float(env("WALLET_WEBHOOK_TIMEOUT_SECONDS", 10))
        return cls(
            retry_for=timedelta(seconds=float(env("WALLET_WEBHOOK_RETRY_SECONDS", 86400))),
            backoff_cap=timedelta(seconds=float(env("WALLET_WEBHOOK_BACKOFF_CAP_SECONDS", 3600))),
            timeout=timeout,
            concurrency=int(env("WALLET_WEBHOOK_CONCURRENCY", 16)),
            per_receiver=int(env("WALLET_WEBHOOK_PER_RECEIVER", 4)),
            run_for=float(env("WALLET_WEBHOOK_RUN_SECONDS", 5)),
            # longer than a delivery may take, so that a live worker settles before a re-claim
            lease=timedelta(seconds=max(float(env("WALLET_WEBHOOK_LEASE_SECONDS", 60)), timeout + 1)),
            private_targets=env("WALLET_WEBHOOK_PRIVATE_TARGETS", "") == "allow",
        )

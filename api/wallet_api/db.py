"""The connection pool and the one way routes reach the database: call a function."""

import logging
import random
import time
from typing import Any, LiteralString

import psycopg
from flask import current_app
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from .config import Settings
from .metrics import DB_RETRIES

log = logging.getLogger(__name__)

# Whole calls are retried on these. Safe for writes too: every write carries its
# idempotency key, so a retry of a call that did commit replays it.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
SERVER_GONE_SQLSTATES = {"57P01", "57P02", "57P03"}  # shutdown, crash, starting up
MAX_ATTEMPTS = 3


def connection_lost(exc: psycopg.Error) -> bool:
    """The connection broke (no SQLSTATE, class 08, or the server going away)."""
    return exc.sqlstate is None or exc.sqlstate.startswith("08") or exc.sqlstate in SERVER_GONE_SQLSTATES


class PromptReconnection(AttemptWithBackoff):
    """The pool's retries of a failed connection: from 0.1 s, growing by half, at most
    0.5 s apart. psycopg_pool's own start at 1 s and double, so after a failover its
    connections came back up to 2.6 s after the new primary took writes (tests/ha)."""

    INITIAL_DELAY = 0.1
    DELAY_BACKOFF = 1.5
    MAX_DELAY = 0.5

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, self.MAX_DELAY)


class WalletPool(ConnectionPool[psycopg.Connection[dict[str, Any]]]):
    """A ConnectionPool whose reconnection attempts are PromptReconnection's (psycopg_pool
    is pinned: this names its attempt type and the method that makes one)."""

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or PromptReconnection(timeout=self.reconnect_timeout), growing)


class Database:
    """The pool of connections to the primary, and with WALLET_READ_DATABASE_URL a second
    one to the standbys for reads. Read-your-writes: with standby reads, every write
    commits with synchronous_commit = remote_apply, so the synchronous standby has
    applied a write before the caller hears of it, and a read right after sees it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool = self._pool(settings.database_url, "wallet-api", settings.pool_max_size)
        self.read_pool = (
            self._pool(settings.read_database_url, "wallet-api-read", settings.pool_max_size)
            if settings.read_database_url
            else None
        )

    def _pool(self, url: str, name: str, size: int) -> WalletPool:
        return WalletPool(
            url,
            connection_class=psycopg.Connection[dict[str, Any]],
            min_size=self.settings.pool_min_size,
            max_size=size,
            timeout=self.settings.pool_timeout_seconds,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": name},
            configure=self._configure,
            name=name,
            open=True,
        )

    def _configure(self, conn: psycopg.Connection[dict[str, Any]]) -> None:
        commit = "remote_apply" if self.settings.read_database_url else "on"
        row = conn.execute(
            "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false),"
            " set_config('synchronous_commit', %s, false),"
            " (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser",
            (str(self.settings.lock_timeout_ms), str(self.settings.statement_timeout_ms), commit),
        ).fetchone()
        if row and row["superuser"]:
            # The API must log in as a member of wallet_api only (wallet_api.credentials
            # database-login): a superuser's connection can do anything.
            if self.settings.env == "production":
                raise psycopg.OperationalError("refusing a superuser login for the API in production")
            log.warning("the API is logged in as a superuser; use a login with wallet_api's rights only")

    def call(
        self, query: LiteralString, params: dict[str, Any] | tuple[Any, ...] = (), read: bool = False
    ) -> list[dict[str, Any]]:
        """Runs one statement (a wallet function call) in its own transaction and returns
        its rows, retrying the whole call on transient failures. `read`: a call that
        writes nothing, which may go to a standby."""
        pool = self.read_pool if read and self.read_pool else self.pool
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with pool.connection() as conn:
                    return conn.execute(query, params).fetchall()
            except PoolTimeout:
                raise  # overloaded: fail fast rather than queue
            except psycopg.OperationalError as exc:
                lost = connection_lost(exc)
                if not (lost or exc.sqlstate in RETRYABLE_SQLSTATES) or attempt == MAX_ATTEMPTS:
                    raise
                if lost:
                    pool.check()  # drop every broken idle connection, not one per retry
                DB_RETRIES.labels("lost_connection" if lost else exc.sqlstate or "unknown").inc()
                log.warning(
                    "retrying a database call after %s (attempt %d)", exc.sqlstate or "a lost connection", attempt
                )
                time.sleep(0.02 * 2**attempt * random.uniform(0.5, 1.5))  # noqa: S311
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.pool.close()
        if self.read_pool:
            self.read_pool.close()


def get_db() -> Database:
    return current_app.extensions["wallet_db"]

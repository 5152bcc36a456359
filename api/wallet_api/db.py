"""The connection pool and the one way routes reach the database: call a function."""
import logging
import random
import time

import psycopg
from flask import current_app
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from .config import Settings

log = logging.getLogger(__name__)

# Whole calls are retried on these. Safe for writes too: every write carries its
# idempotency key, so a retry of a call that did commit replays it.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
SERVER_GONE_SQLSTATES = {"57P01", "57P02", "57P03"}  # shutdown, crash, starting up
MAX_ATTEMPTS = 3


def connection_lost(exc: psycopg.Error) -> bool:
    """The connection broke (no SQLSTATE, class 08, or the server going away)."""
    return exc.sqlstate is None or exc.sqlstate.startswith("08") or exc.sqlstate in SERVER_GONE_SQLSTATES


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool = ConnectionPool(
            settings.database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.pool_timeout_seconds,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "wallet-api"},
            configure=self._configure,
            name="wallet",
            open=True,
        )

    def _configure(self, conn: psycopg.Connection) -> None:
        if self.settings.db_role:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.settings.db_role)))
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(self.settings.lock_timeout_ms)))
        conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(self.settings.statement_timeout_ms)))

    def call(self, query: str, params: dict | tuple = ()) -> list[dict]:
        """Runs one statement (a wallet function call) in its own transaction and returns
        its rows, retrying the whole call on transient failures."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.pool.connection() as conn:
                    return conn.execute(query, params).fetchall()
            except PoolTimeout:
                raise  # overloaded: fail fast rather than queue
            except psycopg.OperationalError as exc:
                lost = connection_lost(exc)
                if not (lost or exc.sqlstate in RETRYABLE_SQLSTATES) or attempt == MAX_ATTEMPTS:
                    raise
                if lost:
                    self.pool.check()  # drop every broken idle connection, not one per retry
                log.warning("retrying a database call after %s (attempt %d)",
                            exc.sqlstate or "a lost connection", attempt)
                time.sleep(0.02 * 2 ** attempt * random.uniform(0.5, 1.5))  # noqa: S311
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.pool.close()


def get_db() -> Database:
    return current_app.extensions["wallet_db"]

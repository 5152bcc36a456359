"""Prometheus metrics (prometheus-client), served at GET /metrics by metrics_endpoint.py;
this module imports only config.py of the service, so that any part of it may count.

Every server worker process writes its samples to files in PROMETHEUS_MULTIPROC_DIR
(wallet_api.serve sets it and empties it when the server starts; a worker starting
drops the live gauges of workers that are gone), and a scrape of any worker adds up all
of them.
"""

import os
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, multiprocess

from .config import MetricsSettings

REQUESTS = Counter("wallet_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "wallet_http_request_duration_seconds", "Time to answer a request, by route", ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
POSTINGS = Counter("wallet_postings", "Write calls by kind and outcome (created, replayed, or the refusal's code)",
                   ["kind", "outcome"])  # fmt: skip
POOL_SIZE = Gauge("wallet_db_pool_connections", "Open database connections in the pools", multiprocess_mode="livesum")
POOL_IN_USE = Gauge("wallet_db_pool_in_use", "Database connections lent to requests", multiprocess_mode="livesum")
POOL_WAITING = Gauge("wallet_db_pool_waiting", "Requests waiting for a database connection",
                     multiprocess_mode="livesum")  # fmt: skip
POOL_TIMEOUTS = Counter("wallet_db_pool_timeouts", "Requests refused (503) because no connection was free in time")
DB_RETRIES = Counter("wallet_db_retries", "Database calls retried after a transient failure", ["reason"])
RATE_LIMITED = Counter("wallet_rate_limited", "Requests refused with 429, by route", ["route"])

# the write routes and the kind of call each makes
POSTING_KINDS = {
    ("POST", "/wallet/topup"): "topup",
    ("POST", "/wallet/bonus"): "bonus",
    ("POST", "/wallet/spend"): "spend",
    ("POST", "/wallet/refunds"): "refund",
    ("POST", "/wallet/reversals"): "reversal",
    ("POST", "/wallet/holds"): "hold",
    ("POST", "/wallet/holds/<int:hold_id>/capture"): "capture",
    ("POST", "/wallet/holds/<int:hold_id>/void"): "void",
    ("POST", "/wallet/transfers"): "transfer",
    ("POST", "/wallet/exchanges"): "exchange",
}


def forget_dead_workers() -> None:
    """Drops the live gauges of worker processes that no longer run (a worker the server
    replaced): their last pool figures would otherwise be added up forever."""
    directory = MetricsSettings.from_env().multiproc_dir
    if not directory or not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        pid = name.rsplit("_", 1)[-1].removesuffix(".db")
        if name.startswith("gauge_live") and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            multiprocess.mark_process_dead(int(pid), directory)


# a worker's metric children by label values: prometheus-client's labels() validates and
# locks on every call
_children: dict[tuple, Any] = {}


def _child(metric, *labels: str):
    child = _children.get((metric, labels))
    if child is None:
        child = _children[(metric, labels)] = metric.labels(*labels)
    return child


def observe_request(route: str | None, method: str, status: int, seconds: float, replayed: bool,
                    problem_code: str | None, preview: bool = False) -> None:  # fmt: skip
    """Counts one answered request (called once per request, after its response)."""
    label = route or "unmatched"  # unknown paths share one label, not one each
    _child(REQUESTS, label, method, str(status)).inc()
    _child(LATENCY, label).observe(seconds)
    if status == 429:
        _child(RATE_LIMITED, label).inc()
    kind = POSTING_KINDS.get((method, route or ""))
    if kind:
        outcome = (
            "preview"
            if preview
            else "replayed"
            if replayed
            else "created"
            if status < 300
            else problem_code or str(status)
        )
        _child(POSTINGS, kind, outcome).inc()


_pool_seen: list[int] = []


def observe_pool(size: int, available: int, waiting: int) -> None:
    """The pool as it stands; the gauges (a file write each in multiprocess mode) are set
    only when a figure changed since this worker last set them."""
    if _pool_seen != [size, available, waiting]:
        _pool_seen[:] = [size, available, waiting]
        POOL_SIZE.set(size)
        POOL_IN_USE.set(size - available)
        POOL_WAITING.set(waiting)

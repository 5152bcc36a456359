"""GET /metrics: every server worker's samples added up (PROMETHEUS_MULTIPROC_DIR), or the
one process's; with WALLET_METRICS_TOKEN set, a scrape must send it as a bearer token.
The metrics themselves are in metrics.py, which imports nothing of the service."""

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from .config import MetricsSettings
from .errors import ApiError

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    settings = MetricsSettings.from_env()
    token = settings.token
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        raise ApiError(401, "unauthenticated", "this scrape needs the metrics token")
    if settings.multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

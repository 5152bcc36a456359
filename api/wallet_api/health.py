"""Liveness, readiness and the OpenAPI document."""

from flask import Blueprint, jsonify

from .db import get_db
from .openapi import openapi_document

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    get_db().call("SELECT 1 AS ok")  # failures become 503 unavailable in errors.py
    return jsonify(status="ready")


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())

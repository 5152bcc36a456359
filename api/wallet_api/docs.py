"""GET /docs: Swagger UI rendering /openapi.json, served from the assets bundled in the
flask-swagger-ui package (no CDN), under a content security policy that allows no
inline script (the page's start-up is a file of its own) and no framing."""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, send_from_directory

bp = Blueprint("docs", __name__)
ASSETS = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Wallet API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/start.js"></script>
</body>
</html>
"""

START = """window.onload = function () {
  // validatorUrl null: no badge fetched from swagger.io
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null});
};
"""

# Swagger UI sets style attributes from script (hence 'unsafe-inline' for styles only)
# and draws its icons as data: images.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")  # fmt: skip


@bp.get("/docs")
def page():
    return Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": POLICY})


@bp.get("/docs/start.js")
def start():
    return Response(START, mimetype="text/javascript", headers={"Cache-Control": "max-age=3600"})


@bp.get("/docs/<path:asset>")
def asset(asset: str):
    return send_from_directory(ASSETS, asset, max_age=3600)

"""The OpenAPI document is valid OpenAPI 3.1 and describes every registered route."""

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid(api):
    r = api.get("/openapi.json")
    assert r.status_code == 200
    document = r.json()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_documented(api, server_env, monkeypatch):
    from wallet_api import create_app
    from wallet_api.config import Settings

    app = create_app(Settings(database_url=server_env["DATABASE_URL"], jwt_secret_key="x" * 32, pool_min_size=0))
    try:
        routes = {
            (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())  # Flask's <int:x> is {x}
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
            if rule.endpoint not in ("static", "docs.asset", "docs.start")  # the docs page's scripts and styles
            and rule.endpoint.partition(".")[0] != "console"  # the support console's pages: for people, not callers
        }
    finally:
        app.extensions["wallet_db"].close()
    paths = api.get("/openapi.json").json()["paths"]
    documented = {(path, method) for path, item in paths.items() for method in item}
    assert routes == documented

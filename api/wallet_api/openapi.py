"""The OpenAPI 3.1 document of the HTTP API (served at /openapi.json). A test checks it
against the specification and against the routes the app registers."""
from functools import cache

from .schemas import MAX_AMOUNT, MAX_BATCH, MAX_INT4

UUID = {"type": "string", "format": "uuid"}
CONTROL_FREE = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"
KEY = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": CONTROL_FREE}
ASSET = {"type": "integer", "minimum": 1, "maximum": MAX_INT4}
AMOUNT = {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT,
          "description": "minor units, a JSON integer written without fraction or exponent (20, not 20.0)"}
NO_NUL = {"type": "string", "pattern": "^[^\\u0000]*$"}
METADATA = {"type": "object", "propertyNames": NO_NUL,
            "additionalProperties": {"$ref": "#/components/schemas/MetadataValue"},
            "description": "stored with the entry; at most 4 KiB of JSON, no NUL character in any string"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


PROBLEMS = {400: "Invalid request, amount or key", 401: "Missing, invalid or expired token",
            403: "Not allowed for this caller", 404: "Unknown user or asset",
            409: "Idempotency key reused for a different request", 413: "Body over 64 KiB",
            422: "Insufficient funds", 429: "Rate limited", 503: "Database unavailable or busy; retry"}


def _problems(*statuses: int) -> dict:
    return {str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}


def _object(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


POSTED = {"description": "Posted (201) or replayed (200, header Idempotent-Replayed: true)"}
REPLAYED_HEADER = {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                                           "description": "sent on a replay"}}
IDEMPOTENCY_HEADER = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": KEY,
                      "description": "the idempotency key (or idempotency_key in the body)"}
USER_QUERY = {"name": "user_id", "in": "query", "required": False, "schema": UUID,
              "description": "required for services (scope wallet:read); a user may only name itself"}
WRITE_ERRORS = _problems(400, 401, 403, 404, 409, 413, 422, 429, 503)


def _posting(summary: str, body: str, scope: str) -> dict:
    return {
        "summary": summary,
        "description": f"Needs {scope}.",
        "security": [{"bearer": []}],
        "parameters": [IDEMPOTENCY_HEADER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {"201": _json(_ref("Posting"), "Posted"),
                      "200": _json(_ref("Posting"), "Replayed: the first call's result", REPLAYED_HEADER),
                      **WRITE_ERRORS},
    }


@cache
def openapi_document() -> dict:
    posting_fields = {"user_id": UUID, "asset_type_id": ASSET, "amount": AMOUNT,
                      "idempotency_key": KEY, "metadata": METADATA}
    problem = {"type": "object", "required": ["type", "title", "status", "code"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"}, "request_id": {"type": "string"}}}
    token_response = _json(_ref("Token"), "An access token")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wallet service", "version": "1.0.0",
                 "description": "Closed-loop virtual credits: top-up, bonus, spend, balances and history. "
                                "Errors are RFC 9457 problem details with a stable `code`."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Problem": problem,
                "MetadataValue": {"anyOf": [
                    NO_NUL, {"type": "number"}, {"type": "boolean"}, {"type": "null"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/MetadataValue"}},
                    {"type": "object", "propertyNames": NO_NUL,
                     "additionalProperties": {"$ref": "#/components/schemas/MetadataValue"}}]},
                "Login": _object({"user_id": UUID, "password": {"type": "string", "minLength": 1, "maxLength": 1024}},
                                 ["user_id", "password"]),
                "ClientCredentials": _object({"client_id": KEY,
                                              "client_secret": {"type": "string", "minLength": 1, "maxLength": 1024}},
                                             ["client_id", "client_secret"]),
                "Token": {"type": "object", "required": ["access_token", "token_type", "expires_in"], "properties": {
                    "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["Bearer"]},
                    "expires_in": {"type": "integer"}}},
                "TopupRequest": _object({**posting_fields, "payment_id": KEY}, ["user_id", "asset_type_id", "amount"]),
                "BonusRequest": _object(posting_fields, ["user_id", "asset_type_id", "amount"]),
                "SpendRequest": _object(posting_fields, ["asset_type_id", "amount"]),
                "Posting": {"type": "object", "required": ["status", "entry_id", "user_id", "asset_type_id", "amount",
                                                           "balance", "replayed"], "properties": {
                    "status": {"type": "string", "enum": ["success"]}, "entry_id": {"type": "integer"},
                    "user_id": UUID, "asset_type_id": {"type": "integer"}, "amount": {"type": "integer"},
                    "balance": {"type": "integer"}, "replayed": {"type": "boolean"}}},
                "BatchRequest": _object({"postings": {
                    "type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _object(
                        {"kind": {"type": "string", "enum": ["topup", "bonus", "spend"]}, "user_id": UUID,
                         "asset_type_id": ASSET, "amount": AMOUNT, "idempotency_key": KEY, "metadata": METADATA},
                        ["kind", "user_id", "asset_type_id", "amount", "idempotency_key"])}}, ["postings"]),
                "BatchOutcomes": {"type": "object", "required": ["items"], "properties": {"items": {
                    "type": "array", "items": {"type": "object", "required": ["item", "status"], "properties": {
                        "item": {"type": "integer"}, "status": {"type": "integer"}, "code": {"type": "string"},
                        "entry_id": {"type": "integer"}, "user_id": UUID, "asset_type_id": {"type": "integer"},
                        "amount": {"type": "integer"}, "balance": {"type": "integer"},
                        "replayed": {"type": "boolean"}}}}}},
                "OpenAccountRequest": _object({"user_id": UUID, "name": {"type": "string", "minLength": 1,
                                                                         "maxLength": 200, "pattern": CONTROL_FREE}},
                                              ["user_id", "name"]),
                "Account": {"type": "object", "required": ["account_id", "user_id", "created"], "properties": {
                    "account_id": {"type": "integer"}, "user_id": UUID, "created": {"type": "boolean"}}},
                "Balances": {"type": "object", "required": ["user_id", "balances"], "properties": {
                    "user_id": UUID, "balances": {"type": "array", "items": {
                        "type": "object", "required": ["asset_type_id", "asset_code", "balance"], "properties": {
                            "asset_type_id": {"type": "integer"}, "asset_code": {"type": "string"},
                            "balance": {"type": "integer"}}}}}},
                "Transactions": {"type": "object", "required": ["items", "next_before"], "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["entry_id", "kind", "asset_type_id", "amount", "balance_after",
                                     "idempotency_key", "metadata", "created_at"],
                        "properties": {
                            "entry_id": {"type": "integer"},
                            "kind": {"type": "string", "enum": ["topup", "bonus", "spend"]},
                            "asset_type_id": {"type": "integer"},
                            "amount": {"type": "integer", "description": "signed, from the user's side"},
                            "balance_after": {"type": "integer"}, "idempotency_key": {"type": "string"},
                            "metadata": {"type": "object"}, "created_at": {"type": "string", "format": "date-time"}}}},
                    "next_before": {"type": ["integer", "null"],
                                    "description": "pass as `before` for the next page; null on the last page"}}},
                "Principal": {"type": "object", "required": ["sub", "role", "scopes"], "properties": {
                    "sub": {"type": "string"}, "role": {"type": "string", "enum": ["user", "service"]},
                    "scopes": {"type": "array", "items": {"type": "string"}}}},
                "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
            },
            "responses": {
                str(status): {"description": description, "content": {"application/problem+json": {
                    "schema": _ref("Problem")}}, **({"headers": {"Retry-After": {"schema": {"type": "string"}}}}
                                                    if status in (429, 503) else {})}
                for status, description in PROBLEMS.items()
            },
        },
        "paths": {
            "/auth/login": {"post": {
                "summary": "Log a user in", "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Login")}}},
                "responses": {"200": token_response, **_problems(400, 401, 413, 429, 503)}}},
            "/auth/token": {"post": {
                "summary": "Issue a service client's token with its scopes", "security": [],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("ClientCredentials")}}},
                "responses": {"200": token_response, **_problems(400, 401, 413, 429, 503)}}},
            "/auth/whoami": {"get": {
                "summary": "The caller as its access token describes it", "security": [{"bearer": []}],
                "responses": {"200": _json(_ref("Principal"), "The token's subject, role and scopes"),
                              **_problems(401, 429)}}},
            "/wallet/topup": {"post": _posting("Top up a user's wallet (Treasury -> user)", "TopupRequest",
                                               "a service token with scope wallet:topup; key: payment_id, "
                                               "idempotency_key or the Idempotency-Key header")},
            "/wallet/bonus": {"post": _posting("Grant a bonus (Treasury -> user)", "BonusRequest",
                                               "a service token with scope wallet:bonus")},
            "/wallet/spend": {"post": _posting("Spend from a wallet (user -> Treasury)", "SpendRequest",
                                               "the user's own token (user_id absent or its own) or a service "
                                               "token with scope wallet:spend and a user_id")},
            "/wallet/batch": {"post": {
                "summary": "Up to 50 postings in one call and one commit (trusted services)",
                "description": "Each item's kind needs its scope (wallet:topup, wallet:bonus, wallet:spend) or the "
                               "whole request is 403 and nothing is written. Each item gets its own outcome: "
                               "status 201 (posted), 200 (replayed) or the status and code of its refusal; a "
                               "refused item writes nothing and does not stop the others.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BatchRequest")}}},
                "responses": {"200": _json(_ref("BatchOutcomes"), "An outcome per item, in item order"),
                              **_problems(400, 401, 403, 413, 429, 503)}}},
            "/accounts": {"post": {
                "summary": "Open a user account with a zero wallet per asset",
                "description": "Needs a service token with scope accounts:write.",
                "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("OpenAccountRequest")}}},
                "responses": {"201": _json(_ref("Account"), "Opened"),
                              "200": _json(_ref("Account"), "Already open; unchanged"),
                              **_problems(400, 401, 403, 413, 429, 503)}}},
            "/wallet/balance": {"get": {
                "summary": "Balances of every asset", "security": [{"bearer": []}],
                "parameters": [USER_QUERY],
                "responses": {"200": _json(_ref("Balances"), "Balances"), **_problems(400, 401, 403, 404, 429, 503)}}},
            "/wallet/transactions": {"get": {
                "summary": "Ledger entries, newest first, keyset-paginated", "security": [{"bearer": []}],
                "parameters": [
                    USER_QUERY,
                    {"name": "asset_type_id", "in": "query", "required": False, "schema": ASSET},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "before", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                     "description": "next_before of the previous page"}],
                "responses": {"200": _json(_ref("Transactions"), "A page of entries"),
                              **_problems(400, 401, 403, 404, 429, 503)}}},
            "/healthz": {"get": {"summary": "Liveness", "security": [],
                                 "responses": {"200": _json(_ref("Status"), "Alive")}}},
            "/readyz": {"get": {"summary": "Readiness: the database answers", "security": [],
                                "responses": {"200": _json(_ref("Status"), "Ready"), **_problems(503)}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {}}}}}},
        },
    }

"""The OpenAPI 3.1 document (served at /openapi.json), assembled from the pydantic models
of schemas.py that validate the requests, and the list of operations below. A test
checks it against the specification and the registered routes, and generates a
working client from it."""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from . import schemas as s
from .errors import PROBLEMS

REF = "#/components/schemas/{model}"
ALICE = "0f6d220d-61fa-4be7-b0a2-e05dbd9aee32"
BOB = "b55709be-d0f6-467e-942c-cc04155ad54c"


class RequestJsonSchema(GenerateJsonSchema):
    """Optional request fields may be left out but are never null: the strict bodies
    refuse null, so the document does not offer it."""

    def nullable_schema(self, schema):
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema):
        inner = super().default_schema(schema)
        if inner.get("default", "") is None:
            inner.pop("default")
        return inner


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    errors: tuple[int, ...]
    description: str = ""
    authenticated: bool = True
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    idempotent_write: bool = False
    body_optional: bool = False  # the body may be left out altogether
    csv_body: str = ""  # a CSV body: what its columns are
    examples: dict[str | int, Any] = field(default_factory=dict)  # "request" and a status -> body


POSTED = {
    "status": "success",
    "entry_id": 5,
    "user_id": ALICE,
    "asset_type_id": 1,
    "amount": 500,
    "balance": 1500,
    "replayed": False,
    "paid_amount": 500,
    "free_amount": 0,
}
SPENT = {**POSTED, "entry_id": 7, "amount": 120, "balance": 1380, "paid_amount": 120}
TOKEN = {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...", "token_type": "Bearer", "expires_in": 900}
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
HOLD = {"status": "success", "hold_id": 3, "user_id": ALICE, "asset_type_id": 1, "amount": 300, "available": 1080,
        "expires_at": "2026-11-25T08:15:00.123456+00:00", "state": "open", "replayed": False}  # fmt: skip
CAROL = "7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44"  # not a seeded user: a run of the examples changes no test's data
ACCOUNT_VIEW = {"user_id": CAROL, "name": "Carol", "status": "active", "status_reason": None,
                "status_changed_at": None,
                "limits": [{"asset_type_id": 1, "asset_code": "GOLD", "max_balance": 100000, "daily_spend_limit": 5000,
                            "spent_today": 120},
                           {"asset_type_id": 2, "asset_code": "POINTS", "max_balance": None, "daily_spend_limit": None,
                            "spent_today": 0}]}  # fmt: skip
TRANSFERRED = {"status": "success", "entry_id": 21, "from_user_id": ALICE, "to_user_id": BOB, "asset_type_id": 1,
               "amount": 50, "fee": 2, "balance": 1328, "to_entry_id": 23, "to_balance": 300, "paid_amount": 0,
               "free_amount": 50, "replayed": False}  # fmt: skip
EXCHANGED = {"status": "success", "entry_id": 24, "user_id": ALICE, "from_asset_type_id": 1, "to_asset_type_id": 2,
             "amount": 30, "balance": 1298, "to_entry_id": 25, "to_amount": 300, "to_balance": 800,
             "paid_amount": 30, "free_amount": 0, "replayed": False}  # fmt: skip
CAPTURED = {"status": "success", "entry_id": 11, "hold_id": 3, "user_id": ALICE, "amount": 250, "balance": 1130,
            "replayed": False, "paid_amount": 250, "free_amount": 0}  # fmt: skip

OPERATIONS = (
    Operation(
        "post", "/auth/login", "login", "auth", "Log a user in",
        responses={200: (s.Token, "An access token for the user's own wallet")},
        errors=(400, 401, 413, 415, 429, 503), authenticated=False, body=s.LoginRequest,
        examples={"request": {"user_id": ALICE, "password": "alice-dev"}, 200: TOKEN},
    ),
    Operation(
        "post", "/auth/token", "issue_service_token", "auth", "Issue a service client's token with its scopes",
        responses={200: (s.Token, "An access token carrying the client's scopes")},
        errors=(400, 401, 413, 415, 429, 503), authenticated=False, body=s.ClientCredentials,
        examples={"request": {"client_id": "payments", "client_secret": "payments-dev"}, 200: TOKEN},
    ),
    Operation(
        "get", "/auth/whoami", "whoami", "auth", "The caller as its access token describes it",
        responses={200: (s.Principal, "The token's subject, role and scopes")}, errors=(401, 429),
        examples={200: {"sub": "payments", "role": "service", "scopes": ["wallet:read", "wallet:topup"]}},
    ),
    Operation(
        "post", "/wallet/topup", "topup", "postings", "Top up a user's wallet (Treasury -> user)",
        description="Needs a service token with scope wallet:topup. The payment's id is the idempotency key.",
        responses={201: (s.Posting, "Posted"), 200: (s.Posting, "Replayed: the first call's result")},
        errors=WRITE_ERRORS, body=s.TopupRequest, idempotent_write=True,
        examples={
            "request": {"user_id": ALICE, "asset_type_id": 1, "amount": 500, "payment_id": "pay-001"},
            201: POSTED, 200: {**POSTED, "replayed": True},
        },
    ),
    Operation(
        "post", "/wallet/bonus", "bonus", "postings", "Grant a bonus (Treasury -> user)",
        description="Needs a service token with scope wallet:bonus.",
        responses={201: (s.Posting, "Posted"), 200: (s.Posting, "Replayed: the first call's result")},
        errors=WRITE_ERRORS, body=s.BonusRequest, idempotent_write=True,
        examples={
            "request": {"user_id": ALICE, "asset_type_id": 2, "amount": 50, "idempotency_key": "welcome-0f6d",
                        "expires_at": "2026-12-31T23:59:59Z"},
            201: {**POSTED, "asset_type_id": 2, "amount": 50, "balance": 550, "paid_amount": 0, "free_amount": 50},
            200: {**POSTED, "asset_type_id": 2, "amount": 50, "balance": 550, "paid_amount": 0, "free_amount": 50,
                  "replayed": True},
        },
    ),
    Operation(
        "post", "/wallet/spend", "spend", "postings", "Spend from a wallet (user -> Treasury)",
        description="The user's own token (user_id absent or its own), or a service token with scope "
        "wallet:spend and a user_id. Refused with insufficient_funds rather than go below zero. With "
        "?dry_run=true: what the spend would answer now (200, \"dry_run\": true, entry_id null for a new one) "
        "or its refusal, writing nothing.",
        responses={201: (s.Posting, "Posted"),
                   200: (s.Posting, "Replayed: the first call's result; or a dry run's answer")},
        errors=WRITE_ERRORS, body=s.SpendRequest, idempotent_write=True, query=s.PreviewQuery,
        examples={
            "request": {"asset_type_id": 1, "amount": 120, "idempotency_key": "order-1001",
                        "metadata": {"item": "sword"}},
            201: SPENT, 200: {**SPENT, "replayed": True},
        },
    ),
    Operation(
        "post", "/wallet/refunds", "refund", "refunds", "Refund a top-up (user -> Treasury)",
        description="Needs a service token with scope wallet:refund; a user can never refund. Takes the credit "
        "back from the top-up's own lot, then the user's other paid lots, then free lots. What cannot be taken "
        "back is written off (policy clamp, the default) or kept as the wallet's debt (policy debt), which later "
        "credits repay first. The refunds of a top-up add up to at most its amount (exceeds_original beyond).",
        responses={201: (s.Refund, "Refunded"), 200: (s.Refund, "Replayed: the first call's result")},
        errors=WRITE_ERRORS, body=s.RefundRequest, idempotent_write=True,
        examples={
            "request": {"user_id": ALICE, "payment_id": "pay-001", "amount": 500, "policy": "debt",
                        "idempotency_key": "chargeback-77"},
            201: {"status": "success", "entry_id": 9, "user_id": ALICE, "payment_id": "pay-001", "amount": 500,
                  "policy": "debt", "recovered": 380, "unrecovered": 120, "balance": 0, "replayed": False},
        },
    ),
    Operation(
        "post", "/wallet/reversals", "reverse_spend", "refunds", "Give a spend back (Treasury -> user)",
        description="Needs a service token with scope wallet:reverse; a user can never reverse. Gives the "
        "credit back into the lots the spend took it from, most recently taken first; credit given back to a "
        "lot that has expired meanwhile is not counted and expires at the next sweep. The reversals of a spend "
        "add up to at most its amount (exceeds_original beyond).",
        responses={201: (s.Reversal, "Reversed"), 200: (s.Reversal, "Replayed: the first call's result")},
        errors=WRITE_ERRORS, body=s.ReversalRequest, idempotent_write=True,
        examples={
            "request": {"user_id": ALICE, "spend_key": "order-1001", "amount": 120,
                        "idempotency_key": "undelivered-1001"},
            201: {"status": "success", "entry_id": 10, "user_id": ALICE, "spend_key": "order-1001", "amount": 120,
                  "balance": 1500, "replayed": False, "paid_amount": 120, "free_amount": 0},
        },
    ),
    Operation(
        "post", "/wallet/holds", "hold", "holds", "Reserve credit for a later capture (authorise)",
        description="The user's own token (user_id absent or its own), or a service token with scope wallet:hold "
        "and a user_id. Reserves the amount from available credit (balance less what open holds reserve) in "
        "spend order, until captured, voided, or expires_in_seconds (1 second to 7 days, default 15 minutes) "
        "pass. Reserved credit does not expire while the hold is open. Holds share the account's key space "
        "with entries.",
        responses={201: (s.Hold, "Held"),
                   200: (s.Hold, "Replayed: the first call's result; or a dry run's answer")},
        errors=WRITE_ERRORS, body=s.HoldRequest, idempotent_write=True, query=s.PreviewQuery,
        examples={
            "request": {"asset_type_id": 1, "amount": 300, "expires_in_seconds": 900,
                        "idempotency_key": "entry-fee-42"},
            201: HOLD, 200: {**HOLD, "replayed": True},
        },
    ),
    Operation(
        "post", "/wallet/holds/{hold_id}/capture", "capture_hold", "holds",
        "Spend all or part of a hold; release the rest",
        description="The same callers as a hold. Posts a spend entry with hold_id set; the unused rest is "
        "available again. A hold is captured at most once: the same key again is a replay; another key, or a "
        "hold voided, captured or past its expires_at, is hold_not_open with the hold's state. More than the "
        "hold is exceeds_original. An empty body ({}, with the key in the header) captures all of it.",
        responses={201: (s.Capture, "Captured"), 200: (s.Capture, "Replayed: the first call's result")},
        errors=WRITE_ERRORS, body=s.CaptureRequest, idempotent_write=True,
        examples={"request": {"amount": 250, "idempotency_key": "entry-fee-42-capture"}, 201: CAPTURED,
                  200: {**CAPTURED, "replayed": True}},
    ),
    Operation(
        "post", "/wallet/holds/{hold_id}/void", "void_hold", "holds", "Release a whole hold",
        description="The same callers as a hold. Voiding a voided hold answers the same again; a hold "
        "captured or past its expires_at is hold_not_open with its state. The body may be left out.",
        responses={200: (s.Void, "Voided")},
        errors=(400, 401, 403, 404, 409, 413, 415, 429, 503), body=s.VoidRequest, body_optional=True,
        examples={"request": {}, 200: {"status": "success", "hold_id": 3, "user_id": ALICE, "available": 1380,
                                       "state": "voided"}},
    ),
    Operation(
        "get", "/wallet/holds", "list_holds", "holds", "Holds in a state, newest first",
        description="The user's own; a service with scope wallet:read names the user. A hold past its "
        "expires_at is expired.",
        responses={200: (s.Holds, "Holds")}, errors=(400, 401, 403, 404, 429, 503), query=s.HoldsQuery,
        examples={200: {"user_id": ALICE, "items": [
            {"hold_id": 3, "asset_type_id": 1, "amount": 300, "captured_amount": 0, "state": "open",
             "expires_at": "2026-11-25T08:15:00.123456+00:00", "idempotency_key": "entry-fee-42", "metadata": {},
             "created_at": "2026-11-25T08:00:00.123456+00:00"}]}},
    ),
    Operation(
        "post", "/wallet/transfers", "transfer", "transfers", "Move credit from one user to another",
        description="A service token with scope wallet:transfer (never a user: the game decides who may give to "
        "whom). Moves the amount, and the fee (0 or more) to the Treasury, from the sender's credit in spend "
        "order, of the classes the asset's transfer_policy lets move (none: refused, operation_not_allowed; "
        "free_only: free credit only; all). The recipient gets one lot per lot taken, of its class and "
        "expiry: bought credit stays paid, a promotion still ends on its day. The key is the sender's; a replay "
        "must name the same recipient, asset, amount and fee.",
        responses={201: (s.Transfer, "Transferred"),
                   200: (s.Transfer, "Replayed: the first call's result; or a dry run's answer")},
        errors=WRITE_ERRORS, body=s.TransferRequest, idempotent_write=True, query=s.PreviewQuery,
        examples={
            "request": {"from_user_id": ALICE, "to_user_id": BOB, "asset_type_id": 1, "amount": 50, "fee": 2,
                        "idempotency_key": "gift-77"},
            201: TRANSFERRED, 200: {**TRANSFERRED, "replayed": True},
        },
    ),
    Operation(
        "post", "/wallet/exchanges", "exchange", "transfers", "Convert credit of one asset into another",
        description="The user's own token (user_id absent or its own), or a service token with scope "
        "wallet:exchange and a user_id. The amount of the first asset buys floor(amount * numerator / "
        "denominator) of the second at the operator's rate (GET /exchange-rates; one direction each; none: "
        "operation_not_allowed). Class and expiry carry over lot by lot, rounded so that the new lots add up "
        "exactly. A replay answers the first call, whatever the rate is now.",
        responses={201: (s.Exchange, "Exchanged"),
                   200: (s.Exchange, "Replayed: the first call's result; or a dry run's answer")},
        errors=WRITE_ERRORS, body=s.ExchangeRequest, idempotent_write=True, query=s.PreviewQuery,
        examples={
            "request": {"from_asset_type_id": 1, "to_asset_type_id": 2, "amount": 30, "idempotency_key": "ex-9"},
            201: EXCHANGED, 200: {**EXCHANGED, "replayed": True},
        },
    ),
    Operation(
        "get", "/exchange-rates", "list_exchange_rates", "transfers", "The operator's exchange rates",
        description="Any valid token. amount of from_asset_type_id buys floor(amount * numerator / denominator) "
        "of to_asset_type_id; a rate is one direction only.",
        responses={200: (s.ExchangeRates, "Every rate")}, errors=(401, 429, 503),
        examples={200: {"items": [{"from_asset_type_id": 1, "to_asset_type_id": 2, "numerator": 10,
                                   "denominator": 1}]}},
    ),
    Operation(
        "post", "/wallet/batch", "post_batch", "postings", "Up to 1,000 postings in one call and one commit",
        description="For trusted services. Each item's kind needs its scope (wallet:topup, wallet:bonus, "
        "wallet:spend) or the whole request is 403 and nothing is written. Each item gets its own outcome: "
        "status 201 (posted), 200 (replayed) or the status and code of its refusal; a refused item writes "
        "nothing and does not stop the others.",
        responses={200: (s.BatchOutcomes, "An outcome per item, in item order")},
        errors=(400, 401, 403, 413, 415, 429, 503), body=s.BatchRequest,
        examples={
            "request": {"postings": [
                {"kind": "spend", "user_id": ALICE, "asset_type_id": 1, "amount": 10, "idempotency_key": "b-1"},
                {"kind": "spend", "user_id": ALICE, "asset_type_id": 1, "amount": 10**9, "idempotency_key": "b-2"},
            ]},
            200: {"items": [
                {"item": 1, "status": 201, "entry_id": 8, "user_id": ALICE, "asset_type_id": 1, "amount": 10,
                 "balance": 1370, "replayed": False, "paid_amount": 10, "free_amount": 0},
                {"item": 2, "status": 422, "code": "insufficient_funds"},
            ]},
        },
    ),
    Operation(
        "post", "/accounts", "open_account", "accounts", "Open a user account with a zero wallet per asset",
        description="Needs a service token with scope accounts:write. Opening an open account changes nothing.",
        responses={201: (s.Account, "Opened"), 200: (s.Account, "Already open; unchanged")},
        errors=(400, 401, 403, 413, 415, 429, 503), body=s.OpenAccountRequest,
        examples={
            "request": {"user_id": "7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44", "name": "Carol"},
            201: {"account_id": 4, "user_id": "7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44", "created": True},
            200: {"account_id": 4, "user_id": "7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44", "created": False},
        },
    ),
    Operation(
        "get", "/accounts/{user_id}", "get_account", "accounts", "An account: its status and the limits in force",
        description="The user itself, or a service token with scope accounts:read. Per asset: the cap and the daily "
        "spend limit in force (the user's override, else the asset's; null: none) and what counted today (UTC).",
        responses={200: (s.AccountView, "The account")}, errors=(401, 403, 404, 429, 503),
        examples={200: ACCOUNT_VIEW},
    ),
    Operation(
        "put", "/accounts/{user_id}/limits", "set_account_limits", "accounts", "Set a user's limits on an asset",
        description="Needs a service token with scope accounts:admin. Overrides the asset's limits for this user, "
        "field by field: an absent field means the asset's limit applies to it, so a body with neither removes the "
        "override. A credit past max_balance is balance_limit_exceeded (reversals exempt); spends, holds, "
        "transfers out with their fee and exchanges past daily_spend_limit are spend_limit_exceeded with "
        "remaining. Answers the account as GET does.",
        responses={200: (s.AccountView, "Set")}, errors=(400, 401, 403, 404, 413, 415, 429, 503),
        body=s.AccountLimitsRequest,
        examples={"request": {"asset_type_id": 1, "max_balance": 100000, "daily_spend_limit": 5000},
                  200: ACCOUNT_VIEW},
    ),
    Operation(
        "put", "/accounts/{user_id}/status", "set_account_status", "accounts", "Freeze, close or reopen an account",
        description="Needs a service token with scope accounts:admin (support). frozen: no spend, hold, capture, "
        "transfer out or exchange (account_not_active, 409, with account_status); credits, transfers in, "
        "reversals, refunds, voids and expiry still land. closed: no write but refunds, voids and expiry. Any "
        "direction; the reason is kept with the calling service and the time, and each change is an "
        "account.status_changed event.",
        responses={200: (s.AccountStatus, "Set")}, errors=(400, 401, 403, 404, 409, 413, 415, 429, 503),
        body=s.AccountStatusRequest,
        examples={"request": {"status": "frozen", "reason": "chargeback under review"},
                  200: {"user_id": CAROL, "status": "frozen", "previous_status": "active",
                        "reason": "chargeback under review"}},
    ),
    Operation(
        "get", "/assets", "list_assets", "wallet",
        "The assets, with their ids, codes, spend orders and transfer policies",
        description="Any valid token.", responses={200: (s.Assets, "Every asset")}, errors=(401, 429, 503),
        examples={200: {"items": [
            {"asset_type_id": 1, "code": "GOLD", "name": "Gold Coins", "spend_order": "free_first",
             "transfer_policy": "free_only"},
            {"asset_type_id": 2, "code": "POINTS", "name": "Reward Points", "spend_order": "free_first",
             "transfer_policy": "all"}]}},
    ),
    Operation(
        "get", "/wallet/balance", "get_balance", "wallet", "Balances of every asset",
        description="The user's own; a service with scope wallet:read names the user.",
        responses={200: (s.Balances, "Balances")}, errors=(400, 401, 403, 404, 429, 503), query=s.BalanceQuery,
        examples={200: {"user_id": ALICE, "balances": [
            {"asset_type_id": 1, "asset_code": "GOLD", "balance": 1380, "paid": 1380, "free": 0, "held": 0,
             "available": 1380, "debt": 0},
            {"asset_type_id": 2, "asset_code": "POINTS", "balance": 500, "paid": 500, "free": 0, "held": 0,
             "available": 500, "debt": 0}]}},
    ),
    Operation(
        "get", "/wallet/transactions", "list_transactions", "wallet",
        "Ledger entries, newest first, keyset-paginated",
        description="The user's own; a service with scope wallet:read names the user.",
        responses={200: (s.Transactions, "A page of entries")}, errors=(400, 401, 403, 404, 429, 503),
        query=s.TransactionsQuery,
        examples={200: {"items": [
            {"entry_id": 7, "kind": "spend", "asset_type_id": 1, "amount": -120, "balance_after": 1380,
             "idempotency_key": "order-1001", "metadata": {"item": "sword"},
             "created_at": "2026-11-25T08:00:01.234567+00:00", "paid_amount": -120, "free_amount": 0,
             "original_entry_id": None, "hold_id": None, "unrecovered": 0},
            {"entry_id": 5, "kind": "topup", "asset_type_id": 1, "amount": 500, "balance_after": 1500,
             "idempotency_key": "pay-001", "metadata": {}, "created_at": "2026-11-25T08:00:00.123456+00:00",
             "paid_amount": 500, "free_amount": 0, "original_entry_id": None, "hold_id": None, "unrecovered": 0}],
            "next_before": 5}},
    ),
    Operation(
        "get", "/wallet/statement", "get_statement", "wallet",
        "A statement: opening and closing balances and the entries between",
        description="The user's own; a service with scope wallet:read names the user. Balances per asset at "
        "`from` and at `to` (expired credit not counted), and the entries made after `from` up to `to`, "
        "oldest first, at most 10,000 (a longer period is 400 invalid_request). JSON, or with Accept: text/csv "
        "a CSV with one line per opening balance, entry and closing balance.",
        responses={200: (s.Statement, "The statement (JSON or CSV)")}, errors=(400, 401, 403, 404, 429, 503),
        query=s.StatementQuery,
        examples={200: {"user_id": ALICE, "from": "2026-11-01T00:00:00+00:00", "to": "2026-12-01T00:00:00+00:00",
                        "opening": [{"asset_type_id": 1, "asset_code": "GOLD", "balance": 1000, "paid": 1000,
                                     "free": 0}],
                        "closing": [{"asset_type_id": 1, "asset_code": "GOLD", "balance": 880, "paid": 880,
                                     "free": 0}],
                        "entries": [{"entry_id": 7, "kind": "spend", "asset_type_id": 1, "amount": -120,
                                     "paid_amount": -120, "free_amount": 0, "balance_after": 880,
                                     "original_entry_id": None, "hold_id": None, "unrecovered": 0,
                                     "idempotency_key": "order-1001", "metadata": {"item": "sword"},
                                     "created_at": "2026-11-25T08:00:01.234567+00:00"}]}},
    ),
    Operation(
        "get", "/reports/outstanding", "get_outstanding", "reports", "Credit outstanding across all users",
        description="Needs a service token with scope reports:read. Per asset at `at` (default now): the "
        "unspent, unexpired paid and free credit of all users (credit reserved by holds included), their debt, "
        "and how many wallets hold paid credit, as a prepaid-instrument report needs. A past `at` rebuilds "
        "every lot from the ledger: run it off-peak.",
        responses={200: (s.Outstanding, "The figures")}, errors=(400, 401, 403, 429, 503),
        query=s.OutstandingQuery,
        examples={200: {"at": "2027-03-31T23:59:59+00:00", "items": [
            {"asset_type_id": 1, "asset_code": "GOLD", "paid": 125000, "free": 4000, "debt": 300,
             "paid_wallets": 812},
            {"asset_type_id": 2, "asset_code": "POINTS", "paid": 0, "free": 90210, "debt": 0,
             "paid_wallets": 0}]}},
    ),
    Operation(
        "post", "/reports/reconciliation", "reconcile_payments", "reports",
        "A payment provider's records against the ledger",
        description="Needs a service token with scope reports:read. Compares the records (CSV, up to 5 MiB and "
        "100,000 rows) with the top-ups made in [from, to) (a top-up's key is its payment id) and their refunds, "
        "and answers every difference: a payment with no top-up of its id at any time (missing_topup), a top-up "
        "in the period that the records lack (unknown_topup), a different amount (amount_differs), or refunds "
        "that asked for other than the provider's refunded (refund_differs). Reads only. More records: "
        "python -m wallet_api.reconcile.",
        responses={200: (s.Reconciliation, "The differences")}, errors=(400, 401, 403, 413, 415, 429, 503),
        query=s.ReconciliationQuery,
        csv_body="a header naming payment_id, user_id and amount, and, if wanted, refunded (empty: 0); a row per "
        "payment the provider settled",
        examples={
            "request": "payment_id,user_id,amount,refunded\r\n"
            f"pay-7781,{CAROL},500,0\r\npay-7790,{CAROL},250,100\r\n",
            200: {"from": "2027-03-01T00:00:00+00:00", "to": "2027-04-01T00:00:00+00:00", "payments": 2,
                  "items": [{"payment_id": "pay-7790", "user_id": CAROL, "issue": "refund_differs",
                             "expected": 100, "found": 0}]},
        },
    ),
    Operation(
        "get", "/healthz", "healthz", "health", "Liveness", responses={200: (s.Status, "Alive")}, errors=(),
        authenticated=False, examples={200: {"status": "ok"}},
    ),
    Operation(
        "get", "/readyz", "readyz", "health", "Readiness: the database answers",
        responses={200: (s.Status, "Ready")}, errors=(503,), authenticated=False,
        examples={200: {"status": "ready"}},
    ),
    Operation(
        "get", "/openapi.json", "openapi_document", "health", "This document",
        responses={200: (None, "OpenAPI 3.1")}, errors=(), authenticated=False,
    ),
    Operation(
        "get", "/docs", "docs_page", "health", "This document, browsable (Swagger UI)",
        responses={200: (None, "An HTML page")}, errors=(), authenticated=False,
    ),
    Operation(
        "get", "/metrics", "metrics", "health", "Prometheus metrics of every API worker",
        description="Prometheus text format. No token, unless the operator set WALLET_METRICS_TOKEN: then "
        "that token as a bearer token.",
        responses={200: (None, "Prometheus text format")}, errors=(401,), authenticated=False,
    ),
)  # fmt: skip

REQUEST_ID = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "your id for this request, logged and sent back; used when printable and at most 64 "
    "characters, else one is made",
}
REQUEST_ID_HEADER = {"schema": {"type": "string"}, "description": "the request's id, as logged"}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": s.HEADER_KEY_PATTERN},
    "description": "the idempotency key, instead of the body's key field (if both are given, they must agree); "
    "one header, without a comma (a key with a comma goes in the body)",
}
STATUS_TEXT = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found",
               409: "Conflict", 413: "Body over 64 KiB (5 MiB for a batch)", 415: "Body not JSON",
               422: "Refused by the ledger", 429: "Rate limited",
               503: "Database unavailable or busy; retry"}  # fmt: skip
PROBLEM_DETAILS = {
    "invalid_amount": "amount: Input should be greater than or equal to 1",
    "invalid_request": "asset_type_id: Field required",
    "unauthenticated": "the access token has expired",
    "forbidden": "this needs a service token with scope wallet:topup",
    "account_not_found": "no account for user 7d3c1a52-2f7e-4c1e-9a39-5b7f0e1c2d44",
    "asset_not_found": "no asset with id 9",
    "original_not_found": "no top-up with payment id pay-404 for this user",
    "hold_not_found": "no hold 404 for this user",
    "hold_not_open": "hold 3 is captured",
    "not_found": "The requested URL was not found on the server.",
    "method_not_allowed": "The method is not allowed for the requested URL.",
    "idempotency_key_reused": "key order-1001 was used for a different request",
    "exceeds_original": "refunds of payment pay-001 would add up to more than its top-up",
    "payload_too_large": "The data value transmitted exceeds the capacity limit.",
    "unsupported_media_type": "the body must be JSON (Content-Type: application/json)",
    "insufficient_funds": "available 1380 is less than 1000000",
    "account_not_active": "the account is frozen, which refuses spends",
    "balance_limit_exceeded": "a balance of 100500 would pass the cap of 100000",
    "spend_limit_exceeded": "5120 today would pass the daily limit of 5000",
    "operation_not_allowed": "asset 1 may not be transferred",
    "rate_limited": "1200 per 1 minute",
    "internal_error": "an unexpected error occurred; it has been logged",
    "unavailable": "the database is busy or unreachable; retry shortly",
}


def _problem_example(code: str) -> dict[str, Any]:
    status, title = PROBLEMS[code]
    example = {"type": f"urn:wallet:problem:{code}", "title": title, "status": status,
               "detail": PROBLEM_DETAILS[code], "code": code, "request_id": "4b1f6c1e9d2a4e7f"}  # fmt: skip
    if code == "hold_not_open":
        example["state"] = "captured"
    return example


def _problem_response(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-Id": REQUEST_ID_HEADER}
    if status in (429, 503):
        headers["Retry-After"] = {"schema": {"type": "string"}, "description": "seconds to wait"}
    examples = {code: {"value": _problem_example(code)} for code, (st, _) in PROBLEMS.items() if st == status}
    return {
        "description": STATUS_TEXT[status],
        "headers": headers,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")},
                                                 "examples": examples}},
    }  # fmt: skip


def _component_schemas() -> dict[str, Any]:
    requests = sorted({op.body for op in OPERATIONS if op.body}, key=lambda m: m.__name__)
    answers = sorted({m for op in OPERATIONS for m, _ in op.responses.values() if m} | {s.Problem},
                     key=lambda m: m.__name__)  # fmt: skip
    _, request_defs = models_json_schema(
        [(m, "validation") for m in requests], ref_template=REF, schema_generator=RequestJsonSchema
    )
    _, answer_defs = models_json_schema([(m, "serialization") for m in answers], ref_template=REF)
    schemas = {**request_defs["$defs"], **answer_defs["$defs"]}
    schemas["Problem"]["properties"]["code"]["enum"] = list(PROBLEMS)
    return schemas


PATH_PARAMETERS = {
    "hold_id": {"name": "hold_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": s.MAX_INT8}},
    "user_id": {"name": "user_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
}  # fmt: skip


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = [PATH_PARAMETERS[name] for name in PATH_PARAMETERS if "{" + name + "}" in op.path]
    parameters.append(REQUEST_ID)
    if op.idempotent_write:
        parameters.append(IDEMPOTENCY_KEY)
    if op.query:
        schema = op.query.model_json_schema(schema_generator=RequestJsonSchema)
        for name, prop in schema["properties"].items():
            description = prop.pop("description", None)
            prop.pop("title", None)
            parameter = {"name": name, "in": "query", "required": name in schema.get("required", ()), "schema": prop}
            parameters.append(parameter | ({"description": description} if description else {}))
    return parameters


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (model, description) in op.responses.items():
        headers: dict[str, Any] = {"X-Request-Id": REQUEST_ID_HEADER}
        if op.idempotent_write and status == 200:
            headers["Idempotent-Replayed"] = {"schema": {"type": "string", "enum": ["true"]},
                                              "description": "sent on a replay"}  # fmt: skip
        media: dict[str, Any] = {"schema": {"$ref": REF.format(model=model.__name__)} if model else {"type": "object"}}
        if status in op.examples:
            media["example"] = op.examples[status]
        responses[str(status)] = {"description": description, "headers": headers,
                                  "content": {"application/json": media}}  # fmt: skip
    for status in op.errors:
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    document: dict[str, Any] = {
        "operationId": op.operation_id,
        "tags": [op.tag],
        "summary": op.summary,
        "security": [{"bearer": []}] if op.authenticated else [],
        "parameters": _parameters(op),
        "responses": responses,
    }
    if op.description:
        document["description"] = op.description
    if op.body:
        media = {"schema": {"$ref": REF.format(model=op.body.__name__)}}
        if "request" in op.examples:
            media["example"] = op.examples["request"]
        document["requestBody"] = {"required": not op.body_optional, "content": {"application/json": media}}
    if op.csv_body:
        media = {"schema": {"type": "string", "description": op.csv_body}}
        if "request" in op.examples:
            media["example"] = op.examples["request"]
        document["requestBody"] = {"required": True, "content": {"text/csv": media}}
    return document


@cache
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    statuses = sorted({status for op in OPERATIONS for status in op.errors})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wallet service",
            "version": "1.0.0",
            "description": "Closed-loop virtual credits: top-up, bonus, spend, balances and history. "
            "Errors are RFC 9457 problem details with a stable `code`. Every write is idempotent by its key, "
            "scoped to the user's account.",
        },
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in OPERATIONS)],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": _component_schemas(),
            "responses": {str(status): _problem_response(status) for status in statuses},
        },
        "paths": paths,
    }

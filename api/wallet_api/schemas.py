"""The shapes of requests and responses: pydantic models that validate every request
and describe every answer, and from which openapi.py generates the OpenAPI document.

Bodies are parsed strictly: JSON only, unknown fields and nulls refused (no mass
assignment), strings stay strings. An integer is any JSON number without a fractional
part (JSON Schema's "integer": 20, 20.0 and 2e1 are all 20), read exactly from its text.
"""

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from flask import current_app, request
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError

MAX_AMOUNT = 9007199254740991  # 2^53 - 1: exact in every JSON parser
MAX_INT4 = 2147483647
MAX_INT8 = 2**63 - 1
MAX_METADATA_BYTES = 4096
MAX_METADATA_DEPTH = 32  # objects and arrays within each other, the metadata object itself the first
MAX_BATCH = 1000  # wallet_post_batch's own limit
MAX_PAGE = 200  # GET /wallet/transactions; wallet_history itself takes up to 1000
MAX_HOLD_SECONDS = 7 * 24 * 3600  # wallet_hold's p_expires_in: 1 second to 7 days
KEY_PATTERN = "^[!-~]{1,255}$"  # visible ASCII, as an HTTP header value carries it
# in the header, no comma: a server joins a repeated header's values with commas
HEADER_KEY_PATTERN = "^[!-+\\--~]{1,255}$"
JSON_TYPES = ("application/json",)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


class JsonNumber(float):
    """A JSON number written with a fraction or an exponent, keeping its text."""

    text: str

    @classmethod
    def parse(cls, text: str) -> "JsonNumber":
        number = cls(text)
        number.text = text
        return number


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _integral(number: Decimal) -> int | None:
    if not number.is_finite() or number != number.to_integral_value():
        return None
    if number.adjusted() > 20:  # beyond every limit here; spare int() a huge number
        return MAX_INT8 * 10 if number > 0 else -MAX_INT8 * 10
    return int(number)


def _json_integer(value: Any) -> Any:
    """20.0 and 2e1 in a body are the integer 20; 20.5, strings and booleans stay
    what they are and are refused by the strict integer check."""
    if isinstance(value, JsonNumber):
        integral = _integral(Decimal(value.text))
        return value if integral is None else integral
    return value


def _query_integer(value: Any) -> Any:
    """A query parameter's text read as a JSON number (20, 20.0, 2e1), nothing looser
    (no spaces, signs, underscores or hex)."""
    if not isinstance(value, str):
        return value
    if not JSON_NUMBER.fullmatch(value):
        raise ValueError("must be a number written as in JSON")
    integral = _integral(Decimal(value))
    if integral is None:
        raise ValueError("must be an integer")
    return integral


def _utf8(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _jsonb_problem(value: Any) -> str | None:
    """Why PostgreSQL's jsonb cannot hold the value (a NUL character, an infinite or NaN
    number) or it is nested deeper than MAX_METADATA_DEPTH; None when it can. Walked with
    a stack, not recursion, so no depth can exhaust Python's."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "must not contain NUL characters or non-finite numbers"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "must not contain NUL characters or non-finite numbers"
        elif isinstance(item, dict | list):
            if depth > MAX_METADATA_DEPTH:
                return f"must not nest objects and arrays more than {MAX_METADATA_DEPTH} deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _small_object(value: dict[str, Any]) -> dict[str, Any]:
    if problem := _jsonb_problem(value):
        raise ValueError(problem)
    text = _utf8(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


IdempotencyKey = Annotated[
    str,
    Field(pattern=KEY_PATTERN, description="1 to 255 visible ASCII characters (! to ~), scoped to the user's account"),
]
Secret = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_utf8)]
Amount = Annotated[
    int,
    Field(ge=1, le=MAX_AMOUNT, description="minor units; any JSON number without a fractional part"),
    BeforeValidator(_json_integer),
]
AssetTypeId = Annotated[int, Field(ge=1, le=MAX_INT4), BeforeValidator(_json_integer)]
Metadata = Annotated[
    dict[str, Any],
    AfterValidator(_small_object),
    Field(
        description="stored with the entry: a JSON object of at most 4 KiB, nested at most 32 deep; no string in "
        "it (keys included) may hold a NUL character or a lone UTF-16 surrogate, and no number may be NaN or infinite"
    ),
]
# no control characters (C0, DEL, C1), the same rule as the SQL functions'
CONTROL_FREE = "^[^\\x00-\\x1f\\x7f-\\x9f]+$"


def _rfc3339(value: Any) -> Any:
    """A JSON string in RFC 3339 form with its offset (2026-12-31T23:59:59Z); anything
    else is left for the strict check to refuse."""
    if isinstance(value, str) and RFC3339.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


ExpiresAt = Annotated[
    datetime,
    Field(description="RFC 3339 with an offset; when the credit's lot expires (later than now); absent: never"),
    BeforeValidator(_rfc3339),
]
PrintableName = Annotated[str, Field(min_length=1, max_length=200, pattern=CONTROL_FREE), AfterValidator(_utf8)]


# ------------------------------------------------------------------------- requests


class StrictBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # optional fields may be left out, never sent as null
        if value is None:
            raise ValueError("must not be null (leave the field out instead)")
        return value


LaxUuid = Annotated[UUID, Field(strict=False)]  # the JSON text of a UUID


class LoginRequest(StrictBody):
    user_id: LaxUuid
    password: Secret


class ClientCredentials(StrictBody):
    client_id: Annotated[str, Field(min_length=1, max_length=255, pattern=CONTROL_FREE), AfterValidator(_utf8)]
    client_secret: Secret


class PostingRequest(StrictBody):
    """What top-up, bonus and spend share."""

    user_id: LaxUuid | None = None
    asset_type_id: AssetTypeId
    amount: Amount
    idempotency_key: IdempotencyKey | None = None
    metadata: Metadata | None = None


class TopupRequest(PostingRequest):
    user_id: LaxUuid
    expires_at: ExpiresAt | None = None
    payment_id: IdempotencyKey = Field(
        description="the payment's id, the idempotency key; it may be given as idempotency_key or in the "
        "Idempotency-Key header instead (all that are given must agree)"
    )


class BonusRequest(PostingRequest):
    user_id: LaxUuid
    expires_at: ExpiresAt | None = None
    idempotency_key: IdempotencyKey = Field(
        description="the idempotency key; it may be given in the Idempotency-Key header instead (both must agree)"
    )


class SpendRequest(PostingRequest):
    idempotency_key: IdempotencyKey = Field(
        description="the idempotency key; it may be given in the Idempotency-Key header instead (both must agree)"
    )


class RefundRequest(StrictBody):
    user_id: LaxUuid
    payment_id: IdempotencyKey = Field(description="the payment id (the key) of the top-up to refund")
    amount: Amount
    policy: Literal["clamp", "debt"] = Field(
        default="clamp",
        description="what cannot be taken back: clamp writes it off, debt keeps it as the wallet's debt, "
        "which later credits repay first",
    )
    idempotency_key: IdempotencyKey = Field(
        description="the refund's own idempotency key; it may be given in the Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class ReversalRequest(StrictBody):
    user_id: LaxUuid
    spend_key: IdempotencyKey = Field(description="the idempotency key of the spend to give back")
    amount: Amount
    idempotency_key: IdempotencyKey = Field(
        description="the reversal's own idempotency key; it may be given in the Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class HoldRequest(StrictBody):
    user_id: LaxUuid | None = Field(default=None, description="required for services; a user may only name itself")
    asset_type_id: AssetTypeId
    amount: Amount
    expires_in_seconds: Annotated[int, Field(ge=1, le=MAX_HOLD_SECONDS), BeforeValidator(_json_integer)] = Field(
        default=900, description="how long the hold reserves the credit: 1 second to 7 days (default 15 minutes)"
    )
    idempotency_key: IdempotencyKey = Field(
        description="the hold's idempotency key; it may be given in the Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class TransferRequest(StrictBody):
    from_user_id: LaxUuid
    to_user_id: LaxUuid
    asset_type_id: AssetTypeId
    amount: Amount
    fee: Annotated[int, Field(ge=0, le=MAX_AMOUNT), BeforeValidator(_json_integer)] = Field(
        default=0,
        description="minor units the sender pays the Treasury on top of the amount (default 0: no fee entry); amount "
        "plus fee at most 9007199254740991",
    )
    idempotency_key: IdempotencyKey = Field(
        description="the transfer's idempotency key, in the sender's key space; it may be given in the "
        "Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class ExchangeRequest(StrictBody):
    user_id: LaxUuid | None = Field(default=None, description="required for services; a user may only name itself")
    from_asset_type_id: AssetTypeId
    to_asset_type_id: AssetTypeId
    amount: Amount = Field(description="minor units of the first asset to convert")
    idempotency_key: IdempotencyKey = Field(
        description="the exchange's idempotency key; it may be given in the Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class CaptureRequest(StrictBody):
    user_id: LaxUuid | None = Field(default=None, description="required for services; a user may only name itself")
    amount: Amount | None = Field(default=None, description="what to spend of the hold; absent: all of it")
    idempotency_key: IdempotencyKey = Field(
        description="the capture's own idempotency key; it may be given in the Idempotency-Key header instead"
    )
    metadata: Metadata | None = None


class VoidRequest(StrictBody):
    user_id: LaxUuid | None = Field(default=None, description="required for services; a user may only name itself")


class BatchPosting(StrictBody):
    kind: Literal["topup", "bonus", "spend"]
    user_id: LaxUuid
    asset_type_id: AssetTypeId
    amount: Amount
    idempotency_key: IdempotencyKey
    metadata: Metadata | None = None
    expires_at: ExpiresAt | None = Field(default=None, description="credits only (topup, bonus)")


class BatchRequest(StrictBody):
    postings: Annotated[list[BatchPosting], Field(min_length=1, max_length=MAX_BATCH)]


class OpenAccountRequest(StrictBody):
    user_id: LaxUuid
    name: PrintableName


class AccountLimitsRequest(StrictBody):
    asset_type_id: AssetTypeId
    max_balance: Annotated[int, Field(ge=0, le=MAX_INT8), BeforeValidator(_json_integer)] | None = Field(
        default=None, description="the most credit the user's wallet may hold; absent: the asset's limit applies"
    )
    daily_spend_limit: Annotated[int, Field(ge=0, le=MAX_INT8), BeforeValidator(_json_integer)] | None = Field(
        default=None,
        description="what spends, holds, transfers out (with fees) and exchanges may take per UTC day; absent: the "
        "asset's limit applies (both absent removes the user's override)",
    )


class AccountStatusRequest(StrictBody):
    status: Literal["active", "frozen", "closed"] = Field(
        description="frozen: nothing leaves the account by the user's action (credits, refunds and voids still "
        "land); closed: no write but refunds and voids; active: as before. Any direction."
    )
    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_utf8)] = Field(
        description="why, kept with who set it and when"
    )


class QueryArgs(BaseModel):
    # query strings are text: numbers are read from it, nothing unknown is allowed
    model_config = ConfigDict(extra="forbid")


class BalanceQuery(QueryArgs):
    user_id: UUID | None = Field(
        default=None, description="required for services (scope wallet:read); a user may only name itself"
    )


class TransactionsQuery(BalanceQuery):
    asset_type_id: Annotated[int, Field(ge=1, le=MAX_INT4), BeforeValidator(_query_integer)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(_query_integer)] = 50
    before: Annotated[int, Field(ge=1, le=MAX_INT8), BeforeValidator(_query_integer)] | None = Field(
        default=None, description="next_before of the previous page"
    )


class HoldsQuery(BalanceQuery):
    state: Literal["open", "captured", "voided", "expired", "all"] = Field(
        default="open", description="which holds: open (the default), captured, voided, expired, or all"
    )


PointInTime = Annotated[
    datetime,
    # strict: what _rfc3339 did not read (a date, a time without an offset) is refused
    Field(strict=True, description="RFC 3339 with an offset, e.g. 2027-03-31T23:59:59Z (URL-encode a + offset as %2B)"),
    BeforeValidator(_rfc3339),
]


class StatementQuery(BalanceQuery):
    from_: PointInTime = Field(alias="from", description="the period starts after this time")
    to: PointInTime = Field(description="and ends at this time (included)")


class OutstandingQuery(QueryArgs):
    at: PointInTime | None = Field(default=None, description="when; absent: now")


class ReconciliationQuery(QueryArgs):
    from_: PointInTime = Field(alias="from", description="top-ups made from this time (included) are compared")
    to: PointInTime = Field(description="up to this time (excluded)")


class PreviewQuery(QueryArgs):
    dry_run: Literal["true", "false"] = Field(
        default="false",
        description='true: answer what the call would answer now (200 with "dry_run": true, the ids a new write '
        "would get null, or the refusal it would get), writing nothing, keeping no lock, claiming no key",
    )


class IdempotencyHeader(BaseModel):
    key: IdempotencyKey


# ------------------------------------------------------------------------ responses


class Token(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds")


class Principal(BaseModel):
    sub: str
    role: Literal["user", "service"]
    scopes: list[str]


class Posting(BaseModel):
    status: Literal["success"]
    entry_id: int | None = Field(description="the entry; null only in a dry run's answer for a new spend")
    user_id: UUID
    asset_type_id: int
    amount: int = Field(description="as requested, positive")
    balance: int = Field(description="the user's balance right after the entry (the same on a replay)")
    replayed: bool
    paid_amount: int = Field(description="how much of this entry was paid credit")
    free_amount: int = Field(description="how much of this entry was free credit")
    dry_run: Literal[True] | None = Field(default=None, description="true in a dry run's answer, absent otherwise")


class Refund(BaseModel):
    status: Literal["success"]
    entry_id: int
    user_id: UUID
    payment_id: str
    amount: int = Field(description="as requested")
    policy: Literal["clamp", "debt"]
    recovered: int = Field(description="what was taken back (the entry's amount)")
    unrecovered: int = Field(description="what could not be: written off (clamp) or added to the debt (debt)")
    balance: int = Field(description="the user's balance right after the refund (the same on a replay)")
    replayed: bool


class Reversal(BaseModel):
    status: Literal["success"]
    entry_id: int
    user_id: UUID
    spend_key: str
    amount: int = Field(description="as requested, positive")
    balance: int = Field(description="the user's balance right after the reversal and any debt it repaid")
    replayed: bool
    paid_amount: int = Field(description="how much of it went back into paid lots")
    free_amount: int = Field(description="how much of it went back into free lots")


HoldState = Literal["open", "captured", "voided", "expired"]


class Hold(BaseModel):
    status: Literal["success"]
    hold_id: int | None = Field(description="the hold; null only in a dry run's answer for a new hold")
    user_id: UUID
    asset_type_id: int
    amount: int = Field(description="as requested, reserved")
    available: int = Field(description="what the wallet had available right after the hold (the same on a replay)")
    expires_at: datetime = Field(description="from then on the hold is expired: no capture, no void")
    state: Literal["open"] = Field(description="the state the hold was made in")
    replayed: bool
    dry_run: Literal[True] | None = Field(default=None, description="true in a dry run's answer, absent otherwise")


class Capture(BaseModel):
    status: Literal["success"]
    entry_id: int = Field(description="the spend entry the capture posted")
    hold_id: int
    user_id: UUID
    amount: int = Field(description="what was captured (all of the hold when not named)")
    balance: int = Field(description="the user's balance right after the capture (the same on a replay)")
    replayed: bool
    paid_amount: int = Field(description="how much of it was paid credit")
    free_amount: int = Field(description="how much of it was free credit")


class Transfer(BaseModel):
    status: Literal["success"]
    entry_id: int | None = Field(
        description="the sender's transfer_out entry (null in a dry run's answer for a new one)"
    )
    from_user_id: UUID
    to_user_id: UUID
    asset_type_id: int
    amount: int
    fee: int
    balance: int = Field(description="the sender's balance right after the call, fee included (the same on a replay)")
    to_entry_id: int | None = Field(description="the recipient's transfer_in entry (null as entry_id)")
    to_balance: int = Field(description="the recipient's balance right after the call (after repaying any debt)")
    paid_amount: int = Field(description="how much of the amount was paid credit (it stays paid for the recipient)")
    free_amount: int = Field(description="how much of the amount was free credit")
    replayed: bool
    dry_run: Literal[True] | None = Field(default=None, description="true in a dry run's answer, absent otherwise")


class Exchange(BaseModel):
    status: Literal["success"]
    entry_id: int | None = Field(description="the exchange_out entry (null in a dry run's answer for a new one)")
    user_id: UUID
    from_asset_type_id: int
    to_asset_type_id: int
    amount: int
    balance: int = Field(description="the first asset's balance right after the call (the same on a replay)")
    to_entry_id: int | None = Field(description="the exchange_in entry on the second asset (null as entry_id)")
    to_amount: int = Field(description="what the amount bought: floor(amount * numerator / denominator)")
    to_balance: int = Field(description="the second asset's balance right after the call (after repaying any debt)")
    paid_amount: int = Field(description="how much of the amount was paid credit (what it bought is paid too)")
    free_amount: int = Field(description="how much of the amount was free credit")
    replayed: bool
    dry_run: Literal[True] | None = Field(default=None, description="true in a dry run's answer, absent otherwise")


class ExchangeRate(BaseModel):
    from_asset_type_id: int
    to_asset_type_id: int
    numerator: int
    denominator: int = Field(description="amount of the first asset buys floor(amount * numerator / denominator)")


class ExchangeRates(BaseModel):
    items: list[ExchangeRate]


class Void(BaseModel):
    status: Literal["success"]
    hold_id: int
    user_id: UUID
    available: int = Field(description="what the wallet has available now")
    state: Literal["voided"]


class HoldItem(BaseModel):
    hold_id: int
    asset_type_id: int
    amount: int
    captured_amount: int = Field(description="0 until captured")
    state: HoldState = Field(description="a hold past its expires_at is expired")
    expires_at: datetime
    idempotency_key: str
    metadata: dict[str, Any]
    created_at: datetime


class Holds(BaseModel):
    user_id: UUID
    items: list[HoldItem] = Field(description="newest first")


class BalanceAt(BaseModel):
    asset_type_id: int
    asset_code: str
    balance: int
    paid: int
    free: int


class StatementItem(BaseModel):
    entry_id: int
    kind: str
    asset_type_id: int
    amount: int = Field(description="signed, from the user's side")
    paid_amount: int
    free_amount: int
    balance_after: int
    original_entry_id: int | None
    hold_id: int | None
    unrecovered: int
    idempotency_key: str | None
    metadata: dict[str, Any]
    created_at: datetime


class Statement(BaseModel):
    user_id: UUID
    from_: datetime = Field(alias="from")
    to: datetime
    opening: list[BalanceAt] = Field(description="per asset, at `from`")
    closing: list[BalanceAt] = Field(description="per asset, at `to`")
    entries: list[StatementItem] = Field(description="made after `from` up to `to`, oldest first (at most 10,000)")


# The sums may pass 2^53 (and bigint): every digit is written as a JSON integer. A
# client whose JSON numbers are doubles (JavaScript's JSON.parse) must read them with a
# big-integer parser (json-bigint, or JSON.parse's context.source) to keep them exact.
EXACT_SUM = "; a JSON integer, exact at any size (may pass 2^53: parse with big integers)"


class OutstandingItem(BaseModel):
    asset_type_id: int
    asset_code: str
    paid: int = Field(description="unspent, unexpired paid credit of all users" + EXACT_SUM)
    free: int = Field(description="unspent, unexpired free credit of all users" + EXACT_SUM)
    debt: int = Field(description="what users owe from refunds under the debt policy" + EXACT_SUM)
    paid_wallets: int = Field(description="wallets holding paid credit")


class Outstanding(BaseModel):
    at: datetime
    items: list[OutstandingItem]


class ReconciliationItem(BaseModel):
    payment_id: str
    user_id: UUID
    issue: Literal["missing_topup", "unknown_topup", "amount_differs", "refund_differs"] = Field(
        description="missing_topup: a payment with no top-up of its id; unknown_topup: a top-up in the period whose "
        "payment id is not in the records; amount_differs; refund_differs: what the top-up's refunds asked for "
        "against the provider's refunded"
    )
    expected: int | None = Field(description="the provider's figure; null where the records have none")
    found: int | None = Field(description="the ledger's figure; null where the ledger has none")


class Reconciliation(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    payments: int = Field(description="how many records were compared")
    items: list[ReconciliationItem] = Field(description="the differences; none when the records and the ledger agree")


class BatchOutcome(BaseModel):
    item: int = Field(description="the posting's position in the request, from 1")
    status: int = Field(description="201 posted, 200 replayed, else the status of its refusal")
    code: str | None = Field(default=None, description="the refusal's problem code")
    entry_id: int | None = None
    user_id: UUID | None = None
    asset_type_id: int | None = None
    amount: int | None = None
    balance: int | None = None
    replayed: bool | None = None
    paid_amount: int | None = None
    free_amount: int | None = None


class BatchOutcomes(BaseModel):
    items: list[BatchOutcome]


class Account(BaseModel):
    account_id: int
    user_id: UUID
    created: bool


class AccountLimit(BaseModel):
    asset_type_id: int
    asset_code: str
    max_balance: int | None = Field(description="the cap in force (the user's, else the asset's); null: none")
    daily_spend_limit: int | None = Field(description="the daily spend limit in force; null: none")
    spent_today: int = Field(description="what counted against the daily limit today (UTC)")


class AccountView(BaseModel):
    user_id: UUID
    name: str
    status: Literal["active", "frozen", "closed", "erased"]
    status_reason: str | None
    status_changed_at: datetime | None
    limits: list[AccountLimit]


class AccountStatus(BaseModel):
    user_id: UUID
    status: Literal["active", "frozen", "closed"]
    previous_status: Literal["active", "frozen", "closed"]
    reason: str


class Asset(BaseModel):
    asset_type_id: int
    code: str
    name: str
    spend_order: Literal["free_first", "paid_first"] = Field(
        description="which credit a spend or hold takes first: free_first (bonuses) or paid_first (top-ups)"
    )
    transfer_policy: Literal["none", "free_only", "all"] = Field(
        description="which credit users may transfer to each other: none, free credit only, or all"
    )


class Assets(BaseModel):
    items: list[Asset]


class Balance(BaseModel):
    asset_type_id: int
    asset_code: str
    balance: int = Field(description="paid + free")
    paid: int = Field(description="paid credit left (unexpired lots, and what open holds reserve)")
    free: int = Field(description="free credit left, as paid")
    held: int = Field(description="reserved by open holds")
    available: int = Field(description="balance - held: what a spend or a hold may take")
    debt: int = Field(description="what refunds left unrecovered and no credit has repaid yet")


class Balances(BaseModel):
    user_id: UUID
    balances: list[Balance]


class Transaction(BaseModel):
    entry_id: int
    kind: Literal[
        "topup",
        "bonus",
        "spend",
        "refund",
        "reversal",
        "expire",
        "debt_repayment",
        "transfer_out",
        "transfer_in",
        "fee",
        "exchange_out",
        "exchange_in",
    ]
    asset_type_id: int
    amount: int = Field(description="signed, from the user's side")
    balance_after: int
    idempotency_key: str | None = Field(
        description="null for entries the system posts (expire, debt_repayment) and for a transfer's or exchange's "
        "other entries (transfer_in, fee, exchange_in: the key is on the out entry)"
    )
    metadata: dict[str, Any]
    created_at: datetime
    paid_amount: int = Field(description="the paid part of amount, signed like it")
    free_amount: int = Field(description="the free part of amount, signed like it")
    original_entry_id: int | None = Field(
        description="the top-up a refund refunds, the spend a reversal reverses, the out entry of a transfer_in, fee "
        "or exchange_in"
    )
    hold_id: int | None = Field(description="a capture's hold")
    unrecovered: int = Field(description="a refund's written-off or debt part")


class Transactions(BaseModel):
    items: list[Transaction]
    next_before: int | None = Field(description="pass as `before` for the next page; null on the last page")


class Status(BaseModel):
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is the stable name to match on."""

    type: str
    title: str
    status: int
    detail: str
    code: str  # its enum, every code the API emits, is errors.TITLES
    request_id: str | None = None
    state: HoldState | None = Field(default=None, description="hold_not_open: the hold's state")


# -------------------------------------------------------------------------- parsing


def _invalid(exc: ValidationError) -> ApiError:
    errors = exc.errors(include_url=False, include_input=False)
    code = "invalid_amount" if any(f in e["loc"] for e in errors for f in ("amount", "fee")) else "invalid_request"
    detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors[:5])
    return ApiError(400, code, detail)


def read_body() -> bytes:
    """The raw body, at most the request's limit (MAX_CONTENT_LENGTH unless its route set
    one) whatever the transfer encoding: a chunked body is read to its end and refused
    (413) when longer, never cut."""
    limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None:
        return request.get_data()  # werkzeug refuses a declared length over the limit
    if not request.environ.get("wsgi.input_terminated"):
        return b""
    stream, chunks, size = request.environ["wsgi.input"], [], 0
    while chunk := stream.read(65536):
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


Body = TypeVar("Body", bound=StrictBody)


def _merge_idempotency_key(data: dict[str, Any], key_fields: tuple[str, ...]) -> None:
    """The key may come in the Idempotency-Key header or in the body's key fields (the
    first is the model's own, the others aliases); where several are given they must
    agree. The one key ends up in the first field, as the model requires."""
    if any(field in data and not isinstance(data[field], str) for field in key_fields):
        return  # a key of the wrong type is refused as such by the model
    header = request.headers.get("Idempotency-Key")
    if header is not None and "," in header:
        # the server joins a repeated header with commas: which key was meant is unknown
        raise ApiError(400, "invalid_request", "one Idempotency-Key header at most, and no comma in it (send a key "
                       "with a comma in the body)")  # fmt: skip
    given = {data[field] for field in key_fields if field in data}
    if header is not None:
        given.add(parse_idempotency_header(header))
    if len(given) > 1:
        raise ApiError(400, "invalid_request", "the idempotency keys given in the request differ")
    if not given and not any(field in data for field in key_fields):
        raise ApiError(400, "invalid_request", "an idempotency key is required (Idempotency-Key header or body)")
    if given:
        for alias in key_fields[1:]:
            data.pop(alias, None)
        data[key_fields[0]] = given.pop()


def parse_body(model: type[Body], key_fields: tuple[str, ...] = (), optional: bool = False) -> Body:
    """The request's JSON body as `model`; `key_fields` name where a write's idempotency
    key may be given in the body (see _merge_idempotency_key). An optional body may be
    left out altogether (then it is {})."""
    raw = read_body() if optional else b""
    if optional and not raw:
        data: Any = {}
    elif request.mimetype not in JSON_TYPES:
        raise ApiError(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)")
    else:
        try:
            data = json.loads(raw or read_body(), parse_float=JsonNumber.parse, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise ApiError(400, "invalid_request", "the body is not valid JSON") from None
    if key_fields and isinstance(data, dict):
        _merge_idempotency_key(data, key_fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


Query = TypeVar("Query", bound=QueryArgs)


def parse_query(model: type[Query], args: MultiDict) -> Query:
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_idempotency_header(value: str) -> str:
    try:
        return IdempotencyHeader(key=value).key
    except ValidationError as exc:
        raise ApiError(400, "invalid_request", "Idempotency-Key header: " + exc.errors()[0]["msg"]) from None

"""Request validation. Bodies are parsed and checked in one step, strictly: amounts must
be JSON integers, unknown fields are refused (no mass assignment)."""
import json
import math
import re
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from werkzeug.datastructures import MultiDict

from .errors import ApiError

MAX_AMOUNT = 9007199254740991  # 2^53 - 1: exact in every JSON parser
MAX_INT4 = 2147483647
MAX_METADATA_BYTES = 4096
MAX_BATCH = 50  # wallet_post_batch's own limit


# Control characters (C0, DEL, C1) are refused in identifiers; the same rule as the
# SQL functions' and as CONTROL_FREE in the OpenAPI document.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _utf8(value: str) -> str:
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _printable(value: str) -> str:
    if _CONTROL.search(_utf8(value)):
        raise ValueError("must not contain control characters")
    return value


def _jsonb_storable(value: Any) -> bool:
    """PostgreSQL's jsonb holds no NUL character and no infinite or NaN number."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_jsonb_storable(k) and _jsonb_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_jsonb_storable(v) for v in value)
    return True


def _small_object(value: dict[str, Any]) -> dict[str, Any]:
    text = _utf8(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    if not _jsonb_storable(value):
        raise ValueError("must not contain NUL characters or non-finite numbers")
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"must be at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_printable)]
Secret = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_utf8)]
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
AssetTypeId = Annotated[int, Field(ge=1, le=MAX_INT4)]
Metadata = Annotated[dict[str, Any], AfterValidator(_small_object)]


class StrictBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # optional fields may be left out, never sent as null
        if value is None:
            raise ValueError("must not be null (leave the field out instead)")
        return value


class LoginBody(StrictBody):
    user_id: UUID
    password: Secret


class TokenBody(StrictBody):
    client_id: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_printable)]
    client_secret: Secret


class PostingBody(StrictBody):
    user_id: UUID | None = None
    asset_type_id: AssetTypeId
    amount: Amount
    idempotency_key: IdempotencyKey | None = None
    metadata: Metadata | None = None


class TopupBody(PostingBody):
    payment_id: IdempotencyKey | None = None


class BatchPosting(StrictBody):
    kind: Literal["topup", "bonus", "spend"]
    user_id: UUID
    asset_type_id: AssetTypeId
    amount: Amount
    idempotency_key: IdempotencyKey
    metadata: Metadata | None = None


class BatchBody(StrictBody):
    postings: Annotated[list[BatchPosting], Field(min_length=1, max_length=MAX_BATCH)]


class AccountBody(StrictBody):
    user_id: UUID
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]


class QueryArgs(BaseModel):
    # query strings are text: numbers are parsed from it, but nothing unknown is allowed
    model_config = ConfigDict(extra="forbid")


class BalanceQuery(QueryArgs):
    user_id: UUID | None = None


class TransactionsQuery(BalanceQuery):
    asset_type_id: AssetTypeId | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    before: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None


class IdempotencyHeader(BaseModel):
    key: IdempotencyKey


def _invalid(exc: ValidationError) -> ApiError:
    errors = exc.errors(include_url=False, include_input=False)
    code = "invalid_amount" if any("amount" in e["loc"] for e in errors) else "invalid_request"
    detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors[:5])
    return ApiError(400, code, detail)


def parse_body(model: type[StrictBody], raw: bytes):
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_query(model: type[QueryArgs], args: MultiDict):
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_idempotency_header(value: str) -> str:
    try:
        return IdempotencyHeader(key=value).key
    except ValidationError as exc:
        raise ApiError(400, "invalid_request", "Idempotency-Key header: " + exc.errors()[0]["msg"]) from None

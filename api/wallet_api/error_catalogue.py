"""Every error the wallet answers, once: its stable code, the HTTP status and title of its
problem, the SQLSTATEs that mean it, and when it happens. errors.py maps failures with
it, the OpenAPI document lists its codes, and tests hold the README's error table and
every ERRCODE raised in sql/ to it (tests/api/test_error_catalogue.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Error:
    code: str
    status: int | None  # None: never answered over HTTP
    title: str
    sqlstates: tuple[str, ...]  # the wallet's own (class WA) or PostgreSQL's, "08" for the class
    when: str


CATALOGUE = (
    Error("invalid_amount", 400, "Invalid amount", ("WA001",),
          "amount missing or outside 1..9007199254740991, or the balance would overflow bigint"),
    Error("invalid_request", 400, "Invalid request", ("WA002",),
          "missing user or asset, a key that is not 1-255 visible ASCII characters, metadata not an object, over "
          "4 KiB or nested over 32 deep, bad name, limit or cursor"),
    Error("unauthenticated", 401, "Authentication required", (),
          "missing, malformed, expired or forged token; failed login (unknown user and wrong password alike)"),
    Error("forbidden", 403, "Forbidden", (), "a role or scope that may not do this, or another user's wallet"),
    Error("account_not_found", 404, "Account not found", ("WA003",), "unknown user"),
    Error("asset_not_found", 404, "Asset not found", ("WA004",), "unknown asset"),
    Error("original_not_found", 404, "Original entry not found", ("WA007",),
          "no top-up with that payment id, or no spend with that key, for this user"),
    Error("hold_not_found", 404, "Hold not found", ("WA009",), "no such hold for this user"),
    Error("not_found", 404, "Not found", (), "no such route"),
    Error("method_not_allowed", 405, "Method not allowed", (), "not with that method"),
    Error("idempotency_key_reused", 409, "Idempotency key reused", ("WA005",),
          "same key, different kind, asset or amount (or original, or refund policy)"),
    Error("exceeds_original", 409, "Exceeds the original", ("WA008",),
          "refunds or reversals beyond the original's amount; a capture beyond its hold"),
    Error("hold_not_open", 409, "Hold not open", ("WA010",),
          "capture or void of a hold captured, voided or expired (DETAIL `state: <state>`; the problem carries "
          "`state`)"),
    Error("account_not_active", 409, "Account not active", ("WA011",),
          "the account is frozen (no spend, hold, capture, transfer out or exchange), closed (no write but refunds "
          "and voids) or erased (DETAIL `status: <status>`; the problem carries `account_status`)"),
    Error("payload_too_large", 413, "Payload too large", (), "body over 64 KiB, whatever the transfer encoding"),
    Error("unsupported_media_type", 415, "Unsupported media type", (),
          "a body that is not `Content-Type: application/json`"),
    Error("balance_limit_exceeded", 422, "Balance limit exceeded", ("WA012",),
          "a credit (top-up, bonus, transfer in, exchange in) that would take the balance above the wallet's max "
          "balance; reversals are exempt"),
    Error("spend_limit_exceeded", 422, "Spend limit exceeded", ("WA013",),
          "a spend, hold, transfer out (with its fee) or exchange past today's spend limit (UTC; DETAIL "
          "`remaining: N`, the problem carries `remaining`)"),
    Error("operation_not_allowed", 422, "Operation not allowed", ("WA014",),
          "a transfer the asset's transfer policy forbids, an exchange without a rate between the two assets, "
          "a transfer between users on different shards (through the router)"),
    Error("insufficient_funds", 422, "Insufficient funds", ("WA006",),
          "a spend, hold, transfer (with its fee) or exchange larger than what is available (balance less what "
          "holds reserve; for a transfer, of the classes its policy lets move)"),
    Error("rate_limited", 429, "Too many requests", (),
          "too many logins from an address, or writes by a user (or a service, if an operator set a limit), with "
          "`Retry-After`"),
    Error("internal_error", 500, "Internal server error", ("XX000",),
          "an unexpected failure, logged with the request id; XX000 from the wallet: its cache and its lots "
          "disagree (run `wallet_verify()`)"),
    Error("unavailable", 503, "Service unavailable", ("55P03", "57014", "40001", "40P01", "53300", "57P01",
                                                      "57P02", "57P03", "08"),  # fmt: skip
          "lock timeout (55P03), statement timeout (57014), deadlock or serialization failure still failing after "
          "retries (40P01, 40001), too many connections (53300), the server shutting down, crashed or starting "
          "(57P01-57P03), a lost connection (class 08), every pooled connection busy, or a shard the router "
          "cannot reach; with `Retry-After`"),
    Error("insufficient_privilege", None, "Insufficient privilege", ("42501",),
          "an owner-only call by another login: PostgreSQL's own refusal of a function not granted, or "
          "wallet_set_limits for an asset's limits (the API never makes one)"),
    Error("preview_undone", None, "Preview undone", ("WA998",),
          "raised and caught inside a dry run (p_dry_run) to undo the real call it ran; never reaches a caller"),
    Error("ledger_immutable", None, "Ledger immutable", ("WA900",),
          "UPDATE, DELETE or TRUNCATE of the ledger or of the events and their feed positions (DELETE or TRUNCATE "
          "of holds), by anyone"),
)  # fmt: skip

BY_CODE = {error.code: error for error in CATALOGUE}
# a SQLSTATE the wallet's functions raise -> its error
BY_SQLSTATE = {state: error for error in CATALOGUE for state in error.sqlstates if state.startswith("WA")}


def readme_table() -> str:
    """The README's error table, as the catalogue writes it."""
    rows = ["| SQLSTATE | name | when | HTTP |", "|---|---|---|---|"]
    for error in CATALOGUE:
        states = ", ".join(f"`{s}`" if len(s) == 5 else f"class `{s}`" for s in error.sqlstates) or "-"
        status = str(error.status) if error.status else "(never reached over HTTP)"
        rows.append(f"| {states} | `{error.code}` | {error.when} | {status} |")
    return "\n".join(rows)

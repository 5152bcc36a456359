"""Every scope a token can carry, named once."""

from enum import StrEnum


class Scope(StrEnum):
    TOPUP = "wallet:topup"
    BONUS = "wallet:bonus"
    SPEND = "wallet:spend"
    REFUND = "wallet:refund"
    REVERSE = "wallet:reverse"
    HOLD = "wallet:hold"
    TRANSFER = "wallet:transfer"
    EXCHANGE = "wallet:exchange"
    REPORTS_READ = "reports:read"
    READ = "wallet:read"
    ACCOUNTS_WRITE = "accounts:write"
    ACCOUNTS_ADMIN = "accounts:admin"
    ACCOUNTS_READ = "accounts:read"


# A user's token: always limited to the user's own wallet.
USER_SCOPES = (Scope.SPEND, Scope.READ)

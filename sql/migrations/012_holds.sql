-- Holds: a two-phase spend. A hold reserves credit from specific lots in spend order:
-- what it reserves leaves the lots' remaining (so no spend, hold or refund can take it,
-- and the lot's expiry cannot touch it) and is counted on the wallet's `held`; the
-- ledger balance is unchanged until a capture posts a spend. Voids, expiries and the
-- unused rest of a partial capture put the credit back into its lots (or, for a lot
-- that expired meanwhile, post its expire entry at once).
--
-- held: credit reserved by holds still marked open, those past expires_at included
-- until a write or wallet_expire() releases them; next_hold_expiry is no later than the
-- soonest expires_at among them, so a posting looks for expired holds only when there
-- may be some. has_holds: the account has made a hold (set on all its wallets by
-- wallet_hold), so an entry's key may be a hold's: only then does a posting look.
ALTER TABLE wallet.wallets
    ADD COLUMN held bigint NOT NULL DEFAULT 0,
    ADD COLUMN next_hold_expiry timestamptz,
    ADD COLUMN has_holds boolean NOT NULL DEFAULT false;

CREATE FUNCTION wallet.wallet_rules_hold(p_balance bigint, p_paid bigint, p_free bigint, p_debt bigint, p_held bigint)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    RETURN p_balance >= 0 AND p_paid >= 0 AND p_free >= 0 AND p_balance = p_paid + p_free AND p_debt >= 0
       AND p_held BETWEEN 0 AND p_balance;
END
$$;

ALTER TABLE wallet.wallets
    DROP CONSTRAINT wallets_balance_rules,
    ADD CONSTRAINT wallets_balance_rules CHECK (wallet.wallet_rules_hold(balance, paid, free, debt, held));
DROP FUNCTION wallet.wallet_rules_hold(bigint, bigint, bigint, bigint);

-- Keyed in the user account's key space with the ledger's entries (wallet_hold checks
-- the ledger, entry-writing functions check here on wallets with has_holds; see
-- docs/design.md). Rules on
-- the row (a known state, amounts in range, reservations adding up to the amount) are
-- wallet_verify() findings, as for the ledger (migration 009).
CREATE TABLE wallet.holds (
    account_id       bigint      NOT NULL,
    hold_id          bigint      GENERATED ALWAYS AS IDENTITY,
    asset_type_id    integer     NOT NULL,
    amount           bigint      NOT NULL,
    state            text        NOT NULL DEFAULT 'open',  -- open, captured, voided, expired
    expires_at       timestamptz NOT NULL,
    idempotency_key  text        NOT NULL,
    metadata         jsonb       NOT NULL,
    -- what it reserved from each lot, in spend order (a capture consumes in this order)
    lot_ids          bigint[]    NOT NULL,
    lot_amounts      bigint[]    NOT NULL,
    paid_amount      bigint      NOT NULL,
    free_amount      bigint      NOT NULL,
    available_after  bigint      NOT NULL,  -- what wallet_hold answered, for its replays
    captured_amount  bigint      NOT NULL DEFAULT 0,
    capture_entry_id bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    PRIMARY KEY (account_id, hold_id),
    UNIQUE (account_id, idempotency_key)
);

-- a writer releases its wallet's expired holds; wallet_expire() finds them across wallets
CREATE INDEX holds_open_by_wallet ON wallet.holds (account_id, asset_type_id, expires_at) WHERE state = 'open';
CREATE INDEX holds_open_by_expiry ON wallet.holds (expires_at) WHERE state = 'open';

-- A hold changes state once and is never removed: its row is the record of what it
-- reserved and how it ended.
CREATE FUNCTION wallet.refuse_hold_removal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_immutable: holds cannot be %d', lower(TG_OP)
        USING ERRCODE = 'WA900', HINT = 'Void or capture the hold instead.';
END
$$;
CREATE TRIGGER holds_no_delete
    BEFORE DELETE ON wallet.holds
    FOR EACH ROW EXECUTE FUNCTION wallet.refuse_hold_removal();
CREATE TRIGGER holds_no_truncate
    BEFORE TRUNCATE ON wallet.holds
    FOR EACH STATEMENT EXECUTE FUNCTION wallet.refuse_hold_removal();

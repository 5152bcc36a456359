-- Transfers between users on two shards (docs/sharding.md, "Transfers between shards"):
-- no transaction spans two databases, so the router makes such a transfer in steps, each
-- idempotent by the transfer's id and recorded in the same transaction as what it moves.
--
-- The Transit account holds what is in flight. On the sender's shard the transfer_out
-- goes user -> Transit (with the fee, user -> Treasury, as on one database); on the
-- recipient's shard the transfer_in comes Transit -> user. A transfer that the
-- recipient's shard refused is undone on the sender's: two reversals (Transit -> user,
-- Treasury -> user) give back to the very lots the amount and the fee were taken from.
INSERT INTO wallet.accounts (kind, system_code, name) VALUES ('system', 'transit', 'Transfers between shards');

-- A constant, as wallet.treasury_account_id (migration 021).
DO $$
BEGIN
    EXECUTE format('CREATE FUNCTION wallet.transit_account_id() RETURNS bigint LANGUAGE sql IMMUTABLE AS %L',
                   'SELECT ' || (SELECT a.account_id FROM wallet.accounts a WHERE a.system_code = 'transit')
                   || '::bigint');
END
$$;
REVOKE ALL ON FUNCTION wallet.transit_account_id() FROM PUBLIC;

-- One row per transfer and side. The sender's shard keeps the 'out' row, written with the
-- transfer_out: 'sent' until the recipient's shard has answered, then 'delivered' or
-- 'undone' (with the refusal its caller got). The recipient's shard keeps the 'in' row,
-- written with the transfer_in ('received') or with the refusal ('refused'), so the
-- recipient's answer is given once and every later asking gets the same one.
CREATE TABLE wallet.shard_transfers (
    transfer_id     uuid NOT NULL,
    side            text NOT NULL CHECK (side IN ('out', 'in')),
    account_id      bigint,           -- the sender's on 'out', the recipient's on 'in' (none when it has no account)
    from_user_id    uuid NOT NULL,
    to_user_id      uuid NOT NULL,
    asset_type_id   integer NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    fee             bigint NOT NULL CHECK (fee >= 0),
    out_entry_id    bigint NOT NULL,  -- the sender's transfer_out (an id of the sender's shard)
    lots            jsonb NOT NULL,   -- the lots the recipient gets: [{class, expires_at, amount}], as taken
    state           text NOT NULL,
    in_entry_id     bigint,           -- the recipient's transfer_in (an id of the recipient's shard)
    in_balance      bigint,           -- and the recipient's balance after it
    refusal_code    text,
    refusal_message text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    PRIMARY KEY (transfer_id, side),
    CHECK (side = 'out' AND state IN ('sent', 'delivered', 'undone')
           OR side = 'in' AND state IN ('received', 'refused')),
    CHECK (account_id IS NOT NULL OR state = 'refused'),
    CHECK ((state IN ('delivered', 'received')) = (in_entry_id IS NOT NULL)),
    CHECK ((state IN ('undone', 'refused')) = (refusal_code IS NOT NULL))
);
CREATE UNIQUE INDEX shard_transfers_out_entry ON wallet.shard_transfers (account_id, out_entry_id) WHERE side = 'out';
CREATE INDEX shard_transfers_in_flight ON wallet.shard_transfers (created_at) WHERE state = 'sent';
REVOKE ALL ON wallet.shard_transfers FROM PUBLIC;

-- The Transit account's balance is derived like the Treasury's: a transfer's entries
-- count toward system balances when their counterparty is Transit (a transfer on one
-- shard, user -> user, moves nothing to or from a system account).
CREATE OR REPLACE VIEW wallet.system_balances AS
SELECT CASE WHEN e.debit_account_id = e.account_id THEN e.credit_account_id
            ELSE e.debit_account_id END AS account_id,
       e.asset_type_id,
       sum(CASE WHEN e.debit_account_id = e.account_id THEN e.amount ELSE -e.amount END) AS balance
FROM wallet.ledger_entries e
WHERE e.kind NOT IN ('transfer_out', 'transfer_in')
   OR wallet.transit_account_id() IN (e.debit_account_id, e.credit_account_id)
GROUP BY 1, 2;

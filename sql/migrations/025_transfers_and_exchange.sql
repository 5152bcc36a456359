-- Version 3: credit moves between users (transfers) and between assets (exchange).
--
-- Which credit of an asset users may give each other: none (the default), free only, or
-- all. Set by the operator (wallet_set_transfer_policy).
ALTER TABLE wallet.asset_types
    ADD COLUMN transfer_policy text NOT NULL DEFAULT 'none' CHECK (transfer_policy IN ('none', 'free_only', 'all'));

-- The operator's rates, one direction each: p_amount of the first asset buys
-- floor(p_amount * numerator / denominator) of the second.
CREATE TABLE wallet.exchange_rates (
    from_asset_type_id integer NOT NULL REFERENCES wallet.asset_types (asset_type_id),
    to_asset_type_id   integer NOT NULL REFERENCES wallet.asset_types (asset_type_id),
    numerator          bigint  NOT NULL CHECK (numerator >= 1),
    denominator        bigint  NOT NULL CHECK (denominator >= 1),
    PRIMARY KEY (from_asset_type_id, to_asset_type_id),
    CHECK (from_asset_type_id <> to_asset_type_id)
);

-- The new entry kinds (the ledger checks its kinds in wallet_verify(), migration 009):
-- transfer_out (user -> user) and transfer_in (its pair on the recipient's wallet,
-- original_entry_id = the transfer_out), fee (user -> Treasury, original_entry_id = the
-- transfer_out), exchange_out (user -> Treasury) and exchange_in (Treasury -> user, on
-- another asset, original_entry_id = the exchange_out). A transfer's two entries have
-- users on both sides: the Treasury's derived balances leave them out (a pair moves
-- nothing to or from it), and wallet_verify() checks that every pair is whole.
CREATE OR REPLACE VIEW wallet.system_balances AS
SELECT CASE WHEN e.debit_account_id = e.account_id THEN e.credit_account_id
            ELSE e.debit_account_id END AS account_id,
       e.asset_type_id,
       sum(CASE WHEN e.debit_account_id = e.account_id THEN e.amount ELSE -e.amount END) AS balance
FROM wallet.ledger_entries e
WHERE e.kind NOT IN ('transfer_out', 'transfer_in')
GROUP BY 1, 2;

-- wallet_assets answers each asset's transfer policy too (a new result column).
DROP FUNCTION IF EXISTS public.wallet_assets();

-- What wallet.move_credit answers wallet_transfer and wallet_exchange: the out entry, the
-- mover's balance after the call, whether it was a replay, the split of the amount, the
-- in entry, what it credited and the receiving wallet's balance after the call.
CREATE TYPE wallet.moved AS (
    entry_id    bigint,
    balance     bigint,
    replayed    boolean,
    paid_amount bigint,
    free_amount bigint,
    to_entry_id bigint,
    to_amount   bigint,
    to_balance  bigint
);

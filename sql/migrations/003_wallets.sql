-- Cached balances of user accounts only. The Treasury's balance is not cached: it is
-- derived from the ledger (see wallet.system_balances), so no row is locked by every
-- posting. A user balance can never go below zero.
CREATE TABLE wallet.wallets (
    account_id    bigint  NOT NULL REFERENCES wallet.accounts (account_id),
    asset_type_id integer NOT NULL REFERENCES wallet.asset_types (asset_type_id),
    balance       bigint  NOT NULL DEFAULT 0 CHECK (balance >= 0),
    PRIMARY KEY (account_id, asset_type_id)
);

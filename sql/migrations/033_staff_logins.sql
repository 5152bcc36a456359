-- Staff logins for the support console (wallet_api.console): a person's name, the argon2
-- hash of their password and their scopes (accounts:read, accounts:admin, reports:read),
-- made and revoked with the credentials command like users' and services' logins.
ALTER TABLE wallet.credentials DROP CONSTRAINT credentials_kind_check;
ALTER TABLE wallet.credentials ADD CONSTRAINT credentials_kind_check CHECK (kind IN ('user', 'service', 'staff'));

-- Who set a user's limits, and when: one row per change by wallet_set_limits (the
-- asset's own limits too, without a user), as accounts keep who changed their status.
-- Append-only; read with wallet_limit_changes.
CREATE TABLE wallet.limit_changes (
    change_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id        bigint REFERENCES wallet.accounts (account_id),  -- NULL: the asset's limits for everyone
    asset_type_id     integer NOT NULL REFERENCES wallet.asset_types (asset_type_id),
    max_balance       bigint,
    daily_spend_limit bigint,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    changed_by        text NOT NULL
);
CREATE INDEX limit_changes_of_account ON wallet.limit_changes (account_id, change_id);
REVOKE ALL ON wallet.limit_changes FROM PUBLIC;

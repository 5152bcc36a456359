-- When a login's current secret was set: tokens issued before it (under an older
-- secret) are refused, as are tokens of a login that no longer exists
-- (wallet_credential_valid_since).
ALTER TABLE wallet.credentials ADD COLUMN valid_since timestamptz NOT NULL DEFAULT now();
UPDATE wallet.credentials SET valid_since = created_at;

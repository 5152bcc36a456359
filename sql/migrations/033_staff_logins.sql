-- Staff logins for the support console (wallet_api.console): a person's name, the argon2
-- hash of their password and their scopes (accounts:read, accounts:admin, reports:read),
-- made and revoked with the credentials command like users' and services' logins.
ALTER TABLE wallet.credentials DROP CONSTRAINT credentials_kind_check;
ALTER TABLE wallet.credentials ADD CONSTRAINT credentials_kind_check CHECK (kind IN ('user', 'service', 'staff'));

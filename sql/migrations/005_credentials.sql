-- Credentials of the HTTP API's callers: users (subject = user_id) and service clients
-- (subject = client_id), with argon2 hashes made and checked in the API, never here.
-- Only wallet_auth may look them up, so trusted services calling the wallet functions
-- as wallet_service cannot read password hashes.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_auth') THEN
        CREATE ROLE wallet_auth NOLOGIN;
    END IF;
    -- The HTTP API: the wallet functions plus the credential lookup.
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_api') THEN
        CREATE ROLE wallet_api NOLOGIN IN ROLE wallet_service, wallet_auth;
    END IF;
END
$$;

CREATE TABLE wallet.credentials (
    kind        text NOT NULL CHECK (kind IN ('user', 'service')),
    subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    secret_hash text NOT NULL CHECK (secret_hash LIKE '$argon2%'),
    scopes      text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, subject)
);

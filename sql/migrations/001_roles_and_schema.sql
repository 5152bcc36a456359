-- The private schema holding every table, and the group role of the wallet's callers.
-- Roles are cluster-wide, so they are created only when missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_service') THEN
        CREATE ROLE wallet_service NOLOGIN;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS wallet;
REVOKE ALL ON SCHEMA wallet FROM PUBLIC;

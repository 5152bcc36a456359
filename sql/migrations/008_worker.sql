-- The background worker's group role: it calls the wallet functions (wallet_expire) as
-- a trusted service does, and owns nothing. Its job queue (procrastinate's tables) lives
-- in the schema `procrastinate`, which the migration runner fills from the pinned
-- procrastinate release and grants to this role.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_worker') THEN
        CREATE ROLE wallet_worker NOLOGIN IN ROLE wallet_service;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS procrastinate;
REVOKE ALL ON SCHEMA procrastinate FROM PUBLIC;
GRANT USAGE ON SCHEMA procrastinate TO wallet_worker;

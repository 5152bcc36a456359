-- The router database (docs/sharding.md): PL/Proxy twins of the public wallet functions
-- over the shard databases of the foreign server `wallet_shards` (one option pN per
-- shard, made by wallet_dev.shards). It holds no ledger: only the routing, the roles the
-- twins are granted to, and a copy of the shards' event feeds in one commit order.
-- Safe to apply again; the functions in sql/router/functions are re-created each time.
CREATE EXTENSION IF NOT EXISTS plproxy;
CREATE SCHEMA IF NOT EXISTS router;
REVOKE ALL ON SCHEMA router FROM PUBLIC;

-- The roles the shards grant their functions to (the same names, so a login made for
-- one database works against the router).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_service') THEN
        CREATE ROLE wallet_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_auth') THEN
        CREATE ROLE wallet_auth NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_api') THEN
        CREATE ROLE wallet_api NOLOGIN IN ROLE wallet_service, wallet_auth;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wallet_worker') THEN
        CREATE ROLE wallet_worker NOLOGIN;
    END IF;
END
$$;
-- twins whose result gained a column are made again (sql/router/functions)
DROP FUNCTION IF EXISTS public.wallet_assets();
-- twins that gained p_dry_run (migration 026 on the shards)
DROP FUNCTION IF EXISTS public.wallet_spend(uuid, integer, bigint, text, jsonb);
DROP FUNCTION IF EXISTS public.wallet_hold(uuid, integer, bigint, text, interval, jsonb);

-- the worker posts nothing (it was a member of wallet_service before migration 017)
REVOKE wallet_service FROM wallet_worker;

-- The worker's job queue lives here (wallet_api.migrate adds procrastinate's tables).
CREATE SCHEMA IF NOT EXISTS procrastinate;
REVOKE ALL ON SCHEMA procrastinate FROM PUBLIC;
GRANT USAGE ON SCHEMA procrastinate TO wallet_worker;

-- The feed as the router serves it: each shard's events, taken in that shard's own
-- (commit) order and appended here by one taker at a time (router.take_feed), so a
-- position here is a single cursor over all shards (public.wallet_events).
CREATE TABLE IF NOT EXISTS router.feed (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shard           integer NOT NULL,
    shard_event_id  bigint NOT NULL,
    type            text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    user_id         uuid,
    asset_type_id   integer,
    entry_id        bigint,
    hold_id         bigint,
    amount          bigint,
    balance         bigint,
    available       bigint,
    paid            bigint,
    free            bigint,
    held            bigint,
    idempotency_key text,
    metadata        jsonb,
    UNIQUE (shard, shard_event_id)
);

-- The router feed's taker: the last position a committed taking gave (readers answer no
-- further), the one before it (what the taking transaction itself may answer), that
-- transaction's top-level id (a taking in a subtransaction is still its caller's), and
-- when a taking last ran (readers take themselves when none has for a second).
CREATE TABLE IF NOT EXISTS router.feed_taker (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_position   bigint NOT NULL,
    before_position bigint NOT NULL,
    taken_by        xid8,
    taken_at        timestamptz NOT NULL
);
INSERT INTO router.feed_taker (last_position, before_position, taken_at)
SELECT coalesce(max(f.event_id), 0), coalesce(max(f.event_id), 0), '-infinity' FROM router.feed f
ON CONFLICT DO NOTHING;

-- One feed over all shards, with one cursor. Each call first takes, under one lock, what
-- every shard's own feed has settled since the last taking (PL/Proxy, in parallel) and
-- appends it to router.feed, each shard's events in its own order; then it reads
-- router.feed after p_after. A position here is given once and in order, so a consumer
-- that asks again from the last event_id it saw misses nothing and sees each wallet's
-- events in entry order, as on one database. event_id is the router's position; the
-- shard's own id (the webhook-id of its deliveries) is kept in router.feed.
CREATE OR REPLACE FUNCTION router.events_after(p_shards integer[], p_afters bigint[])
RETURNS TABLE (shard integer, event_id bigint, type text, occurred_at timestamptz, user_id uuid,
               asset_type_id integer, entry_id bigint, hold_id bigint, amount bigint, balance bigint,
               available bigint, paid bigint, free bigint, held bigint, idempotency_key text, metadata jsonb)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    SPLIT p_shards, p_afters;
    RUN ON p_shards;
    SELECT (p_shards)[1] AS shard, e.* FROM wallet_events((p_afters)[1], 1000) e;
$$;

-- The shard's refusal of arguments it would refuse.
CREATE OR REPLACE FUNCTION router.events_on_first_shard(p_after bigint, p_limit integer)
RETURNS TABLE (event_id bigint, type text, occurred_at timestamptz, user_id uuid, asset_type_id integer,
               entry_id bigint, hold_id bigint, amount bigint, balance bigint, available bigint, paid bigint,
               free bigint, held bigint, idempotency_key text, metadata jsonb)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
    TARGET wallet_events;
$$;

CREATE OR REPLACE FUNCTION public.wallet_events(p_after bigint DEFAULT 0, p_limit integer DEFAULT 500)
RETURNS TABLE (event_id bigint, type text, occurred_at timestamptz, user_id uuid, asset_type_id integer,
               entry_id bigint, hold_id bigint, amount bigint, balance bigint, available bigint, paid bigint,
               free bigint, held bigint, idempotency_key text, metadata jsonb)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_after IS NULL OR p_after < 0 OR p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RETURN QUERY SELECT * FROM router.events_on_first_shard(p_after, p_limit);
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('router.feed'));
    INSERT INTO router.feed (shard, shard_event_id, type, occurred_at, user_id, asset_type_id, entry_id, hold_id,
                             amount, balance, available, paid, free, held, idempotency_key, metadata)
    SELECT e.shard, e.event_id, e.type, e.occurred_at, e.user_id, e.asset_type_id, e.entry_id, e.hold_id,
           e.amount, e.balance, e.available, e.paid, e.free, e.held, e.idempotency_key, e.metadata
    FROM router.events_after(
        ARRAY(SELECT s FROM generate_series(0, router.shard_count() - 1) s ORDER BY s),
        ARRAY(SELECT coalesce((SELECT max(f.shard_event_id) FROM router.feed f WHERE f.shard = s), 0)
              FROM generate_series(0, router.shard_count() - 1) s ORDER BY s)) e
    ORDER BY e.shard, e.event_id;
    RETURN QUERY
    SELECT f.event_id, f.type, f.occurred_at, f.user_id, f.asset_type_id, f.entry_id, f.hold_id, f.amount,
           f.balance, f.available, f.paid, f.free, f.held, f.idempotency_key, f.metadata
    FROM router.feed f
    WHERE f.event_id > p_after
    ORDER BY f.event_id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_events(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_events(bigint, integer) TO wallet_service;

-- One feed over all shards, with one cursor. router.take_feed appends to router.feed what
-- every shard's own feed has settled since the last taking, each shard's events in its
-- own order, and commits it (the worker's wallet_notify_events, every 20 ms); a reader
-- answers only positions committed before it asked. So a position here is given once
-- and for ever, and a consumer that asks again from the last event_id it saw misses
-- nothing and sees each wallet's events in entry order, as on one database. When no
-- taking has run for a second (no worker), the reader takes, without waiting for
-- another taker, what it will read on its next call. event_id is the router's
-- position; the shard's own id (the webhook-id of its deliveries) is kept in router.feed.
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
DECLARE
    v_last bigint;  -- every position up to this one is committed
BEGIN
    IF p_after IS NULL OR p_after < 0 OR p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RETURN QUERY SELECT * FROM router.events_on_first_shard(p_after, p_limit);
        RETURN;
    END IF;
    v_last := router.settled_feed_position();
    IF (SELECT t.taken_at FROM router.feed_taker t) < clock_timestamp() - interval '1 second'
       AND current_setting('transaction_isolation') = 'read committed' THEN  -- a later snapshot could not take
        BEGIN  -- best effort: a shard out of reach stops the taking, not the reading
            PERFORM router.take_feed(false);
        EXCEPTION WHEN SQLSTATE 'XX000' THEN  -- PL/Proxy's report of a shard it could not reach
            NULL;
        END;
    END IF;
    RETURN QUERY
    SELECT f.event_id, f.type, f.occurred_at, f.user_id, f.asset_type_id, f.entry_id, f.hold_id, f.amount,
           f.balance, f.available, f.paid, f.free, f.held, f.idempotency_key, f.metadata
    FROM router.feed f
    WHERE f.event_id > p_after AND f.event_id <= v_last
    ORDER BY f.event_id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_events(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_events(bigint, integer) TO wallet_service;

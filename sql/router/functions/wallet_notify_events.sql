-- Places every shard's feed (each shard's wallet_notify_events gives positions to what
-- committed there since its last call), takes what they settled into the router's feed
-- (router.take_feed), commits that with the caller's transaction, and then sends NOTIFY
-- wallet_events here, on the router, when the router's feed is not where p_seen says (the
-- worker passes the last answer back). The shards are asked with a p_seen no position
-- reaches, so that they do not notify their own listeners for nothing.
CREATE OR REPLACE FUNCTION router.feed_positions_on_all()
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT wallet_notify_events(9223372036854775807);
$$;

CREATE OR REPLACE FUNCTION public.wallet_notify_events(p_seen bigint DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last bigint;
BEGIN
    PERFORM FROM router.feed_positions_on_all();
    v_last := router.take_feed();
    -- moved, not only grown: a worker may pass back what the function answered before it
    -- answered the router's position (the sum of the shards')
    IF v_last IS DISTINCT FROM coalesce(p_seen, 0) THEN
        PERFORM pg_notify('wallet_events', '');
    END IF;
    RETURN v_last;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_notify_events(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_notify_events(bigint) TO wallet_service, wallet_worker;

-- Places every shard's feed (each shard's wallet_notify_events gives positions to what
-- committed there since its last call), then sends NOTIFY wallet_events here, on the
-- router, when any shard's feed has moved: the answer is the sum of the shards' last
-- positions, which grows whenever one of them does (the worker passes it back as
-- p_seen). The shards are asked with a p_seen no position reaches, so that they do not
-- notify their own listeners for nothing.
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
    v_sum bigint;
BEGIN
    SELECT coalesce(sum(p), 0)::bigint INTO v_sum FROM router.feed_positions_on_all() p;
    IF v_sum > coalesce(p_seen, 0) THEN
        PERFORM pg_notify('wallet_events', '');
    END IF;
    RETURN v_sum;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_notify_events(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_notify_events(bigint) TO wallet_service, wallet_worker;

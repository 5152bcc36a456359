-- A subscription exists on every shard under one id, since each shard fans out its own
-- events to it: subscribed on all of them at once, through the router only, so their
-- sequences give the same id; ids that differ are refused (a shard was subscribed
-- directly) rather than left to deliver under two names. Owner only.
CREATE OR REPLACE FUNCTION router.subscribe_on_all(p_url text, p_secret text, p_event_types text[])
RETURNS SETOF bigint
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_subscribe;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_subscribe(p_url text, p_secret text, p_event_types text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT s) INTO v_ids FROM router.subscribe_on_all(p_url, p_secret, p_event_types) s;
    IF cardinality(v_ids) <> 1 THEN
        RAISE EXCEPTION 'the shards gave this subscription different ids %', v_ids
            USING HINT = 'subscribe through the router only; unsubscribe these ids and subscribe again';
    END IF;
    RETURN v_ids[1];
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_subscribe(text, text, text[]) FROM PUBLIC;

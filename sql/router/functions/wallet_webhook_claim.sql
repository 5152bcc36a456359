-- Claims on every shard, up to p_limit each (so up to p_limit times the shard count in
-- all: the worker sends what it is handed). Event ids are unique across shards (each
-- shard's feed steps by 64 from its own offset), so the webhook-id stays unique and
-- settling finds the shard again. Worker only.
DROP FUNCTION IF EXISTS public.wallet_webhook_claim(integer, interval);  -- before the receivers' arguments
CREATE OR REPLACE FUNCTION public.wallet_webhook_claim(p_limit integer DEFAULT 100, p_lease interval DEFAULT '1 minute',
                                                       p_busy bigint[] DEFAULT NULL,
                                                       p_per_subscription integer DEFAULT 10)
RETURNS TABLE (subscription_id bigint, event_id bigint, attempt integer, url text, secret text, payload text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_claim(integer, interval, bigint[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_claim(integer, interval, bigint[], integer) TO wallet_worker;

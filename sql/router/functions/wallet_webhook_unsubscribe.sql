-- Ends the subscription on every shard; answers whether it was active on any. Owner only.
CREATE OR REPLACE FUNCTION router.unsubscribe_on_all(p_subscription_id bigint)
RETURNS SETOF boolean
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_unsubscribe;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_unsubscribe(p_subscription_id bigint)
RETURNS boolean
LANGUAGE sql
AS $$ SELECT coalesce(bool_or(u), false) FROM router.unsubscribe_on_all(p_subscription_id) u $$;

REVOKE ALL ON FUNCTION public.wallet_webhook_unsubscribe(bigint) FROM PUBLIC;

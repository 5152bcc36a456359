-- Dead deliveries of all shards, oldest event first (ids step alike on every shard). Owner
-- only.
CREATE OR REPLACE FUNCTION router.dead_on_all(p_subscription_id bigint, p_limit integer)
RETURNS TABLE (subscription_id bigint, event_id bigint, type text, attempts integer,
               first_attempt_at timestamptz, last_attempt_at timestamptz, last_error text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_dead;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_dead(p_subscription_id bigint DEFAULT NULL, p_limit integer DEFAULT 100)
RETURNS TABLE (subscription_id bigint, event_id bigint, type text, attempts integer,
               first_attempt_at timestamptz, last_attempt_at timestamptz, last_error text)
LANGUAGE sql
AS $$
    SELECT d.* FROM router.dead_on_all(p_subscription_id, p_limit) d
    ORDER BY d.event_id, d.subscription_id
    LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_dead(bigint, integer) FROM PUBLIC;

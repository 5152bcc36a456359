-- The subscriptions, with the deliveries pending and dead on all shards. Owner only.
CREATE OR REPLACE FUNCTION router.subscriptions_on_all()
RETURNS TABLE (subscription_id bigint, url text, event_types text[], created_at timestamptz,
               removed_at timestamptz, pending bigint, dead bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_subscriptions;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_subscriptions()
RETURNS TABLE (subscription_id bigint, url text, event_types text[], created_at timestamptz,
               removed_at timestamptz, pending bigint, dead bigint)
LANGUAGE sql
AS $$
    SELECT s.subscription_id, s.url, s.event_types, min(s.created_at), max(s.removed_at),
           sum(s.pending)::bigint, sum(s.dead)::bigint
    FROM router.subscriptions_on_all() s
    GROUP BY s.subscription_id, s.url, s.event_types
    ORDER BY s.subscription_id
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_subscriptions() FROM PUBLIC;

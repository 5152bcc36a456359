-- The subscriptions, without their secrets, with how many deliveries are pending and
-- dead. Owner only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_subscriptions()
RETURNS TABLE (subscription_id bigint, url text, event_types text[], created_at timestamptz,
               removed_at timestamptz, pending bigint, dead bigint)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.subscription_id, s.url, s.event_types, s.created_at, s.removed_at,
           (SELECT count(*) FROM wallet.webhook_deliveries d
            WHERE d.subscription_id = s.subscription_id AND d.state = 'pending'),
           (SELECT count(*) FROM wallet.webhook_deliveries d
            WHERE d.subscription_id = s.subscription_id AND d.state = 'dead')
    FROM wallet.webhook_subscriptions s
    ORDER BY s.subscription_id
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_subscriptions() FROM PUBLIC;

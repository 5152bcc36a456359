-- Dead deliveries (failing for the whole retry window), oldest event first, of one
-- subscription or all: what an operator looks at before redelivering. Owner only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_dead(p_subscription_id bigint DEFAULT NULL, p_limit integer DEFAULT 100)
RETURNS TABLE (subscription_id bigint, event_id bigint, type text, attempts integer,
               first_attempt_at timestamptz, last_attempt_at timestamptz, last_error text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.subscription_id, d.event_id, e.type, d.attempts, d.first_attempt_at, d.last_attempt_at, d.last_error
    FROM wallet.webhook_deliveries d
    JOIN wallet.feed_events e ON e.event_id = d.event_id
    WHERE d.state = 'dead' AND (p_subscription_id IS NULL OR d.subscription_id = p_subscription_id)
    ORDER BY d.event_id, d.subscription_id
    LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_dead(bigint, integer) FROM PUBLIC;

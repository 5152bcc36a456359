-- What is waiting to be delivered, per live subscription: how many deliveries are
-- pending, when the oldest of their events occurred, and until when the receiver is
-- paused after failures. The worker reports it as metrics, so that a stalled worker or
-- a receiver that stopped taking events shows (docs/alerts.md). Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_backlog()
RETURNS TABLE (subscription_id bigint, pending bigint, oldest_pending_event_at timestamptz, paused_until timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.subscription_id,
           (SELECT count(*) FROM wallet.webhook_deliveries d
            WHERE d.subscription_id = s.subscription_id AND d.state = 'pending'),
           (SELECT e.occurred_at
            FROM (SELECT min(d.event_id) AS event_id FROM wallet.webhook_deliveries d
                  WHERE d.subscription_id = s.subscription_id AND d.state = 'pending') oldest
            JOIN wallet.feed_events e ON e.event_id = oldest.event_id),
           s.paused_until
    FROM wallet.webhook_subscriptions s
    WHERE s.removed_at IS NULL
    ORDER BY s.subscription_id
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_backlog() TO wallet_worker;

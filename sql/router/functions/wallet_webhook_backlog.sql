-- The backlog of every shard, per subscription: pending summed, the oldest event and the
-- latest pause of any shard. Worker only.
CREATE OR REPLACE FUNCTION router.webhook_backlog_on_all()
RETURNS TABLE (subscription_id bigint, pending bigint, oldest_pending_event_at timestamptz, paused_until timestamptz)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_backlog;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_backlog()
RETURNS TABLE (subscription_id bigint, pending bigint, oldest_pending_event_at timestamptz, paused_until timestamptz)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT b.subscription_id, sum(b.pending)::bigint, min(b.oldest_pending_event_at), max(b.paused_until)
    FROM router.webhook_backlog_on_all() b
    GROUP BY b.subscription_id
    ORDER BY b.subscription_id
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_backlog() TO wallet_worker;

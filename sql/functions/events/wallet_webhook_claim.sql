-- The worker's second step: up to p_limit deliveries that are due, each with what to
-- send (the subscription's URL and secret, and the payload as Standard Webhooks shapes
-- it: type, timestamp, data = the event as wallet_events answers it). A claim counts as
-- an attempt and leases the delivery for p_lease: a worker that dies while sending
-- leaves it due again when the lease ends, so nothing claimed is lost (at least once).
-- Concurrent claims take different deliveries (SKIP LOCKED). Fair to receivers: at most
-- p_per_subscription deliveries of one subscription per claim, none of a subscription
-- paused after its failures (wallet_webhook_settle) or named in p_busy (the worker has
-- enough of its deliveries in flight already); one of each receiver before a second of
-- any, the receiver served least recently first, then oldest due first. Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_claim(p_limit integer DEFAULT 100, p_lease interval DEFAULT '1 minute',
                                                       p_busy bigint[] DEFAULT NULL,
                                                       p_per_subscription integer DEFAULT 10)
RETURNS TABLE (subscription_id bigint, event_id bigint, attempt integer, url text, secret text, payload text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'  -- the payload's timestamps read the same whoever calls
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 OR p_lease IS NULL OR p_lease < interval '1 second'
       OR p_per_subscription IS NULL OR p_per_subscription NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid_request: limit and per_subscription must be from 1 to 1000 and the lease at least 1 second'
            USING ERRCODE = 'WA002',
                  DETAIL = format('limit: %s, lease: %s, per_subscription: %s', p_limit, p_lease, p_per_subscription);
    END IF;
    RETURN QUERY
    WITH due AS (
        SELECT d.subscription_id, d.event_id
        FROM wallet.webhook_subscriptions s
        CROSS JOIN LATERAL (
            SELECT d.subscription_id, d.event_id, d.due_at, row_number() OVER (ORDER BY d.due_at) AS nth
            FROM (SELECT d.subscription_id, d.event_id, d.due_at
                  FROM wallet.webhook_deliveries d
                  WHERE d.subscription_id = s.subscription_id AND d.state = 'pending'
                    AND d.due_at <= clock_timestamp()
                  ORDER BY d.due_at
                  LIMIT least(p_limit, p_per_subscription)
                  FOR UPDATE OF d SKIP LOCKED) d
        ) d
        WHERE s.removed_at IS NULL AND (s.paused_until IS NULL OR s.paused_until <= clock_timestamp())
          AND s.subscription_id <> ALL (coalesce(p_busy, '{}'))
        ORDER BY d.nth, s.last_claimed_at NULLS FIRST, d.due_at
        LIMIT p_limit
    ), served AS (
        UPDATE wallet.webhook_subscriptions s SET last_claimed_at = clock_timestamp()
        WHERE s.subscription_id IN (SELECT due.subscription_id FROM due)
    ), claimed AS (
        UPDATE wallet.webhook_deliveries d
        SET attempts = d.attempts + 1, due_at = clock_timestamp() + p_lease,
            first_attempt_at = coalesce(d.first_attempt_at, clock_timestamp()), last_attempt_at = clock_timestamp()
        FROM due
        WHERE d.subscription_id = due.subscription_id AND d.event_id = due.event_id
        RETURNING d.subscription_id, d.event_id, d.attempts
    )
    SELECT c.subscription_id, c.event_id, c.attempts, s.url, s.secret,
           jsonb_build_object(
               'type', e.type, 'timestamp', e.occurred_at,
               'data', jsonb_build_object(
                   'event_id', e.event_id, 'type', e.type, 'occurred_at', e.occurred_at, 'user_id', a.user_id,
                   'asset_type_id', e.asset_type_id, 'entry_id', e.entry_id, 'hold_id', e.hold_id,
                   'amount', e.amount, 'balance', e.balance, 'available', e.available, 'paid', e.paid,
                   'free', e.free, 'held', e.held, 'idempotency_key', e.idempotency_key,
                   'metadata', e.metadata))::text
    FROM claimed c
    JOIN wallet.webhook_subscriptions s ON s.subscription_id = c.subscription_id
    JOIN wallet.feed_events e ON e.event_id = c.event_id
    JOIN wallet.accounts a ON a.account_id = e.account_id
    ORDER BY c.event_id, c.subscription_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_claim(integer, interval, bigint[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_claim(integer, interval, bigint[], integer) TO wallet_worker;

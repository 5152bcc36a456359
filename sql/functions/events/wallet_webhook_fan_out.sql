-- The worker's first step: for each active subscription, a pending delivery for every
-- matching event committed since its last call, at most p_limit feed positions per
-- subscription per call. Reads the positions committed so far (wallet.settled_feed_position)
-- and moves the subscription's position in the same transaction as its deliveries,
-- so no event is skipped or fanned out twice; subscriptions another call is fanning
-- out are skipped. Answers how many deliveries it made. Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_fan_out(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last    bigint;
    v_sub     record;
    v_through bigint;
    v_made    integer;
    v_total   integer := 0;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'invalid_request: limit must be from 1 to 100000'
            USING ERRCODE = 'WA002', DETAIL = format('limit: %s', p_limit);
    END IF;
    -- a snapshot older than the position read would miss events, and the subscription's
    -- position moved past them would lose them for good
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'invalid_request: call wallet_webhook_fan_out in READ COMMITTED'
            USING ERRCODE = 'WA002';
    END IF;
    v_last := wallet.settled_feed_position();
    FOR v_sub IN
        SELECT s.subscription_id, s.event_types, s.fanned_out_through
        FROM wallet.webhook_subscriptions s
        WHERE s.removed_at IS NULL AND s.fanned_out_through < v_last
        ORDER BY s.subscription_id
        FOR UPDATE SKIP LOCKED
    LOOP
        v_through := least(v_last, v_sub.fanned_out_through + p_limit);
        INSERT INTO wallet.webhook_deliveries (subscription_id, event_id)
        SELECT v_sub.subscription_id, e.event_id
        FROM wallet.feed_events e
        WHERE e.event_id > v_sub.fanned_out_through AND e.event_id <= v_through
          AND (v_sub.event_types IS NULL OR e.type = ANY (v_sub.event_types))
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_made = ROW_COUNT;
        UPDATE wallet.webhook_subscriptions s SET fanned_out_through = v_through
        WHERE s.subscription_id = v_sub.subscription_id;
        v_total := v_total + v_made;
    END LOOP;
    RETURN v_total;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_fan_out(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_fan_out(integer) TO wallet_worker;

-- The worker's last step, for one claimed delivery: delivered when p_error is NULL;
-- else due again after an exponential backoff with jitter (1 s, 2 s, 4 s ... up to
-- p_backoff_cap, each between half and all of it), or dead once it has been failing
-- for p_retry_for since its first attempt. Only the latest claim (p_attempt) settles:
-- one whose lease ran out and was claimed again changes nothing. Answers the
-- delivery's state. Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_settle(p_subscription_id bigint, p_event_id bigint, p_attempt integer,
                                                        p_error text DEFAULT NULL,
                                                        p_retry_for interval DEFAULT '24 hours',
                                                        p_backoff_cap interval DEFAULT '1 hour')
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_delivery record;
    v_delay    interval;
BEGIN
    IF p_retry_for IS NULL OR p_retry_for < interval '0' OR p_backoff_cap IS NULL OR p_backoff_cap < interval '1 second' THEN
        RAISE EXCEPTION 'invalid_request: the retry window must be 0 or more and the backoff cap at least 1 second'
            USING ERRCODE = 'WA002', DETAIL = format('retry_for: %s, backoff_cap: %s', p_retry_for, p_backoff_cap);
    END IF;
    SELECT d.state, d.attempts, d.first_attempt_at INTO v_delivery
    FROM wallet.webhook_deliveries d
    WHERE d.subscription_id = p_subscription_id AND d.event_id = p_event_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invalid_request: no such delivery'
            USING ERRCODE = 'WA002', DETAIL = format('subscription: %s, event: %s', p_subscription_id, p_event_id);
    END IF;
    IF v_delivery.state <> 'pending' OR v_delivery.attempts <> p_attempt THEN
        RETURN v_delivery.state;
    END IF;
    IF p_error IS NULL THEN
        UPDATE wallet.webhook_deliveries d SET state = 'delivered', delivered_at = clock_timestamp(), last_error = NULL
        WHERE d.subscription_id = p_subscription_id AND d.event_id = p_event_id;
        RETURN 'delivered';
    END IF;
    IF clock_timestamp() - v_delivery.first_attempt_at >= p_retry_for THEN
        UPDATE wallet.webhook_deliveries d SET state = 'dead', last_error = left(p_error, 500)
        WHERE d.subscription_id = p_subscription_id AND d.event_id = p_event_id;
        RETURN 'dead';
    END IF;
    v_delay := least(p_backoff_cap, interval '1 second' * power(2, least(p_attempt - 1, 30)));
    UPDATE wallet.webhook_deliveries d
    SET due_at = clock_timestamp() + v_delay * (0.5 + random() / 2), last_error = left(p_error, 500)
    WHERE d.subscription_id = p_subscription_id AND d.event_id = p_event_id;
    RETURN 'pending';
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_settle(bigint, bigint, integer, text, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_settle(bigint, bigint, integer, text, interval, interval) TO wallet_worker;

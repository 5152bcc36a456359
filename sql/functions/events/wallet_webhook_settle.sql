-- The worker's last step, for the deliveries of one claim, all at once (the arrays are
-- parallel: one element per delivery): delivered where the error is NULL; else due
-- again after an exponential backoff with jitter (1 s, 2 s, 4 s ... up to
-- p_backoff_cap, each between half and all of it), or dead once it has been failing for
-- p_retry_for since its first attempt. Only a delivery's latest claim (its attempt
-- number) settles it: one whose lease ran out and was claimed again changes nothing.
-- A receiver that times out holds the worker's slots: a subscription whose deliveries
-- here timed out (the error starts with TimeoutError) and none succeeded is paused
-- (wallet_webhook_claim skips it) for 1 s, 2 s, 4 s ... up to p_backoff_cap as its
-- timeouts go on; a success lifts the pause. Other failures (refused, 5xx) cost no time
-- and back off per delivery only. Answers each delivery's state. Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_settle(p_subscription_ids bigint[], p_event_ids bigint[],
                                                        p_attempts integer[], p_errors text[],
                                                        p_retry_for interval DEFAULT '24 hours',
                                                        p_backoff_cap interval DEFAULT '1 hour')
RETURNS TABLE (subscription_id bigint, event_id bigint, state text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_retry_for IS NULL OR p_retry_for < interval '0' OR p_backoff_cap IS NULL OR p_backoff_cap < interval '1 second' THEN
        RAISE EXCEPTION 'invalid_request: the retry window must be 0 or more and the backoff cap at least 1 second'
            USING ERRCODE = 'WA002', DETAIL = format('retry_for: %s, backoff_cap: %s', p_retry_for, p_backoff_cap);
    END IF;
    IF cardinality(p_subscription_ids) IS DISTINCT FROM cardinality(p_event_ids)
       OR cardinality(p_event_ids) IS DISTINCT FROM cardinality(p_attempts)
       OR cardinality(p_attempts) IS DISTINCT FROM cardinality(p_errors) THEN
        RAISE EXCEPTION 'invalid_request: one subscription, event, attempt and error per delivery'
            USING ERRCODE = 'WA002';
    END IF;
    RETURN QUERY
    WITH outcome AS (
        SELECT o.subscription_id, o.event_id, o.attempt, left(o.error, 500) AS error, o.n
        FROM unnest(p_subscription_ids, p_event_ids, p_attempts, p_errors) WITH ORDINALITY
             AS o (subscription_id, event_id, attempt, error, n)
    ), settled AS (
        UPDATE wallet.webhook_deliveries d
        SET state = CASE WHEN o.error IS NULL THEN 'delivered'
                         WHEN clock_timestamp() - d.first_attempt_at >= p_retry_for THEN 'dead'
                         ELSE 'pending' END,
            delivered_at = CASE WHEN o.error IS NULL THEN clock_timestamp() END,
            last_error = o.error,
            due_at = CASE WHEN o.error IS NULL OR clock_timestamp() - d.first_attempt_at >= p_retry_for THEN d.due_at
                          ELSE clock_timestamp()
                               + least(p_backoff_cap, interval '1 second' * power(2, least(o.attempt - 1, 30)))
                                 * (0.5 + random() / 2) END
        FROM outcome o
        WHERE d.subscription_id = o.subscription_id AND d.event_id = o.event_id
          AND d.state = 'pending' AND d.attempts = o.attempt
        RETURNING d.subscription_id, d.event_id, d.state
    ), receivers AS (
        UPDATE wallet.webhook_subscriptions s
        SET consecutive_failures = CASE WHEN r.succeeded THEN 0 ELSE s.consecutive_failures + 1 END,
            paused_until = CASE WHEN r.succeeded THEN NULL
                                ELSE clock_timestamp()
                                     + least(p_backoff_cap, interval '1 second' * power(2, least(s.consecutive_failures, 30)))
                           END
        FROM (SELECT o.subscription_id, bool_or(o.error IS NULL) AS succeeded,
                     bool_or(o.error LIKE 'TimeoutError%') AS timed_out
              FROM outcome o GROUP BY o.subscription_id) r
        WHERE s.subscription_id = r.subscription_id AND (r.succeeded OR r.timed_out)
    )
    SELECT o.subscription_id, o.event_id, coalesce(s.state, d.state)
    FROM outcome o
    LEFT JOIN settled s ON s.subscription_id = o.subscription_id AND s.event_id = o.event_id
    LEFT JOIN wallet.webhook_deliveries d ON d.subscription_id = o.subscription_id AND d.event_id = o.event_id
    ORDER BY o.n;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_settle(bigint[], bigint[], integer[], text[], interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_settle(bigint[], bigint[], integer[], text[], interval, interval)
    TO wallet_worker;

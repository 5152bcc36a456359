-- Puts a subscription's dead deliveries (one event's, or all) back to pending, due now,
-- with a fresh retry window. Answers how many. Owner only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_redeliver(p_subscription_id bigint, p_event_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    UPDATE wallet.webhook_deliveries d
    SET state = 'pending', attempts = 0, due_at = now(), first_attempt_at = NULL
    WHERE d.subscription_id = p_subscription_id AND d.state = 'dead'
      AND (p_event_id IS NULL OR d.event_id = p_event_id);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_redeliver(bigint, bigint) FROM PUBLIC;

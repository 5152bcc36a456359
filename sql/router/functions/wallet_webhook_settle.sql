-- Each delivery is settled on the shard of its event (PL/Proxy's SPLIT by event id).
-- Worker only.
CREATE OR REPLACE FUNCTION public.wallet_webhook_settle(p_subscription_ids bigint[], p_event_ids bigint[],
                                                        p_attempts integer[], p_errors text[],
                                                        p_retry_for interval DEFAULT '24 hours',
                                                        p_backoff_cap interval DEFAULT '1 hour')
RETURNS TABLE (subscription_id bigint, event_id bigint, state text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    SPLIT p_subscription_ids, p_event_ids, p_attempts, p_errors;
    RUN ON router.event_hash(p_event_ids);
$$;

REVOKE ALL ON FUNCTION public.wallet_webhook_settle(bigint[], bigint[], integer[], text[], interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_settle(bigint[], bigint[], integer[], text[], interval, interval)
    TO wallet_worker;

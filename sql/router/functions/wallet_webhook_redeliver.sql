-- Redelivers on every shard (one event's delivery lives on its event's shard only);
-- answers how many in all. Owner only.
CREATE OR REPLACE FUNCTION router.redeliver_on_all(p_subscription_id bigint, p_event_id bigint)
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_redeliver;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_redeliver(p_subscription_id bigint, p_event_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE sql
AS $$ SELECT coalesce(sum(n), 0)::integer FROM router.redeliver_on_all(p_subscription_id, p_event_id) n $$;

REVOKE ALL ON FUNCTION public.wallet_webhook_redeliver(bigint, bigint) FROM PUBLIC;

-- Every shard fans out its own events, in parallel; answers the sum. Worker only.
CREATE OR REPLACE FUNCTION router.fan_out_on_all(p_limit integer)
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_webhook_fan_out;
$$;

CREATE OR REPLACE FUNCTION public.wallet_webhook_fan_out(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(sum(n), 0)::integer FROM router.fan_out_on_all(p_limit) n $$;

REVOKE ALL ON FUNCTION public.wallet_webhook_fan_out(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_webhook_fan_out(integer) TO wallet_worker;

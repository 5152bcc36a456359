-- Every shard sweeps its own expired lots and holds, in parallel, up to p_limit of each
-- per shard; the counts are the shards' sum.
CREATE OR REPLACE FUNCTION router.expire_on_all(p_limit integer)
RETURNS TABLE (lots_expired integer, holds_expired integer)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    TARGET wallet_expire;
$$;

CREATE OR REPLACE FUNCTION public.wallet_expire(p_limit integer DEFAULT 1000)
RETURNS TABLE (lots_expired integer, holds_expired integer)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(e.lots_expired), 0)::integer, coalesce(sum(e.holds_expired), 0)::integer
    FROM router.expire_on_all(p_limit) e
$$;

REVOKE ALL ON FUNCTION public.wallet_expire(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_expire(integer) TO wallet_service, wallet_worker;

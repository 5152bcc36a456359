-- The sum over the shards, per asset, for one moment: the router's. Asked for the
-- present, each shard reads its present (its wallet rows); for a past moment, it
-- rebuilds its lots at that moment. Figures in numeric, as the shards answer them (the
-- drops make the twins again when a router made before that still has bigint ones).
DROP FUNCTION IF EXISTS public.wallet_outstanding(timestamptz);
DROP FUNCTION IF EXISTS router.outstanding_on_all(timestamptz, boolean);
CREATE FUNCTION router.outstanding_on_all(p_at timestamptz, p_present boolean)
RETURNS TABLE (asset_type_id integer, asset_code text, paid numeric, free numeric, debt numeric, paid_wallets bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT o.* FROM wallet_outstanding(CASE WHEN p_present THEN now() ELSE p_at END) o;
$$;

CREATE FUNCTION public.wallet_outstanding(p_at timestamptz DEFAULT now())
RETURNS TABLE (asset_type_id integer, asset_code text, paid numeric, free numeric, debt numeric, paid_wallets bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o.asset_type_id, o.asset_code, sum(o.paid), sum(o.free), sum(o.debt), sum(o.paid_wallets)::bigint
    FROM router.outstanding_on_all(p_at, p_at >= now()) o
    GROUP BY o.asset_type_id, o.asset_code
    ORDER BY o.asset_type_id
$$;

REVOKE ALL ON FUNCTION public.wallet_outstanding(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_outstanding(timestamptz) TO wallet_service;

-- Owner only, as on a shard: sets the rate on every shard. Each shard commits on its
-- own; a call that fails on one may have set the others, and calling it again sets the
-- rest (it is idempotent).
CREATE OR REPLACE FUNCTION router.set_exchange_rate_on_all(
    p_from_asset_type_id integer, p_to_asset_type_id integer, p_numerator bigint, p_denominator bigint
) RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT 1 FROM wallet_set_exchange_rate(p_from_asset_type_id, p_to_asset_type_id, p_numerator, p_denominator);
$$;

CREATE OR REPLACE FUNCTION public.wallet_set_exchange_rate(
    p_from_asset_type_id integer, p_to_asset_type_id integer, p_numerator bigint, p_denominator bigint
) RETURNS void
LANGUAGE sql
AS $$
    SELECT count(*) FROM router.set_exchange_rate_on_all(p_from_asset_type_id, p_to_asset_type_id, p_numerator,
                                                          p_denominator)
$$;

REVOKE ALL ON FUNCTION public.wallet_set_exchange_rate(integer, integer, bigint, bigint) FROM PUBLIC;

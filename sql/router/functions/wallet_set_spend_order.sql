-- Owner only, as on a shard: sets the order on every shard. Each shard commits on its
-- own; a call that fails on one may have set the others, and calling it again sets the
-- rest (it is idempotent).
CREATE OR REPLACE FUNCTION router.set_spend_order_on_all(p_asset_type_id integer, p_spend_order text)
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT 1 FROM wallet_set_spend_order(p_asset_type_id, p_spend_order);
$$;

CREATE OR REPLACE FUNCTION public.wallet_set_spend_order(p_asset_type_id integer, p_spend_order text)
RETURNS void
LANGUAGE sql
AS $$ SELECT count(*) FROM router.set_spend_order_on_all(p_asset_type_id, p_spend_order) $$;

REVOKE ALL ON FUNCTION public.wallet_set_spend_order(integer, text) FROM PUBLIC;

-- Owner only, as on a shard: sets the policy on every shard. Each shard commits on its
-- own; a call that fails on one may have set the others, and calling it again sets the
-- rest (it is idempotent).
CREATE OR REPLACE FUNCTION router.set_transfer_policy_on_all(p_asset_type_id integer, p_policy text)
RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT 1 FROM wallet_set_transfer_policy(p_asset_type_id, p_policy);
$$;

CREATE OR REPLACE FUNCTION public.wallet_set_transfer_policy(p_asset_type_id integer, p_policy text)
RETURNS void
LANGUAGE sql
AS $$ SELECT count(*) FROM router.set_transfer_policy_on_all(p_asset_type_id, p_policy) $$;

REVOKE ALL ON FUNCTION public.wallet_set_transfer_policy(integer, text) FROM PUBLIC;

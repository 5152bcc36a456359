-- Reference data, the same on every shard (wallet_set_spend_order and
-- wallet_set_transfer_policy change all of them):
-- read from the first.
CREATE OR REPLACE FUNCTION public.wallet_assets()
RETURNS TABLE (asset_type_id integer, code text, name text, spend_order text, transfer_policy text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
$$;

REVOKE ALL ON FUNCTION public.wallet_assets() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_assets() TO wallet_service;

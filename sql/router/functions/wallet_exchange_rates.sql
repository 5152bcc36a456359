-- Reference data, the same on every shard (wallet_set_exchange_rate changes all of
-- them): read from the first.
CREATE OR REPLACE FUNCTION public.wallet_exchange_rates()
RETURNS TABLE (from_asset_type_id integer, to_asset_type_id integer, numerator bigint, denominator bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
$$;

REVOKE ALL ON FUNCTION public.wallet_exchange_rates() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_exchange_rates() TO wallet_service;

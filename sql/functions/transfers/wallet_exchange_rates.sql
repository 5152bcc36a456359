-- The operator's exchange rates (GET /exchange-rates): p_amount of the first asset buys
-- floor(p_amount * numerator / denominator) of the second.
CREATE OR REPLACE FUNCTION public.wallet_exchange_rates()
RETURNS TABLE (from_asset_type_id integer, to_asset_type_id integer, numerator bigint, denominator bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.from_asset_type_id, r.to_asset_type_id, r.numerator, r.denominator
    FROM wallet.exchange_rates r
    ORDER BY r.from_asset_type_id, r.to_asset_type_id
$$;

REVOKE ALL ON FUNCTION public.wallet_exchange_rates() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_exchange_rates() TO wallet_service;

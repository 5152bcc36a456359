-- The assets a wallet holds, with the order their spends take paid and free credit and
-- which credit users may transfer: what a caller needs to know before its first call
-- (GET /assets).
CREATE OR REPLACE FUNCTION public.wallet_assets()
RETURNS TABLE (asset_type_id integer, code text, name text, spend_order text, transfer_policy text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.asset_type_id, t.code, t.name, t.spend_order, t.transfer_policy
    FROM wallet.asset_types t
    ORDER BY t.asset_type_id
$$;

REVOKE ALL ON FUNCTION public.wallet_assets() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_assets() TO wallet_service;

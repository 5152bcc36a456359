-- Operators only (the database owner; not granted to wallet_service): which class of
-- credit an asset's spends take first, 'free_first' (the default) or 'paid_first'.
-- Postings read it under their wallet lock, so each spend follows one order.
CREATE OR REPLACE FUNCTION public.wallet_set_spend_order(p_asset_type_id integer, p_spend_order text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_spend_order IS NULL OR p_spend_order NOT IN ('free_first', 'paid_first') THEN
        RAISE EXCEPTION 'invalid_request: spend order must be free_first or paid_first'
            USING ERRCODE = 'WA002', DETAIL = format('spend_order: %s', coalesce(p_spend_order, 'null'));
    END IF;
    UPDATE wallet.asset_types t SET spend_order = p_spend_order WHERE t.asset_type_id = p_asset_type_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_spend_order(integer, text) FROM PUBLIC;

-- Operators only (the database owner; not granted to wallet_service): which credit of an
-- asset users may give each other: 'none' (the default: transfers are refused),
-- 'free_only' (only free credit moves) or 'all'. Transfers read it before they lock.
CREATE OR REPLACE FUNCTION public.wallet_set_transfer_policy(p_asset_type_id integer, p_policy text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_policy IS NULL OR p_policy NOT IN ('none', 'free_only', 'all') THEN
        RAISE EXCEPTION 'invalid_request: transfer policy must be none, free_only or all'
            USING ERRCODE = 'WA002', DETAIL = format('policy: %s', coalesce(p_policy, 'null'));
    END IF;
    UPDATE wallet.asset_types t SET transfer_policy = p_policy WHERE t.asset_type_id = p_asset_type_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_transfer_policy(integer, text) FROM PUBLIC;

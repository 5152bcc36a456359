-- The user's balance of every asset (zero where nothing was ever posted).
CREATE OR REPLACE FUNCTION public.wallet_balance(p_user_id uuid)
RETURNS TABLE (asset_type_id integer, asset_code text, balance bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    SELECT a.account_id INTO v_account_id FROM wallet.accounts a WHERE a.user_id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account_not_found: no account for user %', coalesce(p_user_id::text, 'null')
            USING ERRCODE = 'WA003';
    END IF;

    RETURN QUERY
    SELECT t.asset_type_id, t.code, coalesce(w.balance, 0)
    FROM wallet.asset_types t
    LEFT JOIN wallet.wallets w ON w.account_id = v_account_id AND w.asset_type_id = t.asset_type_id
    ORDER BY t.asset_type_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_balance(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_balance(uuid) TO wallet_service;

-- Creates the user account with a zero wallet for every asset, and says whether this
-- call created it. Calling it again for the same user returns the same account and
-- changes nothing. wallet_open_account() is the contract's form, returning the id only.
CREATE OR REPLACE FUNCTION public.wallet_open_account_status(p_user_id uuid, p_name text)
RETURNS TABLE (account_id bigint, created boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
#variable_conflict use_column
DECLARE
    v_account_id bigint;
BEGIN
    IF p_user_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: user_id is required' USING ERRCODE = 'WA002';
    END IF;
    IF p_name IS NULL OR length(p_name) NOT BETWEEN 1 AND 200 OR p_name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        RAISE EXCEPTION 'invalid_request: name must be 1 to 200 printable characters'
            USING ERRCODE = 'WA002';
    END IF;

    INSERT INTO wallet.accounts AS a (kind, user_id, name)
    VALUES ('user', p_user_id, p_name)
    ON CONFLICT (user_id) DO NOTHING
    RETURNING a.account_id INTO v_account_id;

    IF v_account_id IS NULL THEN
        SELECT a.account_id INTO STRICT v_account_id FROM wallet.accounts a WHERE a.user_id = p_user_id;
        RETURN QUERY SELECT v_account_id, false;
        RETURN;
    END IF;

    INSERT INTO wallet.wallets (account_id, asset_type_id)
    SELECT v_account_id, t.asset_type_id FROM wallet.asset_types t;
    RETURN QUERY SELECT v_account_id, true;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_open_account_status(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_open_account_status(uuid, text) TO wallet_service;

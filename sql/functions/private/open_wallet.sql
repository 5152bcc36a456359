-- A posting's rare path: the user's wallet for an asset does not exist yet (an asset
-- added after the account was opened), or the user or the asset is unknown, which it
-- reports with the contract's errors.
CREATE OR REPLACE FUNCTION wallet.open_wallet(p_user_id uuid, p_asset_type_id integer) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    v_account_id := wallet.user_account_id(p_user_id);
    PERFORM FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id
            USING ERRCODE = 'WA004';
    END IF;
    -- an account that has made holds marks every wallet it gets (see wallet_hold)
    INSERT INTO wallet.wallets AS w (account_id, asset_type_id, has_holds)
    VALUES (v_account_id, p_asset_type_id, EXISTS (SELECT FROM wallet.holds h WHERE h.account_id = v_account_id))
    ON CONFLICT DO NOTHING;
END
$$;

REVOKE ALL ON FUNCTION wallet.open_wallet(uuid, integer) FROM PUBLIC;

-- Sets limits on an asset's wallets: p_max_balance caps what a wallet may hold (a credit
-- that would take the balance above it is refused, reversals excepted), and
-- p_daily_spend_limit what spends, holds, transfers out and exchanges may take per UTC
-- day. NULL is no limit. Without a user, the asset's limits for everyone: the owner's
-- (others get 42501). With a user (wallet_service may), that user's override on the
-- asset, field by field: a NULL field means the asset's limit applies to it, so both
-- NULL removes the override. Each change is kept with who made it (wallet_limit_changes).
CREATE OR REPLACE FUNCTION public.wallet_set_limits(
    p_asset_type_id     integer,
    p_max_balance       bigint,
    p_daily_spend_limit bigint,
    p_user_id           uuid DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_max_balance < 0 OR p_daily_spend_limit < 0 THEN
        RAISE EXCEPTION 'invalid_request: a limit is 0 or more, or NULL for none'
            USING ERRCODE = 'WA002',
                  DETAIL = format('max_balance: %s, daily_spend_limit: %s', p_max_balance, p_daily_spend_limit);
    END IF;
    IF p_user_id IS NULL THEN
        -- the asset's limits are the operator's: the login must be the schema's owner (or a member)
        IF NOT pg_has_role(session_user, (SELECT n.nspowner FROM pg_namespace n WHERE n.nspname = 'wallet'), 'MEMBER') THEN
            RAISE EXCEPTION 'permission denied: only the owner sets an asset''s limits' USING ERRCODE = '42501';
        END IF;
        UPDATE wallet.asset_types t SET max_balance = p_max_balance, daily_spend_limit = p_daily_spend_limit
        WHERE t.asset_type_id = p_asset_type_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
        END IF;
        PERFORM wallet.compile_asset_limits();  -- what the postings' plans read
    ELSE
        PERFORM wallet.open_wallet(p_user_id, p_asset_type_id);  -- the user and the asset, or their errors
        UPDATE wallet.wallets w SET max_balance = p_max_balance, daily_spend_limit = p_daily_spend_limit
        WHERE w.account_id = wallet.user_account_id(p_user_id) AND w.asset_type_id = p_asset_type_id;
    END IF;
    -- who: the API's named caller or the console's member of staff (wallet.actor), else the login
    INSERT INTO wallet.limit_changes (account_id, asset_type_id, max_balance, daily_spend_limit, changed_by)
    VALUES (CASE WHEN p_user_id IS NOT NULL THEN wallet.user_account_id(p_user_id) END, p_asset_type_id, p_max_balance,
            p_daily_spend_limit, coalesce(nullif(current_setting('wallet.actor', true), ''), session_user));
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_limits(integer, bigint, bigint, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_set_limits(integer, bigint, bigint, uuid) TO wallet_service;

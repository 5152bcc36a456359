-- One user's account: its status with why and when, and per asset the limits in force
-- (the user's override, else the asset's; NULL: none) with what counted against the
-- daily limit today (UTC).
CREATE OR REPLACE FUNCTION public.wallet_account(p_user_id uuid)
RETURNS TABLE (user_id uuid, name text, status text, status_reason text, status_changed_at timestamptz, limits jsonb)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    v_account_id := wallet.user_account_id(p_user_id);
    RETURN QUERY
    SELECT a.user_id, a.name, a.status, a.status_reason, a.status_changed_at,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'asset_type_id', t.asset_type_id, 'asset_code', t.code,
                        'max_balance', coalesce(w.max_balance, t.max_balance),
                        'daily_spend_limit', coalesce(w.daily_spend_limit, t.daily_spend_limit),
                        'spent_today', wallet.spent_today(w.spent_day, w.spent_today, now()))
                        ORDER BY t.asset_type_id)
                     FROM wallet.asset_types t
                     LEFT JOIN wallet.wallets w ON w.account_id = a.account_id AND w.asset_type_id = t.asset_type_id),
                    '[]'::jsonb)
    FROM wallet.accounts a
    WHERE a.account_id = v_account_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_account(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_account(uuid) TO wallet_service;

-- The user's balances per asset as they were at p_at: the credit of each lot after the
-- entries made up to then, less what had expired by then (wallet.lot_credit_at), so a
-- lot past its expires_at is gone at p_at even if wallet_expire() posted it later.
-- Reads only this user's lots, entries and holds (by their account's keys).
CREATE OR REPLACE FUNCTION public.wallet_balance_at(p_user_id uuid, p_at timestamptz)
RETURNS TABLE (asset_type_id integer, asset_code text, balance bigint, paid bigint, free bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    IF p_at IS NULL OR p_at = '-infinity' OR p_at = 'infinity' THEN
        RAISE EXCEPTION 'invalid_request: at must be a point in time'
            USING ERRCODE = 'WA002', DETAIL = format('at: %s', coalesce(p_at::text, 'null'));
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);
    RETURN QUERY
    SELECT t.asset_type_id, t.code, (coalesce(c.paid, 0) + coalesce(c.free, 0))::bigint,
           coalesce(c.paid, 0)::bigint, coalesce(c.free, 0)::bigint
    FROM wallet.asset_types t
    LEFT JOIN (SELECT l.asset_type_id, sum(l.credit) FILTER (WHERE l.class = 'paid') AS paid,
                      sum(l.credit) FILTER (WHERE l.class = 'free') AS free
               FROM wallet.lot_credit_at(p_at) l
               WHERE l.account_id = v_account_id
               GROUP BY l.asset_type_id) c ON c.asset_type_id = t.asset_type_id
    ORDER BY t.asset_type_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_balance_at(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_balance_at(uuid, timestamptz) TO wallet_service;

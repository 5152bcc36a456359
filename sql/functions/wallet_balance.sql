-- The user's balances, per asset: paid and free credit it still has (lots not expired;
-- credit an open hold reserves counts whatever its lot's expiry), balance = paid + free,
-- held (what open holds reserve), available = balance - held, and debt: what refunds
-- under the debt policy left unrecovered and no credit has repaid yet. A hold past its
-- expires_at is released here even before a write or wallet_expire() releases it.
CREATE OR REPLACE FUNCTION public.wallet_balance(p_user_id uuid)
RETURNS TABLE (asset_type_id integer, asset_code text, balance bigint,
               paid bigint, free bigint, held bigint, available bigint, debt bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    v_account_id := wallet.user_account_id(p_user_id);

    RETURN QUERY
    SELECT t.asset_type_id, t.code, v.paid + v.free, v.paid, v.free, v.held, v.paid + v.free - v.held,
           coalesce(w.debt, 0)
    FROM wallet.asset_types t
    LEFT JOIN wallet.wallets w ON w.account_id = v_account_id AND w.asset_type_id = t.asset_type_id
    -- the cache holds expired remainders until wallet_expire() posts them
    LEFT JOIN LATERAL (SELECT * FROM wallet.expired_credit(v_account_id, t.asset_type_id, now())
                       WHERE w.next_expiry <= now()) x ON true
    -- and the holds that have expired until they are released
    LEFT JOIN LATERAL (SELECT * FROM wallet.expired_holds(v_account_id, t.asset_type_id, now())
                       WHERE w.next_hold_expiry <= now()) h ON true
    CROSS JOIN LATERAL (SELECT coalesce(w.paid, 0) - coalesce(x.paid, 0) - coalesce(h.paid, 0) AS paid,
                               coalesce(w.free, 0) - coalesce(x.free, 0) - coalesce(h.free, 0) AS free,
                               coalesce(w.held, 0) - coalesce(h.held, 0) AS held) v
    ORDER BY t.asset_type_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_balance(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_balance(uuid) TO wallet_service;

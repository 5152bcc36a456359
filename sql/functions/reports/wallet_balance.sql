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
    SELECT t.asset_type_id, t.code, coalesce(v.balance, 0), coalesce(v.paid, 0), coalesce(v.free, 0),
           coalesce(v.held, 0), coalesce(v.available, 0), coalesce(v.debt, 0)
    FROM wallet.asset_types t
    LEFT JOIN LATERAL wallet.wallet_view(v_account_id, t.asset_type_id, now()) v ON true
    ORDER BY t.asset_type_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_balance(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_balance(uuid) TO wallet_service;

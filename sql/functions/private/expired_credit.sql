-- The credit of a wallet whose lots had expired by p_at and that wallet_expire() has not
-- posted yet, by class: what the cached balance holds and callers no longer see. One
-- definition for the writers, wallet_balance, wallet_expire and wallet_verify. A plain
-- SQL function, so the planner inlines it and probes lots_spend_order once per class.
CREATE OR REPLACE FUNCTION wallet.expired_credit(p_account_id bigint, p_asset_type_id integer, p_at timestamptz)
RETURNS TABLE (paid bigint, free bigint)
LANGUAGE sql
STABLE
AS $$
    SELECT coalesce(sum(l.remaining) FILTER (WHERE l.class = 'paid'), 0)::bigint,
           coalesce(sum(l.remaining) FILTER (WHERE l.class = 'free'), 0)::bigint
    FROM wallet.lots l
    WHERE l.account_id = p_account_id AND l.asset_type_id = p_asset_type_id
      AND l.class IN ('paid', 'free') AND l.open
      AND coalesce(l.expires_at, 'infinity') <= p_at
$$;

REVOKE ALL ON FUNCTION wallet.expired_credit(bigint, integer, timestamptz) FROM PUBLIC;

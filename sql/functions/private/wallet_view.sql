-- A wallet as its user sees it at p_at: the cache less the remainders of lots expired by
-- then and not yet swept, and less what holds past their expires_at but not yet released
-- still count (their amount in held; their credit of lots that also expired). One
-- definition for wallet_balance and the wallet state events carry. A plain SQL
-- function, so the planner inlines it; the two corrections are read only when the
-- wallet row says one may apply (OFFSET 0 keeps each a subquery of its own, whose test
-- of the wallet row gates it: pulled up, the test became a filter applied after the
-- lots were read, every lot the account ever had).
CREATE OR REPLACE FUNCTION wallet.wallet_view(p_account_id bigint, p_asset_type_id integer, p_at timestamptz)
RETURNS TABLE (balance bigint, paid bigint, free bigint, held bigint, available bigint, debt bigint)
LANGUAGE sql
STABLE
AS $$
    SELECT v.paid + v.free, v.paid, v.free, v.held, v.paid + v.free - v.held, w.debt
    FROM wallet.wallets w
    LEFT JOIN LATERAL (SELECT * FROM wallet.expired_credit(w.account_id, w.asset_type_id, p_at)
                       WHERE w.next_expiry <= p_at OFFSET 0) x ON true
    LEFT JOIN LATERAL (SELECT * FROM wallet.expired_holds(w.account_id, w.asset_type_id, p_at)
                       WHERE w.next_hold_expiry <= p_at OFFSET 0) h ON true
    CROSS JOIN LATERAL (SELECT w.paid - coalesce(x.paid, 0) - coalesce(h.paid, 0) AS paid,
                               w.free - coalesce(x.free, 0) - coalesce(h.free, 0) AS free,
                               w.held - coalesce(h.held, 0) AS held) v
    WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id
$$;

REVOKE ALL ON FUNCTION wallet.wallet_view(bigint, integer, timestamptz) FROM PUBLIC;

-- What the platform owes its users at p_at, per asset: the unspent paid and free credit
-- of every user (expired credit excluded, reserved credit included), their debt, and how
-- many wallets hold paid credit: the figures a prepaid-instrument report needs (e.g. on
-- March 31 and September 30). At the present or later it reads the wallet rows (as
-- wallet_balance would, with expiries due by p_at taken off); for a past p_at it
-- rebuilds every lot from the ledger (wallet.lot_credit_at), a scan of all entries:
-- a report to run off-peak, not a hot-path call. The sums are numeric: each wallet fits
-- a bigint, their sum need not.
CREATE OR REPLACE FUNCTION public.wallet_outstanding(p_at timestamptz DEFAULT now())
RETURNS TABLE (asset_type_id integer, asset_code text, paid numeric, free numeric, debt numeric, paid_wallets bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off  -- compiling costs more than it saves on these sums
AS $$
BEGIN
    IF p_at IS NULL OR p_at = '-infinity' OR p_at = 'infinity' THEN
        RAISE EXCEPTION 'invalid_request: at must be a point in time'
            USING ERRCODE = 'WA002', DETAIL = format('at: %s', coalesce(p_at::text, 'null'));
    END IF;
    IF p_at >= now() THEN
        RETURN QUERY
        SELECT t.asset_type_id, t.code, coalesce(sum(v.paid), 0), coalesce(sum(v.free), 0),
               coalesce(sum(v.debt), 0), count(*) FILTER (WHERE v.paid > 0)
        FROM wallet.asset_types t
        LEFT JOIN wallet.wallets w ON w.asset_type_id = t.asset_type_id
        LEFT JOIN LATERAL wallet.wallet_view(w.account_id, w.asset_type_id, p_at) v ON true
        GROUP BY t.asset_type_id, t.code
        ORDER BY t.asset_type_id;
        RETURN;
    END IF;
    RETURN QUERY
    WITH wallets_at AS (
        SELECT l.account_id, l.asset_type_id,
               sum(l.credit) FILTER (WHERE l.class = 'paid') AS paid,
               sum(l.credit) FILTER (WHERE l.class = 'free') AS free
        FROM wallet.lot_credit_at(p_at) l
        GROUP BY l.account_id, l.asset_type_id
    ), debt_at AS (
        -- what refunds under the debt policy left, less what repayments paid back
        SELECT e.asset_type_id,
               sum(CASE WHEN e.kind = 'refund' THEN e.unrecovered ELSE -e.amount END) AS debt
        FROM wallet.ledger_entries e
        WHERE e.created_at <= p_at
          AND ((e.kind = 'refund' AND e.refund_policy = 'debt') OR e.kind = 'debt_repayment')
        GROUP BY e.asset_type_id
    )
    SELECT t.asset_type_id, t.code,
           coalesce((SELECT sum(w.paid) FROM wallets_at w WHERE w.asset_type_id = t.asset_type_id), 0),
           coalesce((SELECT sum(w.free) FROM wallets_at w WHERE w.asset_type_id = t.asset_type_id), 0),
           coalesce((SELECT d.debt FROM debt_at d WHERE d.asset_type_id = t.asset_type_id), 0),
           (SELECT count(*) FROM wallets_at w WHERE w.asset_type_id = t.asset_type_id AND w.paid > 0)
    FROM wallet.asset_types t
    ORDER BY t.asset_type_id;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_outstanding(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_outstanding(timestamptz) TO wallet_service;

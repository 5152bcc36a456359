-- Each lot's credit as its user saw it at p_at, from the ledger alone: what its credit
-- made, less what entries up to p_at took from it (spends, refunds, expiries, debt
-- repayments), plus what reversals up to p_at gave back. A lot expired by p_at counts
-- only what holds open at p_at reserved from it (reserved credit counts whatever its
-- lot's expiry). One definition for wallet_balance_at (one account: the planner pushes
-- the account into every part) and wallet_outstanding (all). A plain SQL function, so
-- that it is inlined.
CREATE OR REPLACE FUNCTION wallet.lot_credit_at(p_at timestamptz)
RETURNS TABLE (account_id bigint, asset_type_id integer, lot_id bigint, class text, credit bigint)
LANGUAGE sql
STABLE
AS $$
    SELECT l.account_id, l.asset_type_id, l.lot_id, l.class,
           CASE WHEN coalesce(l.expires_at, 'infinity') > p_at THEN c.credit
                ELSE least(c.credit, coalesce(r.reserved, 0)) END
    FROM wallet.lots l
    LEFT JOIN (SELECT e.account_id, t.lot_id,
                      sum(CASE e.kind WHEN 'reversal' THEN -t.amount ELSE t.amount END) AS taken
               FROM wallet.ledger_entries e
               CROSS JOIN LATERAL unnest(e.lot_ids, e.lot_amounts) AS t (lot_id, amount)
               WHERE e.lot_ids IS NOT NULL AND e.created_at <= p_at
               GROUP BY e.account_id, t.lot_id) m ON m.account_id = l.account_id AND m.lot_id = l.lot_id
    LEFT JOIN (SELECT h.account_id, r.lot_id, sum(r.amount) AS reserved
               FROM wallet.holds h
               CROSS JOIN LATERAL unnest(h.lot_ids, h.lot_amounts) AS r (lot_id, amount)
               WHERE h.created_at <= p_at AND h.expires_at > p_at AND coalesce(h.closed_at, 'infinity') > p_at
               GROUP BY h.account_id, r.lot_id) r ON r.account_id = l.account_id AND r.lot_id = l.lot_id
    CROSS JOIN LATERAL (SELECT (l.amount - coalesce(m.taken, 0))::bigint AS credit) c
    WHERE l.created_at <= p_at
$$;

REVOKE ALL ON FUNCTION wallet.lot_credit_at(timestamptz) FROM PUBLIC;

-- What a wallet's holds that reached expires_at by p_at, but that no write or
-- wallet_expire() has released yet, still count in the cache: their amount (in held)
-- and, by class, the part reserved from lots that had expired by p_at (in paid and
-- free, though it is gone the moment the hold ends). Reads subtract these, so a hold
-- counts as released from its expires_at on. A plain SQL function, inlined.
CREATE OR REPLACE FUNCTION wallet.expired_holds(p_account_id bigint, p_asset_type_id integer, p_at timestamptz)
RETURNS TABLE (held bigint, paid bigint, free bigint)
LANGUAGE sql
STABLE
AS $$
    SELECT coalesce(sum(h.amount), 0)::bigint,
           coalesce(sum(r.lost_paid), 0)::bigint,
           coalesce(sum(r.lost_free), 0)::bigint
    FROM wallet.holds h
    CROSS JOIN LATERAL (
        SELECT sum(c.amount) FILTER (WHERE l.class = 'paid') AS lost_paid,
               sum(c.amount) FILTER (WHERE l.class = 'free') AS lost_free
        FROM unnest(h.lot_ids, h.lot_amounts) AS c (lot_id, amount)
        CROSS JOIN LATERAL (  -- each lot by its key (OFFSET 0: not a join over the account's every lot)
            SELECT l.class, l.expires_at FROM wallet.lots l
            WHERE l.account_id = h.account_id AND l.lot_id = c.lot_id OFFSET 0) l
        WHERE l.expires_at <= p_at) r
    WHERE h.account_id = p_account_id AND h.asset_type_id = p_asset_type_id
      AND h.state = 'open' AND h.expires_at <= p_at
$$;

REVOKE ALL ON FUNCTION wallet.expired_holds(bigint, integer, timestamptz) FROM PUBLIC;

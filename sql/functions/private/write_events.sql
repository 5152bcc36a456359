-- Writes the events of one call on one wallet, at its end: one per entry the call made
-- (those after p_since_entry_id, in entry order: `entry.<kind>`, amount signed from the
-- user's side), then `hold.expired` for each hold it released as expired
-- (p_expired_holds, in that order), then `hold.<p_hold_event>` for the hold the call
-- itself opened, captured or voided (p_hold_id), each with the wallet as the call left
-- it. Their feed positions are given at commit (migration 013). The caller holds the
-- wallet lock.
CREATE OR REPLACE FUNCTION wallet.write_events(
    p_account_id      bigint,
    p_asset_type_id   integer,
    p_since_entry_id  bigint,
    p_expired_holds   bigint[] DEFAULT '{}',
    p_hold_id         bigint DEFAULT NULL,
    p_hold_event      text DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql  -- not sql: a SQL function that is not inlined is planned again on every call
AS $$
BEGIN
    INSERT INTO wallet.events AS ev
        (account_id, type, asset_type_id, entry_id, hold_id, amount, balance, available, paid, free, held,
         idempotency_key, metadata)
    SELECT p_account_id, x.type, p_asset_type_id, x.entry_id, x.hold_id, x.amount,
           v.balance, v.available, v.paid, v.free, v.held, x.idempotency_key, x.metadata
    FROM wallet.wallet_view(p_account_id, p_asset_type_id, now()) v
    CROSS JOIN LATERAL (
        SELECT 1 AS part, e.entry_id AS ord, 'entry.' || e.kind AS type, e.entry_id, e.hold_id,
               CASE WHEN e.credit_account_id = e.account_id THEN e.amount ELSE -e.amount END AS amount,
               e.idempotency_key, e.metadata
        FROM wallet.ledger_entries e
        WHERE e.account_id = p_account_id AND e.entry_id > p_since_entry_id AND e.asset_type_id = p_asset_type_id
        UNION ALL
        SELECT 2, c.n, 'hold.' || c.type, CASE c.type WHEN 'captured' THEN h.capture_entry_id END, h.hold_id,
               CASE c.type WHEN 'captured' THEN h.captured_amount ELSE h.amount END, h.idempotency_key, h.metadata
        FROM (SELECT x.hold_id, 'expired' AS type, x.n
              FROM unnest(p_expired_holds) WITH ORDINALITY AS x (hold_id, n)
              UNION ALL
              SELECT p_hold_id, p_hold_event, cardinality(p_expired_holds) + 1
              WHERE p_hold_id IS NOT NULL) c
        JOIN wallet.holds h ON h.account_id = p_account_id AND h.hold_id = c.hold_id
    ) x
    ORDER BY x.part, x.ord;
END
$$;

REVOKE ALL ON FUNCTION wallet.write_events(bigint, integer, bigint, bigint[], bigint, text) FROM PUBLIC;

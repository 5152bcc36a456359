-- Ends a hold's reservation (a void, an expired hold, a capture): takes p_held, the
-- hold's amount, off the wallet's held, and puts the credit p_lots and p_amounts name
-- (all of it, or a capture's unused rest) back where it came from: into each lot that
-- has not expired, where it is spendable again; for a lot that expired while the hold
-- was open, the credit expires now, as an expire entry of its own (so a lot may expire
-- more than once). What a hold counted against the day's spend limit and releases the
-- same day goes back to the allowance. The caller holds the wallet lock; released credit
-- never repays debt. Returns how much expired.
CREATE OR REPLACE FUNCTION wallet.release_held_credit(
    p_account_id    bigint,
    p_asset_type_id integer,
    p_hold_id       bigint,
    p_held          bigint,
    p_lots          bigint[],
    p_amounts       bigint[],
    p_now           timestamptz
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_lot         record;
    v_view        bigint;   -- the caller's balance as the expiries are posted
    v_lost        bigint := 0::bigint;
    v_next_expiry timestamptz;
    v_hash        bytea;  -- the expiry's, the wallet's new chain head
BEGIN
    -- first, so that held stays within the balance as the expiries below lower it; what a
    -- hold counted against today's limit and releases today goes back to the allowance
    UPDATE wallet.wallets w
    SET held = w.held - p_held,
        spent_today = CASE WHEN h.counted_on = wallet.utc_day(p_now) AND w.spent_day = h.counted_on
                           THEN greatest(w.spent_today - (SELECT coalesce(sum(a), 0) FROM unnest(p_amounts) a), 0)::bigint
                           ELSE w.spent_today END
    FROM wallet.holds h
    WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id
      AND h.account_id = p_account_id AND h.hold_id = p_hold_id;
    FOR v_lot IN
        SELECT r.lot_id, r.amount, l.class, l.expires_at
        FROM unnest(p_lots, p_amounts) WITH ORDINALITY AS r (lot_id, amount, seq)
        CROSS JOIN LATERAL (  -- each lot by its key (OFFSET 0: not a join over the account's every lot)
            SELECT l.class, l.expires_at FROM wallet.lots l
            WHERE l.account_id = p_account_id AND l.lot_id = r.lot_id OFFSET 0) l
        WHERE r.amount > 0
        ORDER BY r.seq
    LOOP
        IF coalesce(v_lot.expires_at, 'infinity') > p_now THEN
            UPDATE wallet.lots l SET remaining = l.remaining + v_lot.amount
            WHERE l.account_id = p_account_id AND l.lot_id = v_lot.lot_id;
            v_next_expiry := least(v_next_expiry, v_lot.expires_at);
            CONTINUE;
        END IF;
        IF v_view IS NULL THEN
            SELECT w.balance - x.paid - x.free INTO v_view
            FROM wallet.wallets w
            CROSS JOIN LATERAL wallet.expired_credit(p_account_id, p_asset_type_id, p_now) x
            WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
        END IF;
        v_view := v_view - v_lot.amount;
        v_lost := v_lost + v_lot.amount;
        INSERT INTO wallet.ledger_entries AS e
            (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
             idempotency_key, metadata, paid_amount, free_amount, lot_ids, lot_amounts)
        SELECT p_account_id, p_asset_type_id, 'expire', p_account_id, wallet.treasury_account_id(), v_lot.amount, v_view,
               NULL, jsonb_build_object('lot_id', v_lot.lot_id, 'hold_id', p_hold_id),
               CASE v_lot.class WHEN 'paid' THEN v_lot.amount ELSE 0 END,
               CASE v_lot.class WHEN 'free' THEN v_lot.amount ELSE 0 END,
               ARRAY[v_lot.lot_id], ARRAY[v_lot.amount]
        RETURNING e.hash INTO v_hash;
        UPDATE wallet.wallets w
        SET balance = w.balance - v_lot.amount, chain_head = v_hash,
            paid = w.paid - CASE v_lot.class WHEN 'paid' THEN v_lot.amount ELSE 0 END,
            free = w.free - CASE v_lot.class WHEN 'free' THEN v_lot.amount ELSE 0 END
        WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
    END LOOP;
    IF v_next_expiry IS NOT NULL THEN  -- a lot given credit again may expire before the wallet's next_expiry
        UPDATE wallet.wallets w SET next_expiry = least(w.next_expiry, v_next_expiry)
        WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
    END IF;
    RETURN v_lost;
END
$$;

REVOKE ALL ON FUNCTION wallet.release_held_credit(bigint, integer, bigint, bigint, bigint[], bigint[], timestamptz) FROM PUBLIC;

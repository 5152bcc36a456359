-- Repays the wallet's debt from credit a call has just made (a top-up's or bonus's new
-- lot, the unexpired lots a reversal gave back to), before any of it becomes spendable:
-- one debt_repayment entry (user -> Treasury) linked to that credit, posted in the
-- same transaction under the wallet lock the caller holds. p_lots and p_amounts are the
-- credit's lots and what it put in each, in the order to take from. Returns the
-- caller's balance after the repayment.
CREATE OR REPLACE FUNCTION wallet.repay_debt(
    p_account_id     bigint,
    p_asset_type_id  integer,
    p_credit_entry_id bigint,
    p_lots           bigint[],
    p_amounts        bigint[],
    p_debt           bigint,
    p_balance        bigint   -- the caller's balance after the credit
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_left  bigint := p_debt;
    v_take  bigint;
    v_lot   record;
    v_lot_ids  bigint[] := '{}'::bigint[];
    v_lot_amounts bigint[] := '{}'::bigint[];
    v_paid  bigint := 0::bigint;
    v_free  bigint := 0::bigint;
    v_total bigint;
    v_hash  bytea;  -- the repayment's, the wallet's new chain head
BEGIN
    FOR v_lot IN
        SELECT c.lot_id, c.amount, l.class
        FROM unnest(p_lots, p_amounts) WITH ORDINALITY AS c (lot_id, amount, seq)
        JOIN wallet.lots l ON l.account_id = p_account_id AND l.lot_id = c.lot_id
        ORDER BY c.seq
    LOOP
        EXIT WHEN v_left = 0;
        v_take := least(v_left, v_lot.amount);
        CONTINUE WHEN v_take <= 0;
        v_lot_ids := v_lot_ids || v_lot.lot_id;
        v_lot_amounts := v_lot_amounts || v_take;
        IF v_lot.class = 'paid' THEN v_paid := v_paid + v_take; ELSE v_free := v_free + v_take; END IF;
        v_left := v_left - v_take;
    END LOOP;
    v_total := v_paid + v_free;
    IF v_total = 0 THEN
        RETURN p_balance;
    END IF;

    INSERT INTO wallet.ledger_entries AS e
        (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
         idempotency_key, metadata, paid_amount, free_amount, original_entry_id, lot_ids, lot_amounts)
    SELECT p_account_id, p_asset_type_id, 'debt_repayment', p_account_id, wallet.treasury_account_id(), v_total,
           p_balance - v_total, NULL, '{}', v_paid, v_free, p_credit_entry_id, v_lot_ids, v_lot_amounts
    RETURNING e.hash INTO v_hash;
    UPDATE wallet.lots l SET remaining = l.remaining - v_lot_amounts[array_position(v_lot_ids, l.lot_id)]
    -- l.open: read the account's open lots, not every lot it ever had
    WHERE l.account_id = p_account_id AND l.open AND l.lot_id = ANY (v_lot_ids);
    UPDATE wallet.wallets w
    SET balance = w.balance - v_total, paid = w.paid - v_paid, free = w.free - v_free, debt = w.debt - v_total,
        chain_head = v_hash
    WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
    RETURN p_balance - v_total;
END
$$;

REVOKE ALL ON FUNCTION wallet.repay_debt(bigint, integer, bigint, bigint[], bigint[], bigint, bigint) FROM PUBLIC;

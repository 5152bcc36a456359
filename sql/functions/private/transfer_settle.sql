-- A transfer between shards, step 3, on the sender's shard: records the recipient's
-- answer. Received: 'delivered', with the recipient's entry and balance (what a replay
-- answers). Refused: 'undone', the amount and the fee given back to the very lots they
-- were taken from by two reversals (Transit -> user, Treasury -> user), what they
-- counted toward today's spending given back too; a replay then raises the refusal.
-- Idempotent: settling again the same way answers the state; the other way is an error.
-- Answers the transfer's state.
CREATE OR REPLACE FUNCTION wallet.transfer_settle(
    p_from_user_id    uuid,
    p_transfer_id     uuid,
    p_to_entry_id     bigint,
    p_to_balance      bigint,
    p_refusal_code    text,
    p_refusal_message text
) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_now       timestamptz := now();
    v_transfer  wallet.shard_transfers;
    v_wallet    wallet.wallets;
    v_opening   wallet.opening;
    v_since     bigint;
    v_released  bigint[] := '{}'::bigint[];
    v_expired   bigint := 0::bigint;
    v_view      bigint;
    v_taken     record;
    v_lost      bigint;
    v_expiry    timestamptz;
    v_entry_id  bigint;
    v_hash      bytea;
    v_live_ids  bigint[] := '{}'::bigint[];  -- the unexpired lots given back to, which can repay debt
    v_live_amounts bigint[] := '{}'::bigint[];
    v_day       date;
BEGIN
    SELECT t.* INTO v_transfer FROM wallet.shard_transfers t
    WHERE t.transfer_id = p_transfer_id AND t.side = 'out' AND t.from_user_id = p_from_user_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no transfer % sent by user %', p_transfer_id, p_from_user_id USING ERRCODE = 'XX000';
    END IF;
    IF v_transfer.state <> 'sent' THEN
        IF (v_transfer.state = 'delivered') = (p_refusal_code IS NULL) THEN
            RETURN v_transfer.state;
        END IF;
        RAISE EXCEPTION 'transfer % is % already', p_transfer_id, v_transfer.state USING ERRCODE = 'XX000';
    END IF;
    IF p_refusal_code IS NULL THEN
        IF p_to_entry_id IS NULL THEN
            RAISE EXCEPTION 'transfer %: a delivery names the recipient''s entry', p_transfer_id USING ERRCODE = 'XX000';
        END IF;
        UPDATE wallet.shard_transfers t
        SET state = 'delivered', in_entry_id = p_to_entry_id, in_balance = p_to_balance, settled_at = v_now
        WHERE t.transfer_id = p_transfer_id AND t.side = 'out';
        RETURN 'delivered';
    END IF;

    -- undone: the amount and the fee go back where they came from
    SELECT w.* INTO v_wallet FROM wallet.wallets w
    WHERE w.account_id = v_transfer.account_id AND w.asset_type_id = v_transfer.asset_type_id
    FOR UPDATE;
    IF v_wallet.next_hold_expiry <= v_now THEN  -- expired holds keep nothing from these entries
        v_opening := wallet.release_due_holds(v_transfer.account_id, v_transfer.asset_type_id, v_now);
        v_since := v_opening.since; v_released := v_opening.released; v_wallet := v_opening.wallet;
    ELSE
        SELECT coalesce(max(e.entry_id), 0) INTO v_since
        FROM wallet.ledger_entries e WHERE e.account_id = v_transfer.account_id;
    END IF;
    IF v_wallet.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_expired
        FROM wallet.expired_credit(v_transfer.account_id, v_transfer.asset_type_id, v_now) x;
    END IF;
    v_view := v_wallet.balance - v_expired;
    FOR v_taken IN
        SELECT e.entry_id, e.kind, e.amount, e.paid_amount, e.free_amount, e.lot_ids, e.lot_amounts, e.created_at
        FROM wallet.ledger_entries e
        WHERE e.account_id = v_transfer.account_id
          AND (e.entry_id = v_transfer.out_entry_id
               OR e.entry_id > v_transfer.out_entry_id AND e.original_entry_id = v_transfer.out_entry_id
                  AND e.kind = 'fee')
        ORDER BY e.entry_id
    LOOP
        -- credit given back to a lot that has expired meanwhile is no one's: the next
        -- wallet_expire() posts it (as wallet_reverse_spend does)
        SELECT coalesce(sum(t.amount) FILTER (WHERE l.expires_at <= v_now), 0)::bigint, min(l.expires_at),
               v_live_ids || coalesce(array_agg(t.lot_id ORDER BY t.n) FILTER (WHERE NOT l.expires_at <= v_now
                                                                               OR l.expires_at IS NULL), '{}'),
               v_live_amounts || coalesce(array_agg(t.amount ORDER BY t.n) FILTER (WHERE NOT l.expires_at <= v_now
                                                                                   OR l.expires_at IS NULL), '{}')
        INTO v_lost, v_expiry, v_live_ids, v_live_amounts
        FROM unnest(v_taken.lot_ids, v_taken.lot_amounts) WITH ORDINALITY AS t (lot_id, amount, n)
        JOIN wallet.lots l ON l.account_id = v_transfer.account_id AND l.lot_id = t.lot_id;
        v_view := v_view + v_taken.amount - v_lost;
        INSERT INTO wallet.ledger_entries AS e
            (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
             idempotency_key, paid_amount, free_amount, original_entry_id, lot_ids, lot_amounts)
        VALUES (v_transfer.account_id, v_transfer.asset_type_id, 'reversal',
                CASE v_taken.kind WHEN 'fee' THEN wallet.treasury_account_id() ELSE wallet.transit_account_id() END,
                v_transfer.account_id, v_taken.amount, v_view,
                'transfer-undone:' || p_transfer_id || CASE v_taken.kind WHEN 'fee' THEN ':fee' ELSE '' END,
                v_taken.paid_amount, v_taken.free_amount, v_taken.entry_id, v_taken.lot_ids, v_taken.lot_amounts)
        RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;
        UPDATE wallet.lots l
        SET remaining = l.remaining + v_taken.lot_amounts[array_position(v_taken.lot_ids, l.lot_id)]
        WHERE l.account_id = v_transfer.account_id AND l.lot_id = ANY (v_taken.lot_ids);
        UPDATE wallet.wallets w
        SET balance = w.balance + v_taken.amount, paid = w.paid + v_taken.paid_amount,
            free = w.free + v_taken.free_amount, next_expiry = least(w.next_expiry, v_expiry), chain_head = v_hash
        WHERE w.account_id = v_transfer.account_id AND w.asset_type_id = v_transfer.asset_type_id;
        v_day := wallet.utc_day(v_taken.created_at);
    END LOOP;
    -- what the transfer counted toward the day's spending, if that day is still counting
    UPDATE wallet.wallets w
    SET spent_today = greatest(w.spent_today - v_transfer.amount - v_transfer.fee, 0)
    WHERE w.account_id = v_transfer.account_id AND w.asset_type_id = v_transfer.asset_type_id AND w.spent_day = v_day;
    IF v_wallet.debt > 0 THEN  -- credit given back into unexpired lots repays debt first
        v_view := wallet.repay_debt(v_transfer.account_id, v_transfer.asset_type_id, v_entry_id, v_live_ids,
                                    v_live_amounts, v_wallet.debt, v_view);
    END IF;
    UPDATE wallet.shard_transfers t
    SET state = 'undone', refusal_code = p_refusal_code, refusal_message = p_refusal_message, settled_at = v_now
    WHERE t.transfer_id = p_transfer_id AND t.side = 'out';
    PERFORM wallet.write_events(v_transfer.account_id, v_transfer.asset_type_id, v_since, v_released);
    RETURN 'undone';
END
$$;

REVOKE ALL ON FUNCTION wallet.transfer_settle(uuid, uuid, bigint, bigint, text, text) FROM PUBLIC;

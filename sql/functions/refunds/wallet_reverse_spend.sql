-- Treasury -> user: gives back p_amount of the user's spend whose key was p_spend_key
-- (the item could not be delivered), into the lots the spend took it from, most recently
-- taken first; partial reversals add up to at most the spend. Credit given back to a lot
-- that has expired meanwhile is not the caller's: no balance counts it, and the next
-- wallet_expire() posts it. Idempotent by its own key like every write.
CREATE OR REPLACE FUNCTION public.wallet_reverse_spend(
    p_user_id         uuid,
    p_spend_key       text,
    p_amount          bigint,
    p_idempotency_key text,
    p_metadata        jsonb DEFAULT '{}'
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- custom plans, chosen once the tables grew, were made anew per call
AS $$
#variable_conflict use_column
DECLARE
    v_now         timestamptz := now();
    v_account_id  bigint;
    v_spend       record;
    v_wallet      record;
    v_prior       record;
    v_expired     bigint := 0::bigint;  -- expired remainders not yet posted by wallet_expire()
    v_view        bigint;               -- the caller's balance before this entry
    v_reversed    bigint;
    v_left        bigint;
    v_give        bigint;
    v_lot         record;
    v_lot_ids        bigint[] := '{}'::bigint[];  -- the lots given back to, in order
    v_lot_amounts       bigint[] := '{}'::bigint[];  -- and how much to each
    v_paid        bigint := 0::bigint;
    v_free        bigint := 0::bigint;
    v_lost        bigint := 0::bigint;  -- given back into lots that have expired
    v_next_expiry timestamptz;
    v_entry_id    bigint;
    v_since       bigint;  -- the account's newest entry before this call
    v_released    bigint[] := '{}'::bigint[];  -- holds this call released (expired)
    v_opening     wallet.opening;
    v_live_lot_ids   bigint[] := '{}'::bigint[];  -- the unexpired lots given back to
    v_live_lot_amounts  bigint[] := '{}'::bigint[];
BEGIN
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    IF p_spend_key IS NULL THEN
        RAISE EXCEPTION 'invalid_request: spend_key is required' USING ERRCODE = 'WA002';
    END IF;

    v_account_id := wallet.user_account_id(p_user_id);
    -- entries never change: the spend can be read before its wallet is locked
    SELECT e.entry_id, e.asset_type_id, e.amount, e.lot_ids, e.lot_amounts INTO v_spend
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.idempotency_key = p_spend_key AND e.kind = 'spend';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'original_not_found: no spend with key % for this user', p_spend_key
            USING ERRCODE = 'WA007';
    END IF;

    SELECT w.balance, w.debt, w.next_expiry, w.next_hold_expiry, w.has_holds, w.account_status INTO v_wallet
    FROM wallet.wallets w
    WHERE w.account_id = v_account_id AND w.asset_type_id = v_spend.asset_type_id
    FOR UPDATE;

    -- under the lock, a repeated call finds the first one's entry
    SELECT e.entry_id, e.kind, e.amount, e.original_entry_id, e.balance_after, e.paid_amount, e.free_amount
    INTO v_prior
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        IF (v_prior.kind, v_prior.amount, v_prior.original_entry_id)
           IS DISTINCT FROM ('reversal', p_amount, v_spend.entry_id) THEN
            PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
        END IF;
        -- a reversal that repaid debt answered the balance after the repayment
        RETURN QUERY SELECT v_prior.entry_id,
                            wallet.answered_balance(v_account_id, v_prior.entry_id, v_prior.balance_after), true,
                            v_prior.paid_amount, v_prior.free_amount;
        RETURN;
    END IF;

    IF v_wallet.account_status IN ('closed', 'erased') THEN
        PERFORM wallet.refuse_inactive_account(v_wallet.account_status, 'credits');
    END IF;
    IF v_wallet.next_hold_expiry <= v_now THEN  -- expired holds keep nothing from this entry
        v_opening := wallet.release_due_holds(v_account_id, v_spend.asset_type_id, v_now);
        v_since := v_opening.since; v_released := v_opening.released; v_wallet := v_opening.wallet;
    ELSE
        SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = v_account_id;
    END IF;

    -- reversals of this spend come after it: a range of the user's entries, no index of their own
    SELECT coalesce(sum(e.amount), 0)::bigint INTO v_reversed
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.entry_id > v_spend.entry_id
      AND e.original_entry_id = v_spend.entry_id AND e.kind = 'reversal';
    IF v_reversed + p_amount > v_spend.amount THEN
        RAISE EXCEPTION 'exceeds_original: reversals of spend % would add up to more than it', p_spend_key
            USING ERRCODE = 'WA008',
                  DETAIL = format('spend: %s, reversed: %s, amount: %s', v_spend.amount, v_reversed, p_amount);
    END IF;

    -- most recently taken first: the spend's lot amounts from the last, less what earlier
    -- reversals gave back to each lot
    v_left := p_amount;
    FOR v_lot IN
        SELECT t.lot_id, t.amount - coalesce(r.given, 0) AS reversible, l.class, l.expires_at
        FROM unnest(v_spend.lot_ids, v_spend.lot_amounts) WITH ORDINALITY AS t (lot_id, amount, seq)
        JOIN wallet.lots l ON l.account_id = v_account_id AND l.lot_id = t.lot_id
        LEFT JOIN (SELECT g.lot_id, sum(g.amount)::bigint AS given
                   FROM wallet.ledger_entries e
                   CROSS JOIN LATERAL unnest(e.lot_ids, e.lot_amounts) AS g (lot_id, amount)
                   WHERE e.account_id = v_account_id AND e.entry_id > v_spend.entry_id
                     AND e.original_entry_id = v_spend.entry_id AND e.kind = 'reversal'
                   GROUP BY g.lot_id) r ON r.lot_id = t.lot_id
        ORDER BY t.seq DESC
    LOOP
        CONTINUE WHEN v_lot.reversible <= 0;
        v_give := least(v_left, v_lot.reversible);
        v_lot_ids := v_lot_ids || v_lot.lot_id;
        v_lot_amounts := v_lot_amounts || v_give;
        IF v_lot.class = 'paid' THEN v_paid := v_paid + v_give; ELSE v_free := v_free + v_give; END IF;
        IF v_lot.expires_at <= v_now THEN
            v_lost := v_lost + v_give;
        ELSE  -- what can repay debt
            v_live_lot_ids := v_live_lot_ids || v_lot.lot_id;
            v_live_lot_amounts := v_live_lot_amounts || v_give;
        END IF;
        v_next_expiry := least(v_next_expiry, v_lot.expires_at);
        v_left := v_left - v_give;
        EXIT WHEN v_left = 0;
    END LOOP;
    IF v_left > 0 THEN  -- the spend's lot amounts say less than it: never post on it
        RAISE EXCEPTION 'spend % records less than its amount', v_spend.entry_id
            USING ERRCODE = 'XX000', HINT = 'Run wallet_verify().';
    END IF;

    IF v_wallet.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_expired
        FROM wallet.expired_credit(v_account_id, v_spend.asset_type_id, v_now) x;
    END IF;
    v_view := v_wallet.balance - v_expired + p_amount - v_lost;

    WITH entry AS (
        INSERT INTO wallet.ledger_entries AS e
            (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
             idempotency_key, metadata, paid_amount, free_amount, original_entry_id, lot_ids, lot_amounts)
        SELECT v_account_id, v_spend.asset_type_id, 'reversal', wallet.treasury_account_id(), v_account_id, p_amount, v_view,
               p_idempotency_key, p_metadata, v_paid, v_free, v_spend.entry_id, v_lot_ids, v_lot_amounts
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id, e.hash
    ), given AS (
        UPDATE wallet.lots l SET remaining = l.remaining + v_lot_amounts[array_position(v_lot_ids, l.lot_id)]
        WHERE l.account_id = v_account_id AND l.lot_id = ANY (v_lot_ids)
          AND EXISTS (SELECT FROM entry)
    ), cached AS (
        UPDATE wallet.wallets w
        SET balance = w.balance + p_amount, paid = w.paid + v_paid, free = w.free + v_free,
            next_expiry = least(w.next_expiry, v_next_expiry), chain_head = (SELECT entry.hash FROM entry)
        WHERE w.account_id = v_account_id AND w.asset_type_id = v_spend.asset_type_id
          AND EXISTS (SELECT FROM entry)
    )
    SELECT entry.entry_id INTO v_entry_id FROM entry;
    IF v_wallet.has_holds THEN  -- the key the entry claimed may be one of the account's holds'
        PERFORM wallet.refuse_hold_key(v_account_id, p_idempotency_key);
    END IF;

    IF v_entry_id IS NULL THEN  -- the key was taken meanwhile, on another of the user's wallets
        PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
    END IF;
    IF v_wallet.debt > 0 THEN  -- credit given back into unexpired lots repays debt first
        v_view := wallet.repay_debt(v_account_id, v_spend.asset_type_id, v_entry_id, v_live_lot_ids, v_live_lot_amounts,
                                    v_wallet.debt, v_view);
    END IF;
    PERFORM wallet.write_events(v_account_id, v_spend.asset_type_id, v_since,
                                v_released);
    RETURN QUERY SELECT v_entry_id, v_view, false, v_paid, v_free;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_reverse_spend(uuid, text, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_reverse_spend(uuid, text, bigint, text, jsonb) TO wallet_service;

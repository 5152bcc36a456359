-- User -> Treasury: takes back p_amount of the user's top-up whose key was p_payment_id
-- (a payment provider's refund or chargeback): from that top-up's own lot first, then
-- the user's other paid lots, then free lots, each in spend order. What cannot be taken
-- back is written off (policy clamp) or kept as the wallet's debt (policy debt), which
-- later credits repay first. The refunds of a top-up add up to at most its amount
-- (what they asked for, whatever they recovered); a refund that recovers nothing is
-- still an entry, of amount 0.
CREATE OR REPLACE FUNCTION public.wallet_refund(
    p_user_id         uuid,
    p_payment_id      text,
    p_amount          bigint,
    p_idempotency_key text,
    p_policy          text DEFAULT 'clamp',
    p_metadata        jsonb DEFAULT '{}'
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, recovered bigint, unrecovered bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- custom plans, chosen once the tables grew, were made anew per call
AS $$
#variable_conflict use_column
DECLARE
    v_now        timestamptz := now();
    v_account_id bigint;
    v_topup      record;
    v_wallet     record;
    v_prior      record;
    v_expired    bigint := 0::bigint;  -- expired remainders not yet posted by wallet_expire()
    v_view       bigint;               -- the caller's balance before this entry
    v_refunded   bigint;
    v_left       bigint;
    v_take       bigint;
    v_lot        record;
    v_lot_ids       bigint[] := '{}'::bigint[];
    v_lot_amounts      bigint[] := '{}'::bigint[];
    v_paid       bigint := 0::bigint;
    v_free       bigint := 0::bigint;
    v_recovered  bigint;
    v_entry_id   bigint;
    v_since      bigint;  -- the account's newest entry before this call
    v_released   bigint[] := '{}'::bigint[];  -- holds this call released (expired)
    v_opening    wallet.opening;
BEGIN
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    IF p_payment_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: payment_id is required' USING ERRCODE = 'WA002';
    END IF;
    IF p_policy IS NULL OR p_policy NOT IN ('clamp', 'debt') THEN
        RAISE EXCEPTION 'invalid_request: policy must be clamp or debt'
            USING ERRCODE = 'WA002', DETAIL = format('policy: %s', coalesce(p_policy, 'null'));
    END IF;

    v_account_id := wallet.user_account_id(p_user_id);
    -- entries never change: the top-up can be read before its wallet is locked
    SELECT e.entry_id, e.asset_type_id, e.amount INTO v_topup
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.idempotency_key = p_payment_id AND e.kind = 'topup';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'original_not_found: no top-up with payment id % for this user', p_payment_id
            USING ERRCODE = 'WA007';
    END IF;

    SELECT w.balance, w.next_expiry, w.next_hold_expiry, w.has_holds, w.account_status INTO v_wallet
    FROM wallet.wallets w
    WHERE w.account_id = v_account_id AND w.asset_type_id = v_topup.asset_type_id
    FOR UPDATE;

    -- under the lock, a repeated call finds the first one's entry
    SELECT e.entry_id, e.kind, e.amount, e.unrecovered, e.original_entry_id, e.refund_policy, e.balance_after
    INTO v_prior
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        IF (v_prior.kind, v_prior.amount + v_prior.unrecovered, v_prior.original_entry_id, v_prior.refund_policy)
           IS DISTINCT FROM ('refund', p_amount, v_topup.entry_id, p_policy) THEN
            PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
        END IF;
        RETURN QUERY SELECT v_prior.entry_id, v_prior.balance_after, true, v_prior.amount, v_prior.unrecovered;
        RETURN;
    END IF;
    IF v_wallet.account_status = 'erased' THEN  -- refunds still land on a frozen or closed account
        PERFORM wallet.refuse_inactive_account(v_wallet.account_status, 'refunds');
    END IF;

    IF v_wallet.next_hold_expiry <= v_now THEN  -- expired holds keep nothing from this entry
        v_opening := wallet.release_due_holds(v_account_id, v_topup.asset_type_id, v_now);
        v_since := v_opening.since; v_released := v_opening.released; v_wallet := v_opening.wallet;
    ELSE
        SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = v_account_id;
    END IF;

    -- refunds of this top-up come after it: a range of the user's entries
    SELECT coalesce(sum(e.amount + e.unrecovered), 0)::bigint INTO v_refunded
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.entry_id > v_topup.entry_id
      AND e.original_entry_id = v_topup.entry_id AND e.kind = 'refund';
    IF v_refunded + p_amount > v_topup.amount THEN
        RAISE EXCEPTION 'exceeds_original: refunds of payment % would add up to more than its top-up', p_payment_id
            USING ERRCODE = 'WA008',
                  DETAIL = format('top-up: %s, refunded: %s, amount: %s', v_topup.amount, v_refunded, p_amount);
    END IF;

    -- the top-up's own lot, then the other paid lots, then free lots, each in spend order
    v_left := p_amount;
    FOR v_lot IN
        SELECT l.lot_id, l.class, l.remaining FROM wallet.lots l
        WHERE l.account_id = v_account_id AND l.asset_type_id = v_topup.asset_type_id
          AND l.open AND coalesce(l.expires_at, 'infinity') > v_now
        ORDER BY l.entry_id <> v_topup.entry_id, l.class <> 'paid', coalesce(l.expires_at, 'infinity'), l.lot_id
    LOOP
        v_take := least(v_left, v_lot.remaining);
        v_lot_ids := v_lot_ids || v_lot.lot_id;
        v_lot_amounts := v_lot_amounts || v_take;
        IF v_lot.class = 'paid' THEN v_paid := v_paid + v_take; ELSE v_free := v_free + v_take; END IF;
        v_left := v_left - v_take;
        EXIT WHEN v_left = 0;
    END LOOP;
    v_recovered := p_amount - v_left;

    IF v_wallet.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_expired
        FROM wallet.expired_credit(v_account_id, v_topup.asset_type_id, v_now) x;
    END IF;
    v_view := v_wallet.balance - v_expired - v_recovered;

    WITH entry AS (
        INSERT INTO wallet.ledger_entries AS e
            (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
             idempotency_key, metadata, paid_amount, free_amount, unrecovered, original_entry_id, refund_policy,
             lot_ids, lot_amounts)
        SELECT v_account_id, v_topup.asset_type_id, 'refund', v_account_id, wallet.treasury_account_id(), v_recovered, v_view,
               p_idempotency_key, p_metadata, v_paid, v_free, v_left, v_topup.entry_id, p_policy, v_lot_ids, v_lot_amounts
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id, e.hash
    ), taken AS (
        UPDATE wallet.lots l SET remaining = l.remaining - v_lot_amounts[array_position(v_lot_ids, l.lot_id)]
        -- l.open: read the account's open lots, not every lot it ever had
        WHERE l.account_id = v_account_id AND l.open AND l.lot_id = ANY (v_lot_ids)
          AND EXISTS (SELECT FROM entry)
    ), cached AS (
        UPDATE wallet.wallets w
        SET balance = w.balance - v_recovered, paid = w.paid - v_paid, free = w.free - v_free,
            debt = w.debt + CASE p_policy WHEN 'debt' THEN v_left ELSE 0 END,
            chain_head = (SELECT entry.hash FROM entry)
        WHERE w.account_id = v_account_id AND w.asset_type_id = v_topup.asset_type_id
          AND EXISTS (SELECT FROM entry)
    )
    SELECT entry.entry_id INTO v_entry_id FROM entry;
    IF v_wallet.has_holds THEN  -- the key the entry claimed may be one of the account's holds'
        PERFORM wallet.refuse_hold_key(v_account_id, p_idempotency_key);
    END IF;

    IF v_entry_id IS NULL THEN  -- the key was taken meanwhile, on another of the user's wallets
        PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
    END IF;
    PERFORM wallet.write_events(v_account_id, v_topup.asset_type_id, v_since,
                                v_released);
    RETURN QUERY SELECT v_entry_id, v_view, false, v_recovered, v_left;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_refund(uuid, text, bigint, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_refund(uuid, text, bigint, text, text, jsonb) TO wallet_service;

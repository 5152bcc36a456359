-- Spends p_amount (NULL = all) of an open hold's reserved credit, as a spend entry with
-- hold_id set and the split of the lots it consumed, and releases the rest. Which lots a
-- capture consumes was decided when the hold was made (wallet_hold took them in spend
-- order and kept them as the hold's lot_ids and lot_amounts): the capture uses them in
-- that order and chooses nothing. A hold is captured at most once: the same key again is
-- a replay; another key, or a hold voided, captured or past its expires_at (whether or
-- not it has been released yet), is hold_not_open with the state in DETAIL.
CREATE OR REPLACE FUNCTION public.wallet_capture(
    p_user_id         uuid,
    p_hold_id         bigint,
    p_idempotency_key text,
    p_amount          bigint DEFAULT NULL,
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
    v_now        timestamptz := now();
    v_account_id bigint;
    v_asset      integer;
    v_hold       record;
    v_prior      record;
    v_amount     bigint;
    v_left       bigint;
    v_take       bigint;
    v_lot        record;
    v_lot_ids       bigint[] := '{}'::bigint[];  -- the lots the capture consumes, in order
    v_lot_amounts      bigint[] := '{}'::bigint[];
    v_rest       bigint[] := '{}'::bigint[];  -- what it leaves of each of the hold's lot amounts
    v_paid       bigint := 0::bigint;
    v_free       bigint := 0::bigint;
    v_view       bigint;
    v_entry_id   bigint;
    v_hash       bytea;   -- the new entry's, the wallet's chain head after it
    v_since      bigint;  -- the account's newest entry before this call, when others than the capture's may follow
    v_wallet     record;  -- the wallet after the capture
    v_plain      boolean;
    v_paid_after bigint;  -- the wallet after the entry, stored with it when it is the call's event
    v_free_after bigint;
    v_held_after bigint;
    v_released   bigint[] := '{}'::bigint[];  -- holds this call released (expired)
    v_opening    wallet.opening;
BEGIN
    p_metadata := wallet.checked_write_args(coalesce(p_amount, 1), p_idempotency_key, p_metadata);
    IF p_hold_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: hold_id is required' USING ERRCODE = 'WA002';
    END IF;
    v_hold := wallet.locked_hold(p_user_id, p_hold_id, p_idempotency_key);
    v_account_id := v_hold.account_id;
    v_asset := v_hold.asset_type_id;
    -- under the lock, a repeated call finds the first one's entry. A capture that nothing
    -- below refuses looks for none: its entry's insert claims the key, and a key taken
    -- by another entry is idempotency_key_reused there, as here.
    v_amount := coalesce(p_amount, v_hold.amount);
    IF v_hold.state <> 'open' OR v_hold.account_status <> 'active' OR v_hold.expires_at <= v_now
       OR v_amount > v_hold.amount THEN
        SELECT e.entry_id, e.kind, e.amount, e.hold_id, e.balance_after, e.paid_amount, e.free_amount INTO v_prior
        FROM wallet.ledger_entries e
        WHERE e.account_id = v_account_id AND e.idempotency_key = p_idempotency_key;
        IF FOUND THEN
            IF (v_prior.kind, v_prior.amount, v_prior.hold_id) IS DISTINCT FROM ('spend', v_amount, p_hold_id) THEN
                PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
            END IF;
            RETURN QUERY SELECT v_prior.entry_id, v_prior.balance_after, true, v_prior.paid_amount, v_prior.free_amount;
            RETURN;
        END IF;
    END IF;
    IF v_hold.account_status <> 'active' THEN
        PERFORM wallet.refuse_inactive_account(v_hold.account_status, 'captures');
    END IF;
    IF v_hold.state <> 'open' OR v_hold.expires_at <= v_now THEN
        RAISE EXCEPTION 'hold_not_open: hold % is %', p_hold_id, CASE v_hold.state WHEN 'open' THEN 'expired' ELSE v_hold.state END
            USING ERRCODE = 'WA010',
                  DETAIL = format('state: %s', CASE v_hold.state WHEN 'open' THEN 'expired' ELSE v_hold.state END);
    END IF;
    IF v_amount > v_hold.amount THEN
        RAISE EXCEPTION 'exceeds_original: capture of % is more than hold % reserves', v_amount, p_hold_id
            USING ERRCODE = 'WA008', DETAIL = format('held: %s, amount: %s', v_hold.amount, v_amount);
    END IF;

    IF v_hold.next_hold_expiry <= v_now THEN  -- the wallet's other holds that have expired end first
        v_opening := wallet.release_due_holds(v_account_id, v_asset, v_now);
        v_since := v_opening.since; v_released := v_opening.released;
    ELSIF v_amount < v_hold.amount THEN  -- the rest's release follows the capture's entry
        SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = v_account_id;
    END IF;

    -- consume the hold's lot amounts in the order the hold took them; the rest goes back.
    -- The whole hold: its lots and split as it took them, with no read of the lots.
    IF v_amount = v_hold.amount THEN
        v_lot_ids := v_hold.lot_ids; v_lot_amounts := v_hold.lot_amounts;
        v_paid := v_hold.paid_amount; v_free := v_hold.free_amount;
    ELSE
        v_left := v_amount;
        FOR v_lot IN
            SELECT r.lot_id, r.amount, l.class
            FROM unnest(v_hold.lot_ids, v_hold.lot_amounts) WITH ORDINALITY AS r (lot_id, amount, seq)
            JOIN wallet.lots l ON l.account_id = v_account_id AND l.lot_id = r.lot_id
            ORDER BY r.seq
        LOOP
            v_take := least(v_left, v_lot.amount);
            v_rest := v_rest || (v_lot.amount - v_take);
            v_left := v_left - v_take;
            CONTINUE WHEN v_take = 0;
            v_lot_ids := v_lot_ids || v_lot.lot_id;
            v_lot_amounts := v_lot_amounts || v_take;
            IF v_lot.class = 'paid' THEN v_paid := v_paid + v_take; ELSE v_free := v_free + v_take; END IF;
        END LOOP;
    END IF;
    IF v_paid + v_free <> v_amount THEN  -- the hold's lot amounts say less than it: never post on it
        RAISE EXCEPTION 'hold % reserves less than its amount', p_hold_id
            USING ERRCODE = 'XX000', HINT = 'Run wallet_verify().';
    END IF;
    IF v_amount < v_hold.amount THEN  -- the hold ends: expiries of its released rest come before the capture
        PERFORM wallet.release_held_credit(v_account_id, v_asset, p_hold_id, v_hold.amount, v_hold.lot_ids, v_rest,
                                           v_now);
    END IF;
    -- the caller's balance after the capture: what the wallet holds less expired remainders
    SELECT w.balance - v_amount AS balance, w.paid - v_paid AS paid, w.free - v_free AS free,
           w.held - v_amount AS held, w.chain_head, NOT coalesce(w.next_expiry <= v_now, false) AS plain
    INTO v_wallet
    FROM wallet.wallets w
    WHERE w.account_id = v_account_id AND w.asset_type_id = v_asset;
    IF NOT v_wallet.plain THEN  -- expired remainders, in their own statement: rare
        v_wallet.balance := v_wallet.balance
                            - (SELECT x.paid + x.free FROM wallet.expired_credit(v_account_id, v_asset, v_now) x);
    END IF;

    v_view := v_wallet.balance;
    v_plain := v_wallet.plain AND v_since IS NULL;  -- the call's events are its entry's and the hold's
    IF v_plain THEN  -- as variables: in the statement, each would be a CASE in three places
        v_paid_after := v_wallet.paid; v_free_after := v_wallet.free; v_held_after := v_wallet.held;
    END IF;
    -- the entry, chained to the head read under the lock, its row written once (as in wallet.post_entry)
    v_entry_id := nextval('wallet.ledger_entries_entry_id_seq'::regclass);
    INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
    SELECT (x.r).entry_id, (x.r).account_id, (x.r).asset_type_id, (x.r).kind, (x.r).debit_account_id,
           (x.r).credit_account_id, (x.r).amount, (x.r).balance_after, (x.r).idempotency_key, (x.r).metadata,
           (x.r).created_at, (x.r).paid_amount, (x.r).free_amount, NULL, (x.r).hold_id, 0, (x.r).lot_ids,
           (x.r).lot_amounts, NULL, wallet.entry_hash(v_wallet.chain_head, x.r), (x.r).paid_after,
           (x.r).free_after, (x.r).held_after
    FROM (SELECT ROW(v_entry_id, v_account_id, v_asset, 'spend', v_account_id, wallet.treasury_account_id(),
                     v_amount, v_view, p_idempotency_key, p_metadata, v_now, v_paid, v_free, NULL, p_hold_id, 0,
                     v_lot_ids, v_lot_amounts, NULL, NULL, v_paid_after,
                     v_free_after, v_held_after, NULL)::wallet.ledger_entries AS r) x
    ON CONFLICT (account_id, idempotency_key) DO NOTHING
    RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;  -- both NULL when the key was taken
    IF v_entry_id IS NULL THEN  -- the key was taken meanwhile, on another of the user's wallets
        PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
    END IF;
    UPDATE wallet.wallets w
    SET balance = w.balance - v_amount, paid = w.paid - v_paid, free = w.free - v_free,
        held = w.held - CASE WHEN v_amount = v_hold.amount THEN v_amount ELSE 0 END,  -- else released above
        chain_head = v_hash
    WHERE w.account_id = v_account_id AND w.asset_type_id = v_asset;
    UPDATE wallet.holds h
    SET state = 'captured', captured_amount = v_amount, capture_entry_id = v_entry_id, closed_at = v_now
    WHERE h.account_id = v_account_id AND h.hold_id = p_hold_id;
    IF v_plain THEN  -- usually: the entry is the call's first event, this its second
        INSERT INTO wallet.events
            (account_id, type, asset_type_id, entry_id, hold_id, amount, balance, available, paid, free, held,
             idempotency_key, metadata)
        VALUES (v_account_id, 'hold.captured', v_asset, v_entry_id, p_hold_id, v_amount, v_view,
                v_view - v_wallet.held, v_wallet.paid, v_wallet.free, v_wallet.held, v_hold.idempotency_key,
                v_hold.metadata);
    END IF;

    IF v_hold.key_is_a_holds THEN  -- a hold's key is no new request either
        PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
    END IF;
    IF NOT v_plain THEN
        PERFORM wallet.write_events(v_account_id, v_asset, coalesce(v_since, v_entry_id - 1), v_released, p_hold_id,
                                    'captured');
    END IF;
    entry_id := v_entry_id; balance := v_view; replayed := false; paid_amount := v_paid; free_amount := v_free;
    RETURN NEXT;  -- the row from variables: no query
END
$$;

REVOKE ALL ON FUNCTION public.wallet_capture(uuid, bigint, text, bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_capture(uuid, bigint, text, bigint, jsonb) TO wallet_service;

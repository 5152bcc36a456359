-- A transfer between shards, step 2, on the recipient's shard: credits the recipient
-- (Transit -> user, transfer_in, one lot per lot taken on the sender's shard, repaying
-- debt first) or refuses, as wallet_transfer would refuse the recipient's side (no
-- account, closed or erased, over its cap). Either answer is recorded with the transfer's
-- id in the same transaction, so it is given once: every later asking, by the router or
-- the worker, gets the same one. Refusals are answered, not raised, so that they can be
-- recorded. p_dry_run: the real call in a block undone at its end, its refusal raised.
CREATE OR REPLACE FUNCTION wallet.transfer_receive(
    p_transfer_id   uuid,
    p_from_user_id  uuid,
    p_to_user_id    uuid,
    p_asset_type_id integer,
    p_amount        bigint,
    p_fee           bigint,
    p_out_entry_id  bigint,
    p_lots          jsonb,   -- [{class, expires_at, amount}] as taken, adding up to p_amount
    p_metadata      jsonb,
    p_dry_run       boolean
) RETURNS TABLE (to_entry_id bigint, to_balance bigint, replayed boolean, refusal_code text, refusal_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
#variable_conflict use_column
DECLARE
    v_now       timestamptz := now();
    v_to        bigint;
    v_wallet    wallet.wallets;
    v_opening   wallet.opening;
    v_since     bigint;
    v_released  bigint[] := '{}'::bigint[];
    v_expired   bigint := 0::bigint;
    v_cap       bigint;
    v_paid      bigint;
    v_free      bigint;
    v_expiry    timestamptz;
    v_entry_id  bigint;
    v_hash      bytea;
    v_new_ids   bigint[];
    v_amounts   bigint[];
    v_balance   bigint;
    v_code      text;
    v_message   text;
    v_answer    record;
    v_recorded  boolean;
BEGIN
    IF p_dry_run THEN
        BEGIN
            SELECT * INTO v_answer
            FROM wallet.transfer_receive(gen_random_uuid(), p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                         p_fee, 0, coalesce(p_lots, jsonb_build_array(jsonb_build_object(
                                             'class', 'free', 'expires_at', NULL, 'amount', p_amount))),
                                         p_metadata, false);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            NULL;
        END;
        IF v_answer.refusal_code IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_answer.refusal_code, MESSAGE = v_answer.refusal_message;
        END IF;
        RETURN QUERY SELECT NULL::bigint, v_answer.to_balance, false, NULL::text, NULL::text;
        RETURN;
    END IF;

    -- arguments out of range are the caller's error, raised; what follows is the recipient's answer
    PERFORM wallet.checked_transfer_args(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee);
    p_metadata := wallet.checked_write_args(p_amount, 'transfer', p_metadata);
    BEGIN
        PERFORM wallet.open_wallet(p_to_user_id, p_asset_type_id);  -- account_not_found, asset_not_found
        v_to := wallet.user_account_id(p_to_user_id);
        SELECT w.* INTO v_wallet FROM wallet.wallets w
        WHERE w.account_id = v_to AND w.asset_type_id = p_asset_type_id
        FOR UPDATE;
        -- under the lock, an earlier asking has committed its answer
        RETURN QUERY SELECT t.in_entry_id, wallet.answered_balance(v_to, t.in_entry_id, t.in_balance), true,
                            t.refusal_code, t.refusal_message
                     FROM wallet.shard_transfers t WHERE t.transfer_id = p_transfer_id AND t.side = 'in';
        IF FOUND THEN
            RETURN;
        END IF;
        IF v_wallet.next_hold_expiry <= v_now THEN  -- expired holds keep nothing from this entry
            v_opening := wallet.release_due_holds(v_to, p_asset_type_id, v_now);
            v_since := v_opening.since; v_released := v_opening.released; v_wallet := v_opening.wallet;
        ELSE
            SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = v_to;
        END IF;
        IF v_wallet.account_status IN ('closed', 'erased') THEN
            PERFORM wallet.refuse_inactive_account(v_wallet.account_status, 'credits');
        END IF;
        IF v_wallet.next_expiry <= v_now THEN
            SELECT x.paid + x.free INTO v_expired FROM wallet.expired_credit(v_to, p_asset_type_id, v_now) x;
        END IF;
        v_cap := coalesce(v_wallet.max_balance, wallet.asset_max_balance(p_asset_type_id));
        IF v_wallet.balance - v_expired + p_amount > v_cap THEN
            PERFORM wallet.refuse_over_cap(v_cap, v_wallet.balance - v_expired, p_amount);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_code NOT LIKE 'WA%' THEN
            RAISE;
        END IF;
        -- the recipient's refusal, given once (a concurrent asking may have given it first)
        INSERT INTO wallet.shard_transfers AS t (transfer_id, side, account_id, from_user_id, to_user_id,
                                                 asset_type_id, amount, fee, out_entry_id, lots, state,
                                                 refusal_code, refusal_message, settled_at)
        VALUES (p_transfer_id, 'in', v_to, p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee,
                p_out_entry_id, p_lots, 'refused', v_code, v_message, v_now)
        ON CONFLICT DO NOTHING
        RETURNING true INTO v_recorded;
        RETURN QUERY SELECT t.in_entry_id, t.in_balance, v_recorded IS NULL, t.refusal_code, t.refusal_message
                     FROM wallet.shard_transfers t WHERE t.transfer_id = p_transfer_id AND t.side = 'in';
        RETURN;
    END;

    SELECT sum(l.amount) FILTER (WHERE l.class = 'paid')::bigint, sum(l.amount) FILTER (WHERE l.class = 'free')::bigint,
           min(l.expires_at)
    INTO v_paid, v_free, v_expiry
    FROM jsonb_to_recordset(p_lots) AS l (class text, expires_at timestamptz, amount bigint);
    v_paid := coalesce(v_paid, 0); v_free := coalesce(v_free, 0);
    IF v_paid + v_free <> p_amount THEN  -- never credit what was not taken
        RAISE EXCEPTION 'transfer %: its lots add up to %, not %', p_transfer_id, v_paid + v_free, p_amount
            USING ERRCODE = 'XX000';
    END IF;
    v_balance := v_wallet.balance - v_expired + p_amount;
    INSERT INTO wallet.ledger_entries AS e
        (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, metadata,
         paid_amount, free_amount, original_entry_id)
    VALUES (v_to, p_asset_type_id, 'transfer_in', wallet.transit_account_id(), v_to, p_amount, v_balance, p_metadata,
            v_paid, v_free, p_out_entry_id)
    RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;
    WITH made AS (
        INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
        SELECT v_to, p_asset_type_id, l.class, v_entry_id, l.amount, l.amount, l.expires_at
        FROM ROWS FROM (jsonb_to_recordset(p_lots) AS (class text, expires_at timestamptz, amount bigint))
             WITH ORDINALITY AS l (class, expires_at, amount, k)
        ORDER BY l.k
        RETURNING lot_id, amount
    )
    SELECT array_agg(made.lot_id ORDER BY made.lot_id), array_agg(made.amount ORDER BY made.lot_id)
    INTO v_new_ids, v_amounts FROM made;
    UPDATE wallet.wallets w
    SET balance = w.balance + p_amount, paid = w.paid + v_paid, free = w.free + v_free,
        next_expiry = least(w.next_expiry, v_expiry), chain_head = v_hash
    WHERE w.account_id = v_to AND w.asset_type_id = p_asset_type_id;
    IF v_wallet.debt > 0 THEN  -- the new lots repay what refunds left unrecovered, first
        v_balance := wallet.repay_debt(v_to, p_asset_type_id, v_entry_id, v_new_ids, v_amounts, v_wallet.debt,
                                       v_balance);
    END IF;
    INSERT INTO wallet.shard_transfers (transfer_id, side, account_id, from_user_id, to_user_id, asset_type_id,
                                        amount, fee, out_entry_id, lots, state, in_entry_id, in_balance, settled_at)
    VALUES (p_transfer_id, 'in', v_to, p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee,
            p_out_entry_id, p_lots, 'received', v_entry_id, v_balance, v_now);
    PERFORM wallet.write_events(v_to, p_asset_type_id, v_since, v_released);
    RETURN QUERY SELECT v_entry_id, v_balance, false, NULL::text, NULL::text;
END
$$;

REVOKE ALL ON FUNCTION wallet.transfer_receive(uuid, uuid, uuid, integer, bigint, bigint, bigint, jsonb, jsonb, boolean)
    FROM PUBLIC;

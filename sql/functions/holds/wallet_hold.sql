-- Authorises a spend: reserves p_amount of the user's available credit (balance less
-- what open holds reserve) from specific lots in the asset's spend order, until
-- wallet_capture spends it, wallet_void releases it, or p_expires_in (1 second to 7
-- days) passes. Reserved credit leaves its lots, so no spend, hold or refund takes it
-- and its lot's expiry does not touch it while the hold is open: a capture inside the
-- hold's life never lacks funds. Holds share the user account's key space with
-- entries; a replay answers the first call's row. p_dry_run: what the call would answer
-- now (a new hold's id NULL), writing and reserving nothing.
CREATE OR REPLACE FUNCTION public.wallet_hold(
    p_user_id         uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_expires_in      interval DEFAULT '15 minutes',
    p_metadata        jsonb DEFAULT '{}',
    p_dry_run         boolean DEFAULT false
) RETURNS TABLE (hold_id bigint, available bigint, expires_at timestamptz, replayed boolean)
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
    v_wallet     record;
    v_prior      record;
    v_expired    bigint := 0::bigint;  -- expired remainders not yet posted by wallet_expire()
    v_available  bigint;
    v_plan       record;
    v_expires_at timestamptz;
    v_hold_id    bigint;
    v_locked     record;
    v_since      bigint;  -- the account's newest entry before this call, when it releases expired holds
    v_released   bigint[] := '{}'::bigint[];  -- holds this call released (expired)
    v_opening    wallet.opening;
    v_preview    record;
BEGIN
    IF p_dry_run THEN  -- the real call in a block undone at its end: no write, no lock, no key kept
        BEGIN
            SELECT * INTO v_preview FROM public.wallet_hold(p_user_id, p_asset_type_id, p_amount, p_idempotency_key, p_expires_in,
                                                   p_metadata);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            NULL;
        END;
        RETURN QUERY SELECT CASE WHEN v_preview.replayed THEN v_preview.hold_id END, v_preview.available,
                            v_preview.expires_at, v_preview.replayed;  -- the ids a new hold would get are not known
        RETURN;
    END IF;
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    IF p_asset_type_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: asset_type_id is required' USING ERRCODE = 'WA002';
    END IF;
    IF p_expires_in IS NULL OR p_expires_in NOT BETWEEN interval '1 second' AND interval '7 days' THEN
        RAISE EXCEPTION 'invalid_request: expires_in must be from 1 second to 7 days'
            USING ERRCODE = 'WA002', DETAIL = format('expires_in: %s', coalesce(p_expires_in::text, 'null'));
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);

    -- The key is the account's, across assets: lock every wallet of the account (in
    -- asset order, the order every multi-wallet lock takes) and mark them has_holds (in
    -- the statement that makes the hold), so that an entry keyed the same on another
    -- asset is either committed and seen below, or waits for this hold and then finds it.
    -- A wallet of an asset the account has none of yet is made here; its insert waits for
    -- one being made by a posting.
    SELECT count(*) AS wallets, coalesce(bool_and(l.has_holds), false) AS marked,
           (SELECT count(*) FROM wallet.asset_types) AS assets
    INTO v_locked
    FROM (SELECT w.has_holds FROM wallet.wallets w WHERE w.account_id = v_account_id
          ORDER BY w.asset_type_id FOR UPDATE) l;
    IF v_locked.wallets < v_locked.assets THEN
        INSERT INTO wallet.wallets AS w (account_id, asset_type_id, has_holds)
        SELECT v_account_id, t.asset_type_id, true FROM wallet.asset_types t
        ON CONFLICT DO NOTHING;
        PERFORM FROM wallet.wallets w WHERE w.account_id = v_account_id ORDER BY w.asset_type_id FOR UPDATE;
        v_locked.marked := false;
    END IF;

    SELECT h.hold_id, h.asset_type_id, h.amount, h.available_after, h.expires_at INTO v_prior
    FROM wallet.holds h
    WHERE h.account_id = v_account_id AND h.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        IF (v_prior.asset_type_id, v_prior.amount) IS DISTINCT FROM (p_asset_type_id, p_amount) THEN
            PERFORM wallet.refuse_hold_key(v_account_id, p_idempotency_key);
        END IF;
        RETURN QUERY SELECT v_prior.hold_id, v_prior.available_after, v_prior.expires_at, true;
        RETURN;
    END IF;
    PERFORM FROM wallet.ledger_entries e WHERE e.account_id = v_account_id AND e.idempotency_key = p_idempotency_key;
    IF FOUND THEN  -- an entry's key: the refusal names that entry
        PERFORM wallet.refuse_reused_key(v_account_id, p_idempotency_key);
    END IF;

    -- the wallet (locked above) with its daily limit and what counted against it today;
    -- read again after expired holds are released (they keep nothing from this one)
    LOOP
        SELECT w.balance, w.paid, w.free, w.held, w.next_expiry, w.next_hold_expiry, w.account_status,
               coalesce(w.daily_spend_limit, wallet.asset_daily_spend_limit(w.asset_type_id)) AS daily_limit,
               wallet.spent_today(w.spent_day, w.spent_today, v_now) AS spent_today
        INTO v_wallet
        FROM wallet.wallets w
        WHERE w.account_id = v_account_id AND w.asset_type_id = p_asset_type_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
        END IF;
        EXIT WHEN v_since IS NOT NULL OR coalesce(v_wallet.next_hold_expiry > v_now, true);
        v_opening := wallet.release_due_holds(v_account_id, p_asset_type_id, v_now);
        v_since := v_opening.since; v_released := v_opening.released;
    END LOOP;
    IF v_wallet.account_status <> 'active' THEN
        PERFORM wallet.refuse_inactive_account(v_wallet.account_status, 'holds');
    END IF;
    IF v_wallet.spent_today + p_amount > v_wallet.daily_limit THEN  -- a hold counts when it is made
        PERFORM wallet.refuse_over_daily_limit(v_wallet.daily_limit, v_wallet.spent_today, p_amount);
    END IF;
    IF v_wallet.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_expired
        FROM wallet.expired_credit(v_account_id, p_asset_type_id, v_now) x;
    END IF;
    v_available := v_wallet.balance - v_expired - v_wallet.held;
    IF v_available < p_amount THEN
        RAISE EXCEPTION 'insufficient_funds: available % is less than %', v_available, p_amount
            USING ERRCODE = 'WA006',
                  DETAIL = format('available: %s, amount: %s, asset: %s', v_available, p_amount, p_asset_type_id);
    END IF;

    v_plan := wallet.take_in_spend_order(v_account_id, p_asset_type_id, p_amount, v_now, v_wallet.paid, v_wallet.free);
    IF v_plan.paid + v_plan.free < p_amount THEN  -- the cache promised credit the lots do not hold
        RAISE EXCEPTION 'lots of account % asset % hold less than its balance', v_account_id, p_asset_type_id
            USING ERRCODE = 'XX000', HINT = 'Run wallet_verify().';
    END IF;
    v_expires_at := v_now + p_expires_in;
    v_available := v_available - p_amount;

    WITH hold AS (
        INSERT INTO wallet.holds AS h
            (account_id, asset_type_id, amount, expires_at, idempotency_key, metadata,
             lot_ids, lot_amounts, paid_amount, free_amount, available_after, counted_on)
        VALUES (v_account_id, p_asset_type_id, p_amount, v_expires_at, p_idempotency_key, p_metadata,
                v_plan.lot_ids, v_plan.lot_amounts, v_plan.paid, v_plan.free, v_available,
                wallet.utc_day(v_now))
        RETURNING h.hold_id
    ), reserved AS (
        UPDATE wallet.lots l
        SET remaining = l.remaining - v_plan.lot_amounts[array_position(v_plan.lot_ids, l.lot_id)]
        -- l.open: read the account's open lots, not every lot it ever had
        WHERE l.account_id = v_account_id AND l.open AND l.lot_id = ANY (v_plan.lot_ids)
    ), cached AS (  -- the hold's wallet, and the account's others not marked yet (each row updated once
        -- in the transaction: a second update would check its foreign keys again)
        UPDATE wallet.wallets w
        SET held = w.held + CASE WHEN w.asset_type_id = p_asset_type_id THEN p_amount ELSE 0 END,
            next_hold_expiry = CASE WHEN w.asset_type_id = p_asset_type_id
                                    THEN least(w.next_hold_expiry, v_expires_at) ELSE w.next_hold_expiry END,
            has_holds = true,
            -- counted with a limit or not
            spent_day = CASE WHEN w.asset_type_id = p_asset_type_id THEN wallet.utc_day(v_now) ELSE w.spent_day END,
            spent_today = CASE WHEN w.asset_type_id = p_asset_type_id THEN v_wallet.spent_today + p_amount
                               ELSE w.spent_today END
        WHERE w.account_id = v_account_id
          AND (w.asset_type_id = p_asset_type_id OR NOT v_locked.marked AND NOT w.has_holds)
    ), evented AS (  -- usually the call's one event, from what is known here (as in wallet.post_entry)
        INSERT INTO wallet.events
            (account_id, type, asset_type_id, hold_id, amount, balance, available, paid, free, held,
             idempotency_key, metadata)
        SELECT v_account_id, 'hold.opened', p_asset_type_id, hold.hold_id, p_amount, v_wallet.balance, v_available,
               v_wallet.paid, v_wallet.free, v_wallet.held + p_amount, p_idempotency_key, p_metadata
        FROM hold
        WHERE v_expired = 0 AND v_since IS NULL
    )
    SELECT hold.hold_id INTO v_hold_id FROM hold;

    IF v_expired > 0 OR v_since IS NOT NULL THEN  -- expired credit or holds: the wallet as wallet_view sees it
        -- (the hold itself writes no entry: with no holds released, none is the call's)
        PERFORM wallet.write_events(v_account_id, p_asset_type_id, coalesce(v_since, 9223372036854775807), v_released,
                                    v_hold_id, 'opened');
    END IF;
    hold_id := v_hold_id; available := v_available; expires_at := v_expires_at; replayed := false;
    RETURN NEXT;  -- the row from variables: no query
END
$$;

REVOKE ALL ON FUNCTION public.wallet_hold(uuid, integer, bigint, text, interval, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_hold(uuid, integer, bigint, text, interval, jsonb, boolean) TO wallet_service;

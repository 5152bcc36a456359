-- Moves credit out of one wallet and into another: the one routine behind wallet_transfer
-- (p_kind 'transfer': two users, one asset, Treasury fee possible) and wallet_exchange
-- ('exchange': one user, two assets, through the Treasury at the rate
-- p_numerator/p_denominator). The caller has checked the arguments and found both
-- accounts and assets.
--
-- Both wallets are locked in (account, asset) order; one missing is made, then both are
-- locked again. A key the mover's account has used answers the first call (or
-- idempotency_key_reused); then an asset whose policy is 'none' or a missing rate
-- (p_numerator NULL) is operation_not_allowed. What moves is taken from the mover's lots in the asset's spend
-- order, of the classes p_policy lets move ('free_only': free lots only), the fee after
-- the amount; each lot taken for the amount gives the receiving wallet one lot of its
-- class and expiry, sized by cumulative rounding (lot i gets floor(C_i * n / d) -
-- floor(C_(i-1) * n / d), C_i the amount taken from the first i lots; lots of 0 are
-- not made), so the new lots add up to exactly what is credited. The credit repays the
-- receiving wallet's debt first, as a top-up does.
--
-- Entries: <kind>_out on the mover (its key), a fee (user -> Treasury) when p_fee > 0,
-- <kind>_in on the receiver (no key; original_entry_id = the out entry), each chained
-- to its wallet's head. Each is its own event, with the wallet after it, unless the call
-- also released expired holds, met expired credit or repaid debt on that wallet: then
-- wallet.write_events writes that wallet's events.
--
-- A transfer to a user on another shard has no receiver here (p_to_account and
-- p_to_asset NULL): its transfer_out goes to the Transit account, and
-- wallet.transfer_send records what the recipient's shard is to credit.
CREATE OR REPLACE FUNCTION wallet.move_credit(
    p_kind            text,
    p_from_account    bigint,
    p_from_asset      integer,
    p_to_account      bigint,
    p_to_asset        integer,
    p_amount          bigint,
    p_fee             bigint,
    p_policy          text,
    p_numerator       bigint,
    p_denominator     bigint,
    p_idempotency_key text,
    p_metadata        jsonb
) RETURNS wallet.moved
LANGUAGE plpgsql
AS $$
DECLARE
    v_now           timestamptz := now();
    v_from          wallet.wallets;
    v_to            wallet.wallets;
    v_opening       wallet.opening;
    v_from_since    bigint;
    v_to_since      bigint;
    v_from_released bigint[] := '{}'::bigint[];
    v_to_released   bigint[] := '{}'::bigint[];
    v_from_expired  bigint := 0::bigint;
    v_to_expired    bigint := 0::bigint;
    v_prior         record;
    v_fee_prior     record;
    v_in_prior      record;
    v_to_amount     numeric;
    v_plan          record;
    v_lot           record;
    v_left          bigint := p_amount;
    v_take          bigint;
    v_taken         numeric := 0::numeric;   -- C_i: the amount taken so far
    v_out_ids       bigint[] := '{}'::bigint[];
    v_out_amounts   bigint[] := '{}'::bigint[];
    v_out_paid      bigint := 0::bigint;
    v_out_free      bigint := 0::bigint;
    v_fee_ids       bigint[] := '{}'::bigint[];
    v_fee_amounts   bigint[] := '{}'::bigint[];
    v_fee_paid      bigint := 0::bigint;
    v_fee_free      bigint := 0::bigint;
    v_new_classes   text[] := '{}'::text[];  -- the receiver's new lots, in the order they were taken
    v_new_expiries  timestamptz[] := '{}'::timestamptz[];
    v_new_amounts   bigint[] := '{}'::bigint[];
    v_new_ids       bigint[];
    v_soonest       timestamptz;
    v_give          bigint;
    v_in_paid       bigint := 0::bigint;
    v_in_free       bigint := 0::bigint;
    v_from_plain    boolean;
    v_to_plain      boolean;
    v_from_view     bigint;
    v_to_view       bigint;
    v_out           wallet.ledger_entries;
    v_fee           wallet.ledger_entries;
    v_in            wallet.ledger_entries;
    v_claimed       bigint;
    v_to_balance    bigint;
    v_from_limit    bigint;   -- the mover's daily spend limit in force, and what counted today
    v_from_spent    bigint;
    v_to_cap        bigint;   -- the receiving wallet's cap in force
BEGIN
    -- locked in one order, (account, asset), whoever calls, each by its own read (cheaper
    -- than one read of both, sorted); a wallet to make (a receiver may have none of the
    -- asset yet) is made first and both are locked again (rare)
    FOR v_attempt IN 1..2 LOOP
        IF p_to_account IS NULL OR (p_from_account, p_from_asset) <= (p_to_account, p_to_asset) THEN
            SELECT w.* INTO v_from FROM wallet.wallets w
            WHERE w.account_id = p_from_account AND w.asset_type_id = p_from_asset FOR UPDATE;
        END IF;
        IF p_to_account IS NOT NULL THEN
            SELECT w.* INTO v_to FROM wallet.wallets w
            WHERE w.account_id = p_to_account AND w.asset_type_id = p_to_asset FOR UPDATE;
            IF (p_from_account, p_from_asset) > (p_to_account, p_to_asset) THEN
                SELECT w.* INTO v_from FROM wallet.wallets w
                WHERE w.account_id = p_from_account AND w.asset_type_id = p_from_asset FOR UPDATE;
            END IF;
        END IF;
        EXIT WHEN v_from.account_id IS NOT NULL AND (v_to.account_id IS NOT NULL OR p_to_account IS NULL);
        INSERT INTO wallet.wallets AS w (account_id, asset_type_id, has_holds)
        SELECT a.account_id, a.asset_type_id, EXISTS (SELECT FROM wallet.holds h WHERE h.account_id = a.account_id)
        FROM (VALUES (p_from_account, p_from_asset), (p_to_account, p_to_asset)) a (account_id, asset_type_id)
        WHERE a.account_id IS NOT NULL
        ORDER BY a.account_id, a.asset_type_id  -- in lock order too
        ON CONFLICT DO NOTHING;
    END LOOP;
    IF v_from.next_hold_expiry <= v_now THEN  -- expired holds keep nothing from this call
        v_opening := wallet.release_due_holds(p_from_account, p_from_asset, v_now);
        v_from_since := v_opening.since; v_from_released := v_opening.released; v_from := v_opening.wallet;
    END IF;
    IF v_to.next_hold_expiry <= v_now THEN
        v_opening := wallet.release_due_holds(p_to_account, p_to_asset, v_now);
        v_to_since := v_opening.since; v_to_released := v_opening.released; v_to := v_opening.wallet;
    END IF;

    -- a key the mover's account has used: the first call's answer, if this is that call
    SELECT e.entry_id, e.kind, e.asset_type_id, e.amount, e.credit_account_id, e.balance_after, e.paid_amount,
           e.free_amount
    INTO v_prior
    FROM wallet.ledger_entries e
    WHERE e.account_id = p_from_account AND e.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        SELECT e.amount, e.balance_after INTO v_fee_prior FROM wallet.ledger_entries e
        WHERE e.account_id = p_from_account AND e.entry_id > v_prior.entry_id
          AND e.original_entry_id = v_prior.entry_id AND e.kind = 'fee';
        SELECT e.entry_id, e.account_id, e.asset_type_id, e.amount, e.balance_after INTO v_in_prior
        FROM wallet.ledger_entries e
        WHERE e.account_id = CASE p_kind WHEN 'transfer' THEN v_prior.credit_account_id ELSE p_from_account END
          AND e.entry_id > v_prior.entry_id AND e.original_entry_id = v_prior.entry_id AND e.kind = p_kind || '_in'
        ORDER BY e.entry_id
        LIMIT 1;
        IF (v_prior.kind, v_prior.asset_type_id, v_prior.amount, coalesce(v_fee_prior.amount, 0),
            v_in_prior.account_id, v_in_prior.asset_type_id)
           IS DISTINCT FROM (p_kind || '_out', p_from_asset, p_amount, p_fee, p_to_account, p_to_asset) THEN
            PERFORM wallet.refuse_reused_key(p_from_account, p_idempotency_key);
        END IF;
        IF v_from_since IS NOT NULL THEN  -- the replay released expired holds on its way
            PERFORM wallet.write_events(p_from_account, p_from_asset, v_from_since, v_from_released);
        END IF;
        IF v_to_since IS NOT NULL THEN
            PERFORM wallet.write_events(p_to_account, p_to_asset, v_to_since, v_to_released);
        END IF;
        RETURN (v_prior.entry_id, coalesce(v_fee_prior.balance_after, v_prior.balance_after), true,
                v_prior.paid_amount, v_prior.free_amount, v_in_prior.entry_id, v_in_prior.amount,
                wallet.answered_balance(p_to_account, v_in_prior.entry_id, v_in_prior.balance_after))::wallet.moved;
    END IF;
    IF v_from.has_holds THEN  -- a hold's key is no new request either (under this lock, any hold keyed so has committed)
        PERFORM wallet.refuse_hold_key(p_from_account, p_idempotency_key);
    END IF;

    IF v_from.account_status <> 'active' THEN
        PERFORM wallet.refuse_inactive_account(v_from.account_status, p_kind || 's');
    END IF;
    IF v_to.account_status IN ('closed', 'erased') THEN
        PERFORM wallet.refuse_inactive_account(v_to.account_status, 'credits');
    END IF;
    IF p_policy = 'none' THEN
        RAISE EXCEPTION 'operation_not_allowed: asset % may not be transferred', p_from_asset
            USING ERRCODE = 'WA014', DETAIL = 'transfer_policy: none';
    END IF;
    IF p_numerator IS NULL THEN
        RAISE EXCEPTION 'operation_not_allowed: no exchange rate from asset % to asset %', p_from_asset, p_to_asset
            USING ERRCODE = 'WA014';
    END IF;
    v_to_amount := floor(p_amount::numeric * p_numerator / p_denominator);
    IF v_to_amount NOT BETWEEN 1 AND 9007199254740991 THEN
        RAISE EXCEPTION 'invalid_amount: % of asset % buys %, which must be from 1 to 9007199254740991',
                        p_amount, p_from_asset, v_to_amount
            USING ERRCODE = 'WA001', DETAIL = format('to_amount: %s', v_to_amount);
    END IF;

    -- the limits in force: the user's, else the asset's (inlined, no asset row read)
    v_from_limit := coalesce(v_from.daily_spend_limit, wallet.asset_daily_spend_limit(p_from_asset));
    v_to_cap := coalesce(v_to.max_balance, wallet.asset_max_balance(p_to_asset));
    v_from_spent := wallet.spent_today(v_from.spent_day, v_from.spent_today, v_now);
    IF v_from_spent + p_amount + p_fee > v_from_limit THEN  -- a transfer out counts with its fee
        PERFORM wallet.refuse_over_daily_limit(v_from_limit, v_from_spent, p_amount + p_fee);
    END IF;

    IF v_from.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_from_expired FROM wallet.expired_credit(p_from_account, p_from_asset, v_now) x;
    END IF;
    IF v_to.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_to_expired FROM wallet.expired_credit(p_to_account, p_to_asset, v_now) x;
    END IF;
    IF v_to.balance - v_to_expired + v_to_amount > v_to_cap THEN
        PERFORM wallet.refuse_over_cap(v_to_cap, v_to.balance - v_to_expired, v_to_amount::bigint);
    END IF;
    v_plan := wallet.take_in_spend_order(p_from_account, p_from_asset, p_amount + p_fee, v_now,
                                         CASE p_policy WHEN 'free_only' THEN 0 ELSE v_from.paid END, v_from.free);
    IF v_plan.paid + v_plan.free < p_amount + p_fee THEN
        RAISE EXCEPTION 'insufficient_funds: available % is less than %', v_plan.paid + v_plan.free, p_amount + p_fee
            USING ERRCODE = 'WA006',
                  DETAIL = format('available: %s, amount: %s, fee: %s, asset: %s, classes: %s',
                                  v_plan.paid + v_plan.free, p_amount, p_fee, p_from_asset,
                                  CASE p_policy WHEN 'free_only' THEN 'free' ELSE 'paid and free' END);
    END IF;

    -- the amount from the first lots taken, the fee from the rest; each lot taken for the
    -- amount gives the receiver one lot of its class and expiry
    FOR v_n IN 1..cardinality(v_plan.lot_ids) LOOP  -- a read per lot: usually one, cheaper than a join
        SELECT l.lot_id, v_plan.lot_amounts[v_n] AS amount, l.class, l.expires_at INTO v_lot
        FROM wallet.lots l WHERE l.account_id = p_from_account AND l.lot_id = v_plan.lot_ids[v_n];
        v_take := least(v_left, v_lot.amount);
        IF v_take > 0 THEN
            v_out_ids := v_out_ids || v_lot.lot_id; v_out_amounts := v_out_amounts || v_take;
            IF v_lot.class = 'paid' THEN v_out_paid := v_out_paid + v_take; ELSE v_out_free := v_out_free + v_take; END IF;
            v_give := (floor((v_taken + v_take) * p_numerator / p_denominator)
                       - floor(v_taken * p_numerator / p_denominator))::bigint;
            v_taken := v_taken + v_take;
            v_left := v_left - v_take;
            IF v_give > 0 THEN
                v_new_classes := v_new_classes || v_lot.class; v_new_expiries := v_new_expiries || v_lot.expires_at;
                v_soonest := least(v_soonest, v_lot.expires_at);  -- the soonest expiry of the new lots
                v_new_amounts := v_new_amounts || v_give;
                IF v_lot.class = 'paid' THEN v_in_paid := v_in_paid + v_give; ELSE v_in_free := v_in_free + v_give; END IF;
            END IF;
        END IF;
        IF v_lot.amount > v_take THEN
            v_fee_ids := v_fee_ids || v_lot.lot_id; v_fee_amounts := v_fee_amounts || (v_lot.amount - v_take);
            IF v_lot.class = 'paid' THEN
                v_fee_paid := v_fee_paid + v_lot.amount - v_take;
            ELSE
                v_fee_free := v_fee_free + v_lot.amount - v_take;
            END IF;
        END IF;
    END LOOP;

    -- the entries, chained to the heads read under the locks
    v_from_plain := v_from_expired = 0 AND v_from_since IS NULL;
    v_to_plain := p_to_account IS NULL OR v_to_expired = 0 AND v_to_since IS NULL AND v_to.debt = 0;
    v_from_view := v_from.balance - v_from_expired;
    v_to_view := v_to.balance - v_to_expired;
    v_out := ROW(nextval('wallet.ledger_entries_entry_id_seq'::regclass), p_from_account, p_from_asset,
                 p_kind || '_out', p_from_account,
                 CASE p_kind WHEN 'transfer' THEN coalesce(p_to_account, wallet.transit_account_id())
                             ELSE wallet.treasury_account_id() END, p_amount,
                 v_from_view - p_amount, p_idempotency_key, p_metadata, v_now, v_out_paid, v_out_free, NULL, NULL, 0,
                 v_out_ids, v_out_amounts, NULL, NULL,
                 CASE WHEN v_from_plain THEN v_from.paid - v_out_paid END,
                 CASE WHEN v_from_plain THEN v_from.free - v_out_free END,
                 CASE WHEN v_from_plain THEN v_from.held END, NULL)::wallet.ledger_entries;
    v_out.hash := wallet.entry_hash(v_from.chain_head, v_out);
    IF p_fee > 0 THEN
        v_fee := ROW(nextval('wallet.ledger_entries_entry_id_seq'::regclass), p_from_account, p_from_asset, 'fee',
                     p_from_account, wallet.treasury_account_id(), p_fee, v_from_view - p_amount - p_fee, NULL,
                     '{}'::jsonb, v_now, v_fee_paid, v_fee_free, v_out.entry_id, NULL, 0, v_fee_ids, v_fee_amounts,
                     NULL, NULL,
                     CASE WHEN v_from_plain THEN v_from.paid - v_out_paid - v_fee_paid END,
                     CASE WHEN v_from_plain THEN v_from.free - v_out_free - v_fee_free END,
                     CASE WHEN v_from_plain THEN v_from.held END, NULL)::wallet.ledger_entries;
        v_fee.hash := wallet.entry_hash(v_out.hash, v_fee);
    END IF;
    IF p_to_account IS NOT NULL THEN  -- across shards, the receiver is on the other shard
        v_in := ROW(nextval('wallet.ledger_entries_entry_id_seq'::regclass), p_to_account, p_to_asset, p_kind || '_in',
                    CASE p_kind WHEN 'transfer' THEN p_from_account ELSE wallet.treasury_account_id() END, p_to_account,
                    v_to_amount, v_to_view + v_to_amount, NULL, p_metadata, v_now, v_in_paid, v_in_free, v_out.entry_id,
                    NULL, 0, NULL, NULL, NULL, NULL,
                    CASE WHEN v_to_plain THEN v_to.paid + v_in_paid END,
                    CASE WHEN v_to_plain THEN v_to.free + v_in_free END,
                    CASE WHEN v_to_plain THEN v_to.held END, NULL)::wallet.ledger_entries;
        v_in.hash := wallet.entry_hash(v_to.chain_head, v_in);
    END IF;
    -- the entries in one statement; the out entry claims the key
    WITH claimed AS (
        INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
        SELECT x.* FROM unnest(ARRAY[v_out, v_fee, v_in]) x WHERE x.entry_id IS NOT NULL
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id
    )
    SELECT c.entry_id INTO v_claimed FROM claimed c WHERE c.entry_id = v_out.entry_id;
    IF v_claimed IS NULL THEN  -- claimed meanwhile by a call on another of the account's wallets
        PERFORM wallet.refuse_reused_key(p_from_account, p_idempotency_key);
    END IF;

    -- the lots and the caches
    UPDATE wallet.lots l SET remaining = l.remaining - v_plan.lot_amounts[array_position(v_plan.lot_ids, l.lot_id)]
    -- l.open: read the account's open lots, not every lot it ever had
    WHERE l.account_id = p_from_account AND l.open AND l.lot_id = ANY (v_plan.lot_ids);
    UPDATE wallet.wallets w
    SET balance = w.balance - p_amount - p_fee, paid = w.paid - v_out_paid - v_fee_paid,
        free = w.free - v_out_free - v_fee_free, chain_head = coalesce(v_fee.hash, v_out.hash),
        spent_day = wallet.utc_day(v_now), spent_today = v_from_spent + p_amount + p_fee  -- with a limit or not
    WHERE w.account_id = p_from_account AND w.asset_type_id = p_from_asset;
    IF p_to_account IS NOT NULL THEN
        IF cardinality(v_new_amounts) = 1 THEN  -- usually: one lot, with no sort
            INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
            VALUES (p_to_account, p_to_asset, v_new_classes[1], v_in.entry_id, v_new_amounts[1], v_new_amounts[1],
                    v_new_expiries[1])
            RETURNING ARRAY[lot_id] INTO v_new_ids;
        ELSE
            WITH made AS (
                INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
                SELECT p_to_account, p_to_asset, n.class, v_in.entry_id, n.amount, n.amount, n.expires_at
                FROM unnest(v_new_classes, v_new_amounts, v_new_expiries) WITH ORDINALITY AS n (class, amount, expires_at, k)
                ORDER BY n.k
                RETURNING lot_id
            )
            SELECT array_agg(made.lot_id ORDER BY made.lot_id) INTO v_new_ids FROM made;
        END IF;
        UPDATE wallet.wallets w
        SET balance = w.balance + v_in.amount, paid = w.paid + v_in_paid, free = w.free + v_in_free,
            next_expiry = least(w.next_expiry, v_soonest), chain_head = v_in.hash
        WHERE w.account_id = p_to_account AND w.asset_type_id = p_to_asset;

        v_to_balance := v_in.balance_after;
        IF v_to.debt > 0 THEN  -- the new lots repay what refunds left unrecovered, first
            v_to_balance := wallet.repay_debt(p_to_account, p_to_asset, v_in.entry_id, v_new_ids, v_new_amounts,
                                              v_to.debt, v_to_balance);
        END IF;
    END IF;
    IF NOT v_from_plain THEN
        PERFORM wallet.write_events(p_from_account, p_from_asset, coalesce(v_from_since, v_out.entry_id - 1),
                                    v_from_released);
    END IF;
    IF NOT v_to_plain THEN
        PERFORM wallet.write_events(p_to_account, p_to_asset, coalesce(v_to_since, v_in.entry_id - 1), v_to_released);
    END IF;
    RETURN (v_out.entry_id, v_from_view - p_amount - p_fee, false, v_out_paid, v_out_free, v_in.entry_id,
            v_in.amount, v_to_balance)::wallet.moved;
END
$$;

REVOKE ALL ON FUNCTION wallet.move_credit(text, bigint, integer, bigint, integer, bigint, bigint, text, bigint, bigint,
                                          text, jsonb) FROM PUBLIC;

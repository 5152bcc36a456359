-- The one posting routine behind wallet_topup, wallet_bonus, wallet_spend and the batch
-- engine (wallet_post_batch, wallet_import). Locks only the user's wallet row (the
-- Treasury balance is derived, never cached), claims the idempotency key with the ledger
-- insert itself, then moves the lots and the cache. A credit makes a lot (top-up: paid,
-- bonus: free, import: p_class); a spend
-- takes from lots in the asset's spend order and records what it took from each.
--
-- Balances answered (and stored as balance_after) are the caller's view: credit whose
-- lot has expired is not counted from its expires_at on, even before wallet_expire()
-- posts it; the wallet row caches the ledger's view, expired remainders included.
--
-- The same rules are implemented set-at-a-time by wallet_post_batch (for the accounts it
-- does not hand back here); tests/sql/test_batch_equivalence.py keeps the two equal.
--
-- Returns one composite, not a set: the writers take it as a plain expression, with no
-- query and no tuplestore between them and this routine.
--
-- Callable only by those SECURITY DEFINER functions, whose pinned search_path it runs
-- under (every name here is schema-qualified); no SET of its own, which would cost a
-- configuration save and restore on every posting.
CREATE OR REPLACE FUNCTION wallet.post_entry(
    p_kind            text,
    p_user_id         uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_metadata        jsonb,
    p_expires_at      timestamptz,
    p_class           text DEFAULT NULL  -- an import's: 'paid' or 'free' (the batch engine checked it)
) RETURNS wallet.posting
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_now         timestamptz := now();
    v_wallet      record;
    v_expired     bigint := 0::bigint;   -- expired remainders not yet posted by wallet_expire()
    v_view        bigint;        -- the caller's balance before this entry
    v_class       text;
    v_entry_id    bigint;
    v_hash        bytea;         -- the new entry's, the wallet's chain head after it
    v_paid        bigint := 0::bigint;
    v_free        bigint := 0::bigint;
    v_lot_ids        bigint[];      -- the lots a spend takes from, in order
    v_lot_amounts       bigint[];      -- and how much from each
    v_lot         record;
    v_plan        record;
    v_prior       record;
    v_since       bigint;        -- the wallet's newest entry before this call, when it posts others first
    v_released    bigint[];      -- holds this call released (expired), when it released any
    v_opening     wallet.opening;
    v_balance     bigint;
    v_plain       boolean;
    v_paid_after  bigint;        -- the wallet after the entry, stored with it when it is the call's event
    v_free_after  bigint;
    v_held_after  bigint;
    v_limits      record;        -- the cap and daily limit in force, read when a control applies
    v_refused     text;          -- status, limit, overflow or cap: refused unless a replay
BEGIN
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    IF p_expires_at IS NOT NULL AND (p_kind = 'spend' OR p_expires_at <= v_now) THEN
        RAISE EXCEPTION 'invalid_request: expires_at must be later than now'
            USING ERRCODE = 'WA002', DETAIL = format('expires_at: %s, now: %s', p_expires_at, v_now);
    END IF;

    -- The wallet locked, with what counted against a daily limit today and whether any
    -- control applies (a status other than active, a cap or a daily limit: the user's,
    -- else the asset's), so that the usual posting tests one flag. Rare second passes: a
    -- wallet to open (an asset added after the account was opened; an unknown user or
    -- asset is an error), or expired holds released (they keep nothing from this
    -- posting), then read again.
    FOR v_attempt IN 1..3 LOOP
        SELECT w.account_id, w.balance, w.paid, w.free, w.debt, w.held, w.next_expiry, w.next_hold_expiry, w.has_holds,
               w.chain_head, w.account_status,
               wallet.spent_today(w.spent_day, w.spent_today, v_now) AS spent_today,
               w.account_status = 'active' AND coalesce(w.max_balance, wallet.asset_max_balance(w.asset_type_id),
                                                        w.daily_spend_limit, wallet.asset_daily_spend_limit(w.asset_type_id))
                                               IS NULL AS unbounded
        INTO v_wallet
        FROM wallet.wallets w
        WHERE w.account_id = (SELECT a.account_id FROM wallet.accounts a WHERE a.user_id = p_user_id)
          AND w.asset_type_id = p_asset_type_id
        FOR UPDATE;
        IF NOT FOUND THEN  -- also where a missing user or asset is found: no test on every call
            IF p_user_id IS NULL OR p_asset_type_id IS NULL THEN
                RAISE EXCEPTION 'invalid_request: user_id and asset_type_id are required'
                    USING ERRCODE = 'WA002';
            END IF;
            PERFORM wallet.open_wallet(p_user_id, p_asset_type_id);
            CONTINUE;
        END IF;
        EXIT WHEN v_since IS NOT NULL OR coalesce(v_wallet.next_hold_expiry > v_now, true);
        v_opening := wallet.release_due_holds(v_wallet.account_id, p_asset_type_id, v_now);
        v_since := v_opening.since; v_released := v_opening.released;
    END LOOP;
    IF v_wallet.next_expiry <= v_now THEN
        SELECT x.paid + x.free INTO v_expired FROM wallet.expired_credit(v_wallet.account_id, p_asset_type_id, v_now) x;
    END IF;
    v_view := v_wallet.balance - v_expired;
    -- Usually the call changes the wallet by its one entry: the entry is its event, with
    -- the wallet after it (migration 022). Otherwise (expired credit or holds, debt to
    -- repay) wallet.write_events writes the call's events after it.
    v_plain := v_expired = 0 AND v_since IS NULL AND (p_kind = 'spend' OR v_wallet.debt = 0);

    -- refused below, unless the key is a replay: what the account's status forbids, a spend
    -- past the day's limit, a credit past what a bigint holds or past the wallet's cap
    IF NOT v_wallet.unbounded THEN  -- the limits in force, read from the row locked above
        SELECT coalesce(w.max_balance, wallet.asset_max_balance(w.asset_type_id)) AS max_balance,
               coalesce(w.daily_spend_limit, wallet.asset_daily_spend_limit(w.asset_type_id)) AS daily_limit
        INTO v_limits
        FROM wallet.wallets w WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = p_asset_type_id;
        v_refused := CASE WHEN p_kind = 'spend' THEN
                              CASE WHEN v_wallet.account_status <> 'active' THEN 'status'
                                   WHEN v_wallet.spent_today + p_amount > v_limits.daily_limit THEN 'limit' END
                          WHEN v_wallet.account_status IN ('closed', 'erased') THEN 'status'
                          WHEN v_wallet.balance > 9223372036854775807 - p_amount THEN 'overflow'
                          WHEN v_view + p_amount > v_limits.max_balance THEN 'cap' END;
    ELSIF p_kind <> 'spend' AND v_wallet.balance > 9223372036854775807 - p_amount THEN
        v_refused := 'overflow';
    END IF;
    IF p_kind <> 'spend' AND v_refused IS NULL THEN
        IF p_kind = 'topup' OR p_class = 'paid' THEN v_paid := p_amount; ELSE v_free := p_amount; END IF;
        IF v_plain THEN  -- as variables: in the statement, each would be a CASE in three places
            v_paid_after := v_wallet.paid + v_paid; v_free_after := v_wallet.free + v_free; v_held_after := v_wallet.held;
        END IF;
        -- the entry, chained to the head read under the lock; it claims the key, and only
        -- if it was inserted do the lot and the cache follow
        v_entry_id := nextval('wallet.ledger_entries_entry_id_seq'::regclass);
        -- the row once: the planner folds each (x.r).field to its value
        INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
        SELECT (x.r).entry_id, (x.r).account_id, (x.r).asset_type_id, (x.r).kind, (x.r).debit_account_id,
               (x.r).credit_account_id, (x.r).amount, (x.r).balance_after, (x.r).idempotency_key, (x.r).metadata,
               (x.r).created_at, (x.r).paid_amount, (x.r).free_amount, NULL, NULL, 0, NULL, NULL, NULL,
               wallet.entry_hash(v_wallet.chain_head, x.r), (x.r).paid_after, (x.r).free_after, (x.r).held_after
        FROM (SELECT ROW(v_entry_id, v_wallet.account_id, p_asset_type_id, p_kind, wallet.treasury_account_id(),
                         v_wallet.account_id, p_amount, v_view + p_amount, p_idempotency_key, p_metadata, v_now,
                         v_paid, v_free, NULL, NULL, 0, NULL, NULL, NULL, NULL,
                         v_paid_after, v_free_after, v_held_after, NULL)::wallet.ledger_entries AS r) x
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;  -- both NULL when the key was taken
        IF v_wallet.has_holds THEN  -- the key the entry claimed may be one of the account's holds'
            PERFORM wallet.refuse_hold_key(v_wallet.account_id, p_idempotency_key);
        END IF;
        IF v_entry_id IS NOT NULL THEN
            INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining, expires_at)
            VALUES (v_wallet.account_id, p_asset_type_id, CASE WHEN v_paid > 0 THEN 'paid' ELSE 'free' END,
                    v_entry_id, p_amount, p_amount, p_expires_at);
            UPDATE wallet.wallets w
            SET balance = w.balance + p_amount, paid = w.paid + v_paid, free = w.free + v_free,
                next_expiry = least(w.next_expiry, p_expires_at), chain_head = v_hash
            WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = p_asset_type_id;
            v_balance := v_view + p_amount;
            IF v_wallet.debt > 0 THEN  -- the new lot repays what refunds left unrecovered, first
                v_balance := wallet.repay_debt(v_wallet.account_id, p_asset_type_id, v_entry_id,
                                               ARRAY(SELECT l.lot_id FROM wallet.lots l
                                                     WHERE l.account_id = v_wallet.account_id AND l.entry_id = v_entry_id),
                                               ARRAY[p_amount], v_wallet.debt, v_balance);
            END IF;
            IF NOT v_plain THEN
                PERFORM wallet.write_events(v_wallet.account_id, p_asset_type_id, coalesce(v_since, v_entry_id - 1),
                                            coalesce(v_released, '{}'));
            END IF;
            RETURN (v_entry_id, v_balance, false, v_paid, v_free)::wallet.posting;
        END IF;
    ELSIF p_kind = 'spend' AND v_refused IS NULL AND v_view - v_wallet.held >= p_amount THEN  -- held: not available
        -- The first class in spend order that holds credit; the asset's order is read only
        -- when both do. The probe below is wallet.take_in_spend_order's first step, made here
        -- rather than through it: the call cost a spend 35,000 instructions (4%).
        IF v_wallet.free = 0 THEN
            v_class := 'paid';
        ELSIF v_wallet.paid = 0 THEN
            v_class := 'free';
        ELSE  -- in its own statement: inside the expression, the sub-select made every call plan it anew
            SELECT CASE t.spend_order WHEN 'paid_first' THEN 'paid' ELSE 'free' END INTO v_class
            FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
        END IF;
        IF v_class = 'paid' THEN v_paid := p_amount; ELSE v_free := p_amount; END IF;
        -- Usually the first lot in spend order covers the spend: one probe finds it.
        SELECT l.lot_id, l.remaining INTO v_lot FROM wallet.lots l
        WHERE l.account_id = v_wallet.account_id AND l.asset_type_id = p_asset_type_id
          AND l.class = v_class AND l.open AND coalesce(l.expires_at, 'infinity') > v_now
        ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id
        LIMIT 1;
        IF v_lot.remaining >= p_amount THEN
            v_lot_ids := ARRAY[v_lot.lot_id]; v_lot_amounts := ARRAY[p_amount];
        ELSE  -- several lots
            v_plan := wallet.take_in_spend_order(v_wallet.account_id, p_asset_type_id, p_amount, v_now, v_wallet.paid,
                                                 v_wallet.free);
            v_lot_ids := v_plan.lot_ids; v_lot_amounts := v_plan.lot_amounts; v_paid := v_plan.paid; v_free := v_plan.free;
            IF v_paid + v_free < p_amount THEN  -- the cache promised credit the lots do not hold: never post on it
                RAISE EXCEPTION 'lots of account % asset % hold less than its balance', v_wallet.account_id, p_asset_type_id
                    USING ERRCODE = 'XX000', HINT = 'Run wallet_verify().';
            END IF;
        END IF;
        IF v_plain THEN
            v_paid_after := v_wallet.paid - v_paid; v_free_after := v_wallet.free - v_free; v_held_after := v_wallet.held;
        END IF;
        -- the entry, chained to the head read under the lock, claims the key and records
        -- the lot amounts, in order; only if it was inserted do the lots and the cache follow
        v_entry_id := nextval('wallet.ledger_entries_entry_id_seq'::regclass);
        -- the row once: the planner folds each (x.r).field to its value
        INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
        SELECT (x.r).entry_id, (x.r).account_id, (x.r).asset_type_id, (x.r).kind, (x.r).debit_account_id,
               (x.r).credit_account_id, (x.r).amount, (x.r).balance_after, (x.r).idempotency_key, (x.r).metadata,
               (x.r).created_at, (x.r).paid_amount, (x.r).free_amount, NULL, NULL, 0, (x.r).lot_ids,
               (x.r).lot_amounts, NULL, wallet.entry_hash(v_wallet.chain_head, x.r), (x.r).paid_after,
               (x.r).free_after, (x.r).held_after
        FROM (SELECT ROW(v_entry_id, v_wallet.account_id, p_asset_type_id, 'spend', v_wallet.account_id,
                         wallet.treasury_account_id(), p_amount, v_view - p_amount, p_idempotency_key, p_metadata,
                         v_now, v_paid, v_free, NULL, NULL, 0, v_lot_ids, v_lot_amounts, NULL, NULL,
                         v_paid_after, v_free_after, v_held_after, NULL)::wallet.ledger_entries AS r) x
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;  -- both NULL when the key was taken
        IF v_wallet.has_holds THEN  -- the key the entry claimed may be one of the account's holds'
            PERFORM wallet.refuse_hold_key(v_wallet.account_id, p_idempotency_key);
        END IF;
        IF v_entry_id IS NOT NULL THEN
            IF v_plan IS NULL THEN  -- usually: the one lot the probe found, by its key
                UPDATE wallet.lots l SET remaining = l.remaining - p_amount
                WHERE l.account_id = v_wallet.account_id AND l.lot_id = v_lot.lot_id;
            ELSE
                UPDATE wallet.lots l SET remaining = l.remaining - v_lot_amounts[array_position(v_lot_ids, l.lot_id)]
                -- l.open: read the account's open lots, not every lot it ever had
                WHERE l.account_id = v_wallet.account_id AND l.open AND l.lot_id = ANY (v_lot_ids);
            END IF;
            UPDATE wallet.wallets w
            SET balance = w.balance - p_amount, paid = w.paid - v_paid, free = w.free - v_free,
                chain_head = v_hash,
                -- counted whether or not a limit applies: a limit set later in the day sees it
                spent_day = wallet.utc_day(v_now), spent_today = v_wallet.spent_today + p_amount
            WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = p_asset_type_id;
            IF NOT v_plain THEN
                PERFORM wallet.write_events(v_wallet.account_id, p_asset_type_id, coalesce(v_since, v_entry_id - 1),
                                            coalesce(v_released, '{}'));
            END IF;
            RETURN (v_entry_id, v_view - p_amount, false, v_paid, v_free)::wallet.posting;
        END IF;
    END IF;

    -- The key is taken (a replay), or the posting cannot be applied: a replay wins.
    SELECT e.entry_id, e.kind, e.asset_type_id, e.amount, e.balance_after, e.paid_amount, e.free_amount
    INTO v_prior
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_wallet.account_id AND e.idempotency_key = p_idempotency_key;

    IF FOUND THEN
        IF (v_prior.kind, v_prior.asset_type_id, v_prior.amount)
           IS DISTINCT FROM (p_kind, p_asset_type_id, p_amount) THEN
            PERFORM wallet.refuse_reused_key(v_wallet.account_id, p_idempotency_key);
        END IF;
        IF p_kind <> 'spend' THEN  -- a credit that repaid debt answered the balance after the repayment
            v_prior.balance_after := wallet.answered_balance(v_wallet.account_id, v_prior.entry_id, v_prior.balance_after);
        END IF;
        IF v_since IS NOT NULL THEN  -- the replay released expired holds on its way
            PERFORM wallet.write_events(v_wallet.account_id, p_asset_type_id, v_since,
                                        coalesce(v_released, '{}'));
        END IF;
        RETURN (v_prior.entry_id, v_prior.balance_after, true, v_prior.paid_amount, v_prior.free_amount)::wallet.posting;
    END IF;

    IF v_wallet.has_holds THEN  -- a hold's key is no new request either
        PERFORM wallet.refuse_hold_key(v_wallet.account_id, p_idempotency_key);
    END IF;
    IF v_refused = 'status' THEN
        PERFORM wallet.refuse_inactive_account(v_wallet.account_status, CASE p_kind WHEN 'spend' THEN 'spends' ELSE 'credits' END);
    ELSIF v_refused = 'limit' THEN
        PERFORM wallet.refuse_over_daily_limit(v_limits.daily_limit, v_wallet.spent_today, p_amount);
    ELSIF v_refused = 'cap' THEN
        PERFORM wallet.refuse_over_cap(v_limits.max_balance, v_view, p_amount);
    END IF;
    IF v_refused = 'overflow' THEN
        RAISE EXCEPTION 'invalid_amount: the balance would exceed 9223372036854775807'
            USING ERRCODE = 'WA001', DETAIL = format('balance: %s, amount: %s', v_wallet.balance, p_amount);
    END IF;
    RAISE EXCEPTION 'insufficient_funds: available % is less than %', v_view - v_wallet.held, p_amount
        USING ERRCODE = 'WA006',
              DETAIL = format('available: %s, balance: %s, held: %s, amount: %s, asset: %s',
                              v_view - v_wallet.held, v_view, v_wallet.held, p_amount, p_asset_type_id);
END
$$;

REVOKE ALL ON FUNCTION wallet.post_entry(text, uuid, integer, bigint, text, jsonb, timestamptz, text) FROM PUBLIC;

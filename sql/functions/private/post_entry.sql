-- The one posting routine behind wallet_topup, wallet_bonus, wallet_spend and
-- wallet_post_batch. Locks only the user's wallet row (the Treasury balance is derived,
-- never cached), claims the idempotency key with the ledger insert itself, then updates
-- the cache. Callable only by those SECURITY DEFINER functions, whose pinned search_path
-- it runs under (every name here is schema-qualified); no SET of its own, which would
-- cost a configuration save and restore on every posting.
CREATE OR REPLACE FUNCTION wallet.post_entry(
    p_kind            text,
    p_user_id         uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_metadata        jsonb
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_account_id  bigint;
    v_balance     bigint;
    v_new_balance bigint;
    v_entry_id    bigint;
    v_prior       record;
BEGIN
    IF p_amount IS NULL OR p_amount NOT BETWEEN 1 AND 9007199254740991 THEN
        RAISE EXCEPTION 'invalid_amount: amount must be an integer from 1 to 9007199254740991'
            USING ERRCODE = 'WA001', DETAIL = format('amount: %s', coalesce(p_amount::text, 'null'));
    END IF;
    IF p_user_id IS NULL OR p_asset_type_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: user_id and asset_type_id are required'
            USING ERRCODE = 'WA002';
    END IF;
    -- visible ASCII only, as an HTTP header carries it: one spelling per key
    IF p_idempotency_key IS NULL OR p_idempotency_key !~ '^[!-~]{1,255}$' THEN
        RAISE EXCEPTION 'invalid_request: idempotency key must be 1 to 255 visible ASCII characters (! to ~)'
            USING ERRCODE = 'WA002';
    END IF;
    p_metadata := coalesce(p_metadata, '{}'::jsonb);
    IF jsonb_typeof(p_metadata) <> 'object' OR octet_length(p_metadata::text) > 4096 THEN
        RAISE EXCEPTION 'invalid_request: metadata must be a JSON object of at most 4 KiB'
            USING ERRCODE = 'WA002';
    END IF;

    SELECT w.account_id, w.balance INTO v_account_id, v_balance
    FROM wallet.accounts a
    JOIN wallet.wallets w ON w.account_id = a.account_id AND w.asset_type_id = p_asset_type_id
    WHERE a.user_id = p_user_id
    FOR UPDATE OF w;

    IF NOT FOUND THEN
        -- Rare path: unknown user or asset, or an asset added after the account was opened.
        SELECT a.account_id INTO v_account_id FROM wallet.accounts a WHERE a.user_id = p_user_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account_not_found: no account for user %', p_user_id
                USING ERRCODE = 'WA003', HINT = 'Open it with wallet_open_account().';
        END IF;
        PERFORM FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id
                USING ERRCODE = 'WA004';
        END IF;
        INSERT INTO wallet.wallets AS w (account_id, asset_type_id)
        VALUES (v_account_id, p_asset_type_id)
        ON CONFLICT DO NOTHING;
        SELECT w.balance INTO v_balance
        FROM wallet.wallets w
        WHERE w.account_id = v_account_id AND w.asset_type_id = p_asset_type_id
        FOR UPDATE;
    END IF;

    IF p_kind = 'spend' THEN
        v_new_balance := v_balance - p_amount;        -- cannot overflow: both are >= 0
    ELSIF v_balance <= 9223372036854775807 - p_amount THEN
        v_new_balance := v_balance + p_amount;
    END IF;                                           -- else NULL: the balance would overflow

    IF v_new_balance >= 0 THEN
        INSERT INTO wallet.ledger_entries AS e
            (account_id, asset_type_id, kind, debit_account_id, credit_account_id,
             amount, balance_after, idempotency_key, metadata)
        SELECT v_account_id, p_asset_type_id, p_kind,
               CASE WHEN p_kind = 'spend' THEN v_account_id ELSE t.account_id END,
               CASE WHEN p_kind = 'spend' THEN t.account_id ELSE v_account_id END,
               p_amount, v_new_balance, p_idempotency_key, p_metadata
        FROM wallet.accounts t
        WHERE t.system_code = 'treasury'
        ON CONFLICT (account_id, idempotency_key) DO NOTHING
        RETURNING e.entry_id INTO v_entry_id;

        IF v_entry_id IS NOT NULL THEN
            UPDATE wallet.wallets w SET balance = v_new_balance
            WHERE w.account_id = v_account_id AND w.asset_type_id = p_asset_type_id;
            RETURN QUERY SELECT v_entry_id, v_new_balance, false;
            RETURN;
        END IF;
    END IF;

    -- The key is taken (a replay), or the posting cannot be applied: a replay wins.
    SELECT e.entry_id, e.kind, e.asset_type_id, e.amount, e.balance_after INTO v_prior
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id AND e.idempotency_key = p_idempotency_key;

    IF FOUND THEN
        IF (v_prior.kind, v_prior.asset_type_id, v_prior.amount)
           IS DISTINCT FROM (p_kind, p_asset_type_id, p_amount) THEN
            RAISE EXCEPTION 'idempotency_key_reused: key % was used for a different request', p_idempotency_key
                USING ERRCODE = 'WA005',
                      DETAIL = format('first request: %s of %s on asset %s (entry %s)',
                                      v_prior.kind, v_prior.amount, v_prior.asset_type_id, v_prior.entry_id),
                      HINT = 'Use a new key for a new request.';
        END IF;
        RETURN QUERY SELECT v_prior.entry_id, v_prior.balance_after, true;
        RETURN;
    END IF;

    IF p_kind = 'spend' THEN
        RAISE EXCEPTION 'insufficient_funds: balance % is less than %', v_balance, p_amount
            USING ERRCODE = 'WA006',
                  DETAIL = format('balance: %s, amount: %s, asset: %s', v_balance, p_amount, p_asset_type_id);
    END IF;
    RAISE EXCEPTION 'invalid_amount: the balance would exceed 9223372036854775807'
        USING ERRCODE = 'WA001', DETAIL = format('balance: %s, amount: %s', v_balance, p_amount);
END
$$;

REVOKE ALL ON FUNCTION wallet.post_entry(text, uuid, integer, bigint, text, jsonb) FROM PUBLIC;

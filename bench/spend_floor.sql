-- The floor of a spend, for bench/instructions.py only (never migrated): the statements a
-- spend runs (the wallet locked, the first lot probed, the entry inserted with its hash
-- and its key claimed, the lot and the wallet updated) with none of its rules: no
-- argument check, status, limit, expiry, hold, debt or replay handling, one lot always.
-- What a spend costs above this is its rules; what this costs is the schema's
-- (its indexes, the wallet's CHECK, the lots' generated flag, the chain's hash).
-- Its statements are wallet.post_entry's spend statements, copied: keep them in step.
CREATE FUNCTION public.bench_spend_floor(p_user_id uuid, p_asset_type_id integer, p_amount bigint,
                                         p_idempotency_key text)
RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    v_now      timestamptz := now();
    v_wallet   record;
    v_lot      record;
    v_entry_id bigint;
    v_hash     bytea;
BEGIN
    SELECT w.account_id, w.balance, w.paid, w.free, w.chain_head INTO v_wallet
    FROM wallet.wallets w
    WHERE w.account_id = (SELECT a.account_id FROM wallet.accounts a WHERE a.user_id = p_user_id)
      AND w.asset_type_id = p_asset_type_id
    FOR UPDATE;
    SELECT l.lot_id, l.remaining INTO v_lot FROM wallet.lots l
    WHERE l.account_id = v_wallet.account_id AND l.asset_type_id = p_asset_type_id
      AND l.class = 'paid' AND l.open AND coalesce(l.expires_at, 'infinity') > v_now
    ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id
    LIMIT 1;
    v_entry_id := nextval('wallet.ledger_entries_entry_id_seq'::regclass);
    INSERT INTO wallet.ledger_entries AS e OVERRIDING SYSTEM VALUE
    SELECT (x.r).entry_id, (x.r).account_id, (x.r).asset_type_id, (x.r).kind, (x.r).debit_account_id,
           (x.r).credit_account_id, (x.r).amount, (x.r).balance_after, (x.r).idempotency_key, (x.r).metadata,
           (x.r).created_at, (x.r).paid_amount, (x.r).free_amount, NULL, NULL, 0, (x.r).lot_ids,
           (x.r).lot_amounts, NULL, wallet.entry_hash(v_wallet.chain_head, x.r), (x.r).paid_after,
           (x.r).free_after, (x.r).held_after
    FROM (SELECT ROW(v_entry_id, v_wallet.account_id, p_asset_type_id, 'spend', v_wallet.account_id,
                     wallet.treasury_account_id(), p_amount, v_wallet.balance - p_amount, p_idempotency_key,
                     '{}'::jsonb, v_now, p_amount, 0, NULL, NULL, 0, ARRAY[v_lot.lot_id], ARRAY[p_amount], NULL,
                     NULL, v_wallet.paid - p_amount, v_wallet.free, 0, NULL)::wallet.ledger_entries AS r) x
    ON CONFLICT (account_id, idempotency_key) DO NOTHING
    RETURNING e.entry_id, e.hash INTO v_entry_id, v_hash;
    UPDATE wallet.lots l SET remaining = l.remaining - p_amount
    WHERE l.account_id = v_wallet.account_id AND l.lot_id = v_lot.lot_id;
    UPDATE wallet.wallets w
    SET balance = w.balance - p_amount, paid = w.paid - p_amount, chain_head = v_hash,
        spent_day = wallet.utc_day(v_now), spent_today = p_amount
    WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = p_asset_type_id;
    entry_id := v_entry_id; balance := v_wallet.balance - p_amount; replayed := false;
    paid_amount := p_amount; free_amount := 0;
    RETURN NEXT;
END
$$;

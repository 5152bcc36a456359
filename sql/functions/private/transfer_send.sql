-- A transfer between shards, step 1, on the sender's shard: takes the amount (user ->
-- Transit) and the fee (user -> Treasury) as wallet_transfer would, and records the
-- transfer ('sent', with the lots the recipient is to get) in the same transaction. The
-- sender's key makes it idempotent: a repeated call answers the recorded transfer in its
-- present state (or idempotency_key_reused when the key named something else).
-- p_dry_run: the real call in a block undone at its end.
CREATE OR REPLACE FUNCTION wallet.transfer_send(
    p_from_user_id    uuid,
    p_to_user_id      uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_fee             bigint,
    p_metadata        jsonb,
    p_dry_run         boolean
) RETURNS TABLE (transfer_id uuid, state text, entry_id bigint, balance bigint, replayed boolean,
                 paid_amount bigint, free_amount bigint, lots jsonb, metadata jsonb, to_entry_id bigint,
                 to_balance bigint, refusal_code text, refusal_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
#variable_conflict use_column
DECLARE
    v_from    bigint;
    v_policy  text;
    v_moved   wallet.moved;
    v_preview record;
BEGIN
    IF p_dry_run THEN
        BEGIN
            SELECT * INTO v_preview FROM wallet.transfer_send(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                                              p_idempotency_key, p_fee, p_metadata, false);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            NULL;
        END;
        RETURN QUERY  -- what a new transfer would get is not known yet
        SELECT CASE WHEN v_preview.replayed THEN v_preview.transfer_id END, v_preview.state,
               CASE WHEN v_preview.replayed THEN v_preview.entry_id END, v_preview.balance, v_preview.replayed,
               v_preview.paid_amount, v_preview.free_amount, v_preview.lots, v_preview.metadata,
               v_preview.to_entry_id, v_preview.to_balance, v_preview.refusal_code, v_preview.refusal_message;
        RETURN;
    END IF;
    PERFORM wallet.checked_transfer_args(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee);
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    v_from := wallet.user_account_id(p_from_user_id);
    SELECT t.transfer_policy INTO v_policy FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
    END IF;

    v_moved := wallet.move_credit('transfer', v_from, p_asset_type_id, NULL, NULL, p_amount, p_fee, v_policy, 1, 1,
                                  p_idempotency_key, p_metadata);
    IF NOT v_moved.replayed THEN
        INSERT INTO wallet.shard_transfers (transfer_id, side, account_id, from_user_id, to_user_id, asset_type_id,
                                            amount, fee, out_entry_id, lots, state)
        SELECT gen_random_uuid(), 'out', v_from, p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee,
               e.entry_id,
               (SELECT jsonb_agg(jsonb_build_object('class', l.class, 'expires_at', l.expires_at, 'amount', t.amount)
                                 ORDER BY t.n)
                FROM unnest(e.lot_ids, e.lot_amounts) WITH ORDINALITY AS t (lot_id, amount, n)
                JOIN wallet.lots l ON l.account_id = v_from AND l.lot_id = t.lot_id),
               'sent'
        FROM wallet.ledger_entries e
        WHERE e.account_id = v_from AND e.entry_id = v_moved.entry_id;
    ELSIF NOT EXISTS (SELECT FROM wallet.shard_transfers t
                      WHERE t.account_id = v_from AND t.out_entry_id = v_moved.entry_id AND t.side = 'out'
                        AND t.to_user_id = p_to_user_id) THEN
        PERFORM wallet.refuse_reused_key(v_from, p_idempotency_key);  -- the key moved credit to someone else
    END IF;
    RETURN QUERY
    SELECT t.transfer_id, t.state, v_moved.entry_id, v_moved.balance, v_moved.replayed, v_moved.paid_amount,
           v_moved.free_amount, t.lots, e.metadata, t.in_entry_id, t.in_balance, t.refusal_code, t.refusal_message
    FROM wallet.shard_transfers t
    JOIN wallet.ledger_entries e ON e.account_id = t.account_id AND e.entry_id = t.out_entry_id
    WHERE t.account_id = v_from AND t.out_entry_id = v_moved.entry_id AND t.side = 'out';
END
$$;

REVOKE ALL ON FUNCTION wallet.transfer_send(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) FROM PUBLIC;

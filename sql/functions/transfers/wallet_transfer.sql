-- User -> user: moves p_amount from the sender's wallet to the recipient's, and p_fee
-- from the sender to the Treasury, in one transaction. What moves is taken in the
-- asset's spend order from the classes its transfer policy lets move, the fee after the
-- amount; the recipient gets one lot per lot taken, of its class and expiry, so bought
-- credit stays bought and a promotion still ends on its day. Keys are the sender's.
-- Both wallets are locked in (account, asset) order, so transfers in opposite
-- directions never deadlock. The moving itself is wallet.move_credit's, shared with
-- wallet_exchange. p_dry_run: what the call would answer now (new entries' ids NULL),
-- writing nothing.
CREATE OR REPLACE FUNCTION public.wallet_transfer(
    p_from_user_id    uuid,
    p_to_user_id      uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_fee             bigint DEFAULT 0,
    p_metadata        jsonb DEFAULT '{}',
    p_dry_run         boolean DEFAULT false
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_balance bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- custom plans, chosen once the tables grew, were made anew per call
AS $$
DECLARE
    v_from   bigint;
    v_to     bigint;
    v_policy text;
    v_moved  wallet.moved;
    v_preview record;
BEGIN
    IF p_dry_run THEN  -- the real call in a block undone at its end: no write, no lock, no key kept
        BEGIN
            SELECT * INTO v_preview FROM public.wallet_transfer(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                                       p_idempotency_key, p_fee, p_metadata);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            NULL;
        END;
        RETURN QUERY SELECT CASE WHEN v_preview.replayed THEN v_preview.entry_id END, v_preview.balance, v_preview.replayed,
                            v_preview.paid_amount, v_preview.free_amount,
                            CASE WHEN v_preview.replayed THEN v_preview.to_entry_id END, v_preview.to_balance;  -- the ids a new transfer's entries would get are not known
        RETURN;
    END IF;
    -- refused in the contract's order, before any balance
    PERFORM wallet.checked_transfer_args(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee);
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    v_from := wallet.user_account_id(p_from_user_id);
    v_to := wallet.user_account_id(p_to_user_id);
    SELECT t.transfer_policy INTO v_policy FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id USING ERRCODE = 'WA004';
    END IF;

    v_moved := wallet.move_credit('transfer', v_from, p_asset_type_id, v_to, p_asset_type_id, p_amount, p_fee,
                                  v_policy, 1, 1, p_idempotency_key, p_metadata);
    RETURN QUERY SELECT v_moved.entry_id, v_moved.balance, v_moved.replayed, v_moved.paid_amount,
                        v_moved.free_amount, v_moved.to_entry_id, v_moved.to_balance;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) TO wallet_service;

-- Converts p_amount of one asset into another at the operator's rate (a rate is one
-- direction only): an exchange_out entry (user -> Treasury) on the first asset and an
-- exchange_in entry (Treasury -> user) of floor(p_amount * numerator / denominator) on
-- the second, one transaction, the user's two wallets locked in asset order. Each lot
-- taken gives one lot of its class and expiry on the second asset, sized by cumulative
-- rounding so that they add up exactly. A replay answers the first call, whatever the
-- rate is now. The moving itself is wallet.move_credit's, shared with wallet_transfer.
-- p_dry_run: what the call would answer now (new entries' ids NULL), writing nothing.
CREATE OR REPLACE FUNCTION public.wallet_exchange(
    p_user_id            uuid,
    p_from_asset_type_id integer,
    p_to_asset_type_id   integer,
    p_amount             bigint,
    p_idempotency_key    text,
    p_metadata           jsonb DEFAULT '{}',
    p_dry_run            boolean DEFAULT false
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_amount bigint, to_balance bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- custom plans, chosen once the tables grew, were made anew per call
AS $$
DECLARE
    v_account bigint;
    v_rate    record;
    v_moved   wallet.moved;
    v_preview record;
BEGIN
    IF p_dry_run THEN  -- the real call in a block undone at its end: no write, no lock, no key kept
        BEGIN
            SELECT * INTO v_preview FROM public.wallet_exchange(p_user_id, p_from_asset_type_id, p_to_asset_type_id, p_amount,
                                                       p_idempotency_key, p_metadata);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            NULL;
        END;
        RETURN QUERY SELECT CASE WHEN v_preview.replayed THEN v_preview.entry_id END, v_preview.balance, v_preview.replayed,
                            v_preview.paid_amount, v_preview.free_amount,
                            CASE WHEN v_preview.replayed THEN v_preview.to_entry_id END, v_preview.to_amount,
                            v_preview.to_balance;  -- the ids a new exchange's entries would get are not known
        RETURN;
    END IF;
    IF p_user_id IS NULL OR p_from_asset_type_id IS NULL OR p_to_asset_type_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: user_id, from_asset_type_id and to_asset_type_id are required'
            USING ERRCODE = 'WA002';
    END IF;
    IF p_from_asset_type_id = p_to_asset_type_id THEN
        RAISE EXCEPTION 'invalid_request: an exchange needs two different assets' USING ERRCODE = 'WA002';
    END IF;
    p_metadata := wallet.checked_write_args(p_amount, p_idempotency_key, p_metadata);
    v_account := wallet.user_account_id(p_user_id);
    -- a rate names two assets that exist (its foreign keys); with none, an unknown asset is
    -- asset_not_found, and no rate is refused after a replay has had its answer (wallet.move_credit)
    SELECT r.numerator, r.denominator INTO v_rate FROM wallet.exchange_rates r
    WHERE r.from_asset_type_id = p_from_asset_type_id AND r.to_asset_type_id = p_to_asset_type_id;
    IF NOT FOUND THEN
        PERFORM wallet.refuse_unknown_assets(p_from_asset_type_id, p_to_asset_type_id);
    END IF;

    v_moved := wallet.move_credit('exchange', v_account, p_from_asset_type_id, v_account, p_to_asset_type_id, p_amount,
                                  0, 'all', v_rate.numerator, v_rate.denominator, p_idempotency_key, p_metadata);
    RETURN QUERY SELECT v_moved.entry_id, v_moved.balance, v_moved.replayed, v_moved.paid_amount,
                        v_moved.free_amount, v_moved.to_entry_id, v_moved.to_amount, v_moved.to_balance;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_exchange(uuid, integer, integer, bigint, text, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_exchange(uuid, integer, integer, bigint, text, jsonb, boolean) TO wallet_service;

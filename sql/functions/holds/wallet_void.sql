-- Releases the whole of an open hold: its credit goes back to its lots (credit of a lot
-- that expired meanwhile expires now). Voiding a voided hold answers its state again;
-- a hold captured or past its expires_at is hold_not_open with the state in DETAIL.
-- Returns the wallet's available credit after the call.
CREATE OR REPLACE FUNCTION public.wallet_void(p_user_id uuid, p_hold_id bigint)
RETURNS TABLE (hold_id bigint, available bigint, state text)
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
    v_available  bigint;
    v_since      bigint;  -- the account's newest entry before this call
    v_released   bigint[] := '{}'::bigint[];  -- holds this call released (expired)
    v_opening    wallet.opening;
    v_voided     bigint;  -- this hold, if this call voided it
BEGIN
    IF p_hold_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: hold_id is required' USING ERRCODE = 'WA002';
    END IF;
    v_hold := wallet.locked_hold(p_user_id, p_hold_id, NULL);
    v_account_id := v_hold.account_id;
    v_asset := v_hold.asset_type_id;
    -- expired by its state (a sweep with a later clock released it while this call waited
    -- for the wallet) or by this call's clock
    IF v_hold.state IN ('captured', 'expired') OR v_hold.state = 'open' AND v_hold.expires_at <= v_now THEN
        RAISE EXCEPTION 'hold_not_open: hold % is %', p_hold_id, CASE v_hold.state WHEN 'open' THEN 'expired' ELSE v_hold.state END
            USING ERRCODE = 'WA010',
                  DETAIL = format('state: %s', CASE v_hold.state WHEN 'open' THEN 'expired' ELSE v_hold.state END);
    END IF;
    IF v_hold.next_hold_expiry <= v_now THEN  -- the wallet's other holds that have expired end first
        v_opening := wallet.release_due_holds(v_account_id, v_asset, v_now);
        v_since := v_opening.since; v_released := v_opening.released;
    ELSE
        SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = v_account_id;
    END IF;
    IF v_hold.state = 'open' THEN
        PERFORM wallet.release_held_credit(v_account_id, v_asset, p_hold_id, v_hold.amount,
                                           v_hold.lot_ids, v_hold.lot_amounts, v_now);
        UPDATE wallet.holds h SET state = 'voided', closed_at = v_now
        WHERE h.account_id = v_account_id AND h.hold_id = p_hold_id;
        v_voided := p_hold_id;
    END IF;

    SELECT v.available INTO v_available FROM wallet.wallet_view(v_account_id, v_asset, v_now) v;
    IF cardinality(v_released) > 0 OR v_voided IS NOT NULL THEN
        PERFORM wallet.write_events(v_account_id, v_asset, v_since, v_released, v_voided, 'voided');
    END IF;
    RETURN QUERY SELECT p_hold_id, v_available, 'voided'::text;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_void(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_void(uuid, bigint) TO wallet_service;

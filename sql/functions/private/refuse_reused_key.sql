-- The one idempotency_key_reused refusal (WA005): the key is the account's already, for a
-- different request. DETAIL names that first request from what the ledger or the holds
-- recorded (holds and entries share the account's key space). Every writer refuses
-- through it, so the refusal reads the same whichever write found the key taken.
CREATE OR REPLACE FUNCTION wallet.refuse_reused_key(p_account_id bigint, p_idempotency_key text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_first text;
BEGIN
    SELECT format('%s of %s on asset %s (entry %s)', e.kind, e.amount, e.asset_type_id, e.entry_id) INTO v_first
    FROM wallet.ledger_entries e
    WHERE e.account_id = p_account_id AND e.idempotency_key = p_idempotency_key;
    IF v_first IS NULL THEN
        SELECT format('hold of %s on asset %s (hold %s)', h.amount, h.asset_type_id, h.hold_id) INTO v_first
        FROM wallet.holds h
        WHERE h.account_id = p_account_id AND h.idempotency_key = p_idempotency_key;
    END IF;
    RAISE EXCEPTION 'idempotency_key_reused: key % was used for a different request', p_idempotency_key
        USING ERRCODE = 'WA005', DETAIL = 'first request: ' || coalesce(v_first, 'not found'),
              HINT = 'Use a new key for a new request.';
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_reused_key(bigint, text) FROM PUBLIC;

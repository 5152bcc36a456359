-- A write keyed like one of the user account's holds is a different request: holds and
-- entries share the account's key space. Entry writers call it, on a wallet whose
-- account has made holds (has_holds), after their entry has claimed the key among
-- entries; under the wallet lock, a hold in flight with the key has committed by then.
CREATE OR REPLACE FUNCTION wallet.refuse_hold_key(p_account_id bigint, p_idempotency_key text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_hold record;
BEGIN
    SELECT h.hold_id, h.asset_type_id, h.amount INTO v_hold
    FROM wallet.holds h
    WHERE h.account_id = p_account_id AND h.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        RAISE EXCEPTION 'idempotency_key_reused: key % was used for a different request', p_idempotency_key
            USING ERRCODE = 'WA005',
                  DETAIL = format('first request: hold of %s on asset %s (hold %s)',
                                  v_hold.amount, v_hold.asset_type_id, v_hold.hold_id),
                  HINT = 'Use a new key for a new request.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_hold_key(bigint, text) FROM PUBLIC;

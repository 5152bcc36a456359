-- A write keyed like one of the user account's holds is a different request: holds and
-- entries share the account's key space. Entry writers call it, on a wallet whose
-- account has made holds (has_holds), after their entry has claimed the key among
-- entries; under the wallet lock, a hold in flight with the key has committed by then.
CREATE OR REPLACE FUNCTION wallet.refuse_hold_key(p_account_id bigint, p_idempotency_key text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM FROM wallet.holds h WHERE h.account_id = p_account_id AND h.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        PERFORM wallet.refuse_reused_key(p_account_id, p_idempotency_key);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_hold_key(bigint, text) FROM PUBLIC;

-- Sets an account's status: active, frozen or closed (erased is the data life cycle's),
-- in any direction, with a reason of 1 to 500 characters; keeps who (the caller's login,
-- or the API's named caller in wallet.actor) and when, and answers the previous status.
-- It locks every wallet of the account first (in asset order, as every multi-wallet lock
-- does) and copies the status onto them, so a posting that holds a wallet lock either
-- committed before the change or sees it. Each change is an account.status_changed event.
CREATE OR REPLACE FUNCTION public.wallet_set_account_status(p_user_id uuid, p_status text, p_reason text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
    v_previous   text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('active', 'frozen', 'closed') THEN
        RAISE EXCEPTION 'invalid_request: status must be active, frozen or closed'
            USING ERRCODE = 'WA002', DETAIL = format('status: %s', coalesce(p_status, 'null'));
    END IF;
    IF p_reason IS NULL OR length(p_reason) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'invalid_request: reason must be 1 to 500 characters' USING ERRCODE = 'WA002';
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);
    PERFORM FROM wallet.wallets w WHERE w.account_id = v_account_id ORDER BY w.asset_type_id FOR UPDATE;
    SELECT a.status INTO v_previous FROM wallet.accounts a WHERE a.account_id = v_account_id FOR UPDATE;
    IF v_previous = 'erased' THEN
        RAISE EXCEPTION 'account_not_active: account of user % is erased', p_user_id
            USING ERRCODE = 'WA011', DETAIL = 'status: erased';
    END IF;
    UPDATE wallet.accounts a
    SET status = p_status, status_reason = p_reason, status_changed_at = now(),
        status_changed_by = coalesce(nullif(current_setting('wallet.actor', true), ''), session_user)
    WHERE a.account_id = v_account_id;
    UPDATE wallet.wallets w SET account_status = p_status
    WHERE w.account_id = v_account_id AND w.account_status <> p_status;
    INSERT INTO wallet.events (account_id, type, metadata)
    VALUES (v_account_id, 'account.status_changed',
            jsonb_build_object('status', p_status, 'previous_status', v_previous, 'reason', p_reason));
    RETURN v_previous;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_account_status(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_set_account_status(uuid, text, text) TO wallet_service;

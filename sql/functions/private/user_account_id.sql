-- The account of a user, or account_not_found: how every function that reads a user's
-- wallets finds it.
CREATE OR REPLACE FUNCTION wallet.user_account_id(p_user_id uuid) RETURNS bigint
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    SELECT a.account_id INTO v_account_id FROM wallet.accounts a WHERE a.user_id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account_not_found: no account for user %', coalesce(p_user_id::text, 'null')
            USING ERRCODE = 'WA003', HINT = 'Open it with wallet_open_account().';
    END IF;
    RETURN v_account_id;
END
$$;

REVOKE ALL ON FUNCTION wallet.user_account_id(uuid) FROM PUBLIC;

-- The one account_not_active refusal (WA011): the account's status (frozen, closed or
-- erased) forbids this kind of write. DETAIL carries the status (the API answers it as
-- the problem's account_status). Writers call it under the wallet lock, after a replay
-- has had its answer: a replay of an old key answers whatever the status is now.
CREATE OR REPLACE FUNCTION wallet.refuse_inactive_account(p_status text, p_what text) RETURNS void
LANGUAGE plpgsql
IMMUTABLE  -- it reads nothing; callers pass the status they read, never a constant the planner could fold
AS $$
BEGIN
    RAISE EXCEPTION 'account_not_active: the account is %, which refuses %', p_status, p_what
        USING ERRCODE = 'WA011', DETAIL = format('status: %s', p_status);
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_inactive_account(text, text) FROM PUBLIC;

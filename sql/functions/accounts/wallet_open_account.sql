-- Creates the user account with a zero wallet for every asset; calling it again for the
-- same user returns the same account and changes nothing. Returns the account's id.
CREATE OR REPLACE FUNCTION public.wallet_open_account(p_user_id uuid, p_name text)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
    SELECT s.account_id FROM public.wallet_open_account_status(p_user_id, p_name) s;
$$;

REVOKE ALL ON FUNCTION public.wallet_open_account(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_open_account(uuid, text) TO wallet_service;

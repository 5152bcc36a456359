-- The argon2 hash and scopes of one user or service client, for the API's login check.
-- No row when the subject is unknown.
CREATE OR REPLACE FUNCTION public.wallet_auth_credential(p_kind text, p_subject text)
RETURNS TABLE (secret_hash text, scopes text[])
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
    SELECT c.secret_hash, c.scopes FROM wallet.credentials c
    WHERE c.kind = p_kind AND c.subject = p_subject;
$$;

REVOKE ALL ON FUNCTION public.wallet_auth_credential(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_auth_credential(text, text) TO wallet_auth;

-- Since when a user's or service client's tokens are good: when its current secret was
-- set. NULL when the login no longer exists (revoked). The API asks it, at most every
-- WALLET_CREDENTIAL_CHECK_SECONDS per subject and worker, before trusting a token.
CREATE OR REPLACE FUNCTION public.wallet_credential_valid_since(p_kind text, p_subject text)
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
    SELECT c.valid_since FROM wallet.credentials c WHERE c.kind = p_kind AND c.subject = p_subject;
$$;

REVOKE ALL ON FUNCTION public.wallet_credential_valid_since(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_credential_valid_since(text, text) TO wallet_auth;

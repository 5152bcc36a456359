-- Deletes a login (kind user, service or staff); its tokens stop working within
-- WALLET_CREDENTIAL_CHECK_SECONDS. Answers whether there was one. The owner's call; through
-- the router it runs on the subject's shard.
CREATE OR REPLACE FUNCTION public.wallet_revoke_credential(p_kind text, p_subject text)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH revoked AS (
        DELETE FROM wallet.credentials c WHERE c.kind = p_kind AND c.subject = p_subject RETURNING 1
    )
    SELECT EXISTS (SELECT FROM revoked);
$$;

REVOKE ALL ON FUNCTION public.wallet_revoke_credential(text, text) FROM PUBLIC;

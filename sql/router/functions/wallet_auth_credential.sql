-- A credential lives on the shard of its subject (a user's uuid or a client id).
CREATE OR REPLACE FUNCTION public.wallet_auth_credential(p_kind text, p_subject text)
RETURNS TABLE (secret_hash text, scopes text[])
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.key_hash(p_subject);
$$;

REVOKE ALL ON FUNCTION public.wallet_auth_credential(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_auth_credential(text, text) TO wallet_auth;

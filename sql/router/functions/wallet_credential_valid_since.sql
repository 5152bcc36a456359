-- Read where the credential lives: the shard of its subject.
CREATE OR REPLACE FUNCTION public.wallet_credential_valid_since(p_kind text, p_subject text)
RETURNS timestamptz
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.key_hash(p_subject);
$$;

REVOKE ALL ON FUNCTION public.wallet_credential_valid_since(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_credential_valid_since(text, text) TO wallet_auth;

-- A credential is written on the shard of its subject (a user's uuid or a client id),
-- where wallet_auth_credential reads it.
CREATE OR REPLACE FUNCTION public.wallet_set_credential(p_kind text, p_subject text, p_secret_hash text,
                                                        p_scopes text[] DEFAULT '{}')
RETURNS void
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.key_hash(p_subject);
$$;

REVOKE ALL ON FUNCTION public.wallet_set_credential(text, text, text, text[]) FROM PUBLIC;

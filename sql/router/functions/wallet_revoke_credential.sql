-- A credential is deleted on the shard of its subject, where it was written.
CREATE OR REPLACE FUNCTION public.wallet_revoke_credential(p_kind text, p_subject text)
RETURNS boolean
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.key_hash(p_subject);
$$;

REVOKE ALL ON FUNCTION public.wallet_revoke_credential(text, text) FROM PUBLIC;

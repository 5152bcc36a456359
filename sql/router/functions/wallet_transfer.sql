-- A transfer runs on the sender's shard. Both users must live there: a transfer between
-- users on two shards cannot be one transaction, and this router does not make it in
-- steps, so it refuses it (operation_not_allowed) rather than let the sender's shard
-- answer that the recipient has no account.
CREATE OR REPLACE FUNCTION router.transfer_on_shard(
    p_from_user_id uuid, p_to_user_id uuid, p_asset_type_id integer, p_amount bigint, p_idempotency_key text,
    p_fee bigint, p_metadata jsonb, p_dry_run boolean
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_balance bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_from_user_id);
    TARGET wallet_transfer;
$$;

CREATE OR REPLACE FUNCTION public.wallet_transfer(
    p_from_user_id    uuid,
    p_to_user_id      uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_fee             bigint DEFAULT 0,
    p_metadata        jsonb DEFAULT '{}',
    p_dry_run         boolean DEFAULT false
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_balance bigint)
LANGUAGE plpgsql
SECURITY DEFINER  -- it reaches the router's helpers, as wallet_post_batch's twin does
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_from_user_id IS DISTINCT FROM p_to_user_id
       AND router.user_hash(p_from_user_id) & (router.shard_count() - 1)
           <> router.user_hash(p_to_user_id) & (router.shard_count() - 1) THEN
        RAISE EXCEPTION 'operation_not_allowed: the sender and the recipient are on different shards'
            USING ERRCODE = 'WA014';
    END IF;
    RETURN QUERY SELECT * FROM router.transfer_on_shard(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                                        p_idempotency_key, p_fee, p_metadata, p_dry_run);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) TO wallet_service;

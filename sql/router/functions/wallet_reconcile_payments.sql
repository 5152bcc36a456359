-- Reconciliation across the shards: each shard compares the payments of the users it
-- holds (split here as PL/Proxy routes a user, hash & (shards - 1)) and reports its own
-- unknown top-ups, so every shard is asked, with an empty list if none of the payments
-- is its users'. Payments that are no array, or more than one call takes, go whole to
-- the first shard, whose refusal is the answer.
CREATE OR REPLACE FUNCTION router.reconcile_on(p_shard integer, p_from timestamptz, p_to timestamptz,
                                               p_payments jsonb, p_part integer, p_parts integer)
RETURNS TABLE (payment_id text, user_id uuid, issue text, expected bigint, found bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON p_shard;
    SELECT r.* FROM wallet_reconcile_payments(p_from, p_to, p_payments, p_part, p_parts) r;
$$;

CREATE OR REPLACE FUNCTION public.wallet_reconcile_payments(
    p_from     timestamptz,
    p_to       timestamptz,
    p_payments jsonb,
    p_part     integer DEFAULT 0,
    p_parts    integer DEFAULT 1
) RETURNS TABLE (payment_id text, user_id uuid, issue text, expected bigint, found bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shards integer := router.shard_count();
BEGIN
    IF jsonb_typeof(p_payments) IS DISTINCT FROM 'array' OR jsonb_array_length(p_payments) > 100000 THEN
        RETURN QUERY SELECT * FROM router.reconcile_on(0, p_from, p_to, p_payments, p_part, p_parts);
        RETURN;
    END IF;
    FOR v_shard IN 0 .. v_shards - 1 LOOP
        RETURN QUERY
        SELECT * FROM router.reconcile_on(
            v_shard, p_from, p_to,
            coalesce((SELECT jsonb_agg(x.value ORDER BY x.n) FROM jsonb_array_elements(p_payments) WITH ORDINALITY x (value, n)
                      WHERE router.item_hash(x.value) & (v_shards - 1) = v_shard), '[]'::jsonb),
            p_part, p_parts);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_reconcile_payments(timestamptz, timestamptz, jsonb, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_reconcile_payments(timestamptz, timestamptz, jsonb, integer, integer)
    TO wallet_service;

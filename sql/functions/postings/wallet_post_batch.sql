-- Many postings in one call and one commit, for trusted services: each item is
-- {"kind": "topup"|"bonus"|"spend", "user_id", "asset_type_id", "amount",
--  "idempotency_key", "metadata"?, "expires_at"? (credits)} and gets its own outcome
-- row, in item order: the posting (entry_id, balance, replayed, paid_amount,
-- free_amount) or the SQLSTATE and name of its refusal. A refused item writes nothing
-- and does not stop the others. Up to 1,000 items. The engine is wallet.post_batch.
CREATE OR REPLACE FUNCTION public.wallet_post_batch(p_postings jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- the engine's read of the items' arrays was planned anew per call
AS $$
BEGIN
    IF p_postings IS NULL OR jsonb_typeof(p_postings) <> 'array'
       OR jsonb_array_length(p_postings) NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid_request: postings must be a JSON array of 1 to 1000 items'
            USING ERRCODE = 'WA002';
    END IF;
    RETURN QUERY SELECT * FROM wallet.post_batch(p_postings, false);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_post_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_post_batch(jsonb) TO wallet_service;

-- A batch is split by PL/Proxy's SPLIT: each shard gets its users' items (in their
-- order) as one wallet_post_batch call, and the items keep the numbers they had in the
-- whole batch. Each shard's part commits on its own: a shard that fails fails the call
-- while the others' items stay posted, and the caller's retry with the same keys
-- replays them (docs/sharding.md). A batch that is no array of 1 to 1,000 items goes
-- whole to the first shard, whose refusal is the answer.
CREATE OR REPLACE FUNCTION router.post_batch_parts(p_items jsonb[], p_numbers integer[])
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    SPLIT p_items, p_numbers;
    RUN ON router.item_hash(p_items);
    SELECT (p_numbers)[r.item] AS item, r.entry_id, r.balance, r.replayed, r.error_sqlstate, r.error_name,
           r.paid_amount, r.free_amount
    FROM wallet_post_batch(to_jsonb(p_items)) r;
$$;

CREATE OR REPLACE FUNCTION router.post_batch_on_first_shard(p_postings jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
    TARGET wallet_post_batch;
$$;

CREATE OR REPLACE FUNCTION public.wallet_post_batch(p_postings jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(p_postings) IS DISTINCT FROM 'array' OR jsonb_array_length(p_postings) NOT BETWEEN 1 AND 1000 THEN
        RETURN QUERY SELECT * FROM router.post_batch_on_first_shard(p_postings);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT p.* FROM router.post_batch_parts(
        ARRAY(SELECT t.e FROM jsonb_array_elements(p_postings) WITH ORDINALITY t(e, n) ORDER BY t.n),
        ARRAY(SELECT n::integer FROM generate_series(1, jsonb_array_length(p_postings)) n)) p
    ORDER BY p.item;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_post_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_post_batch(jsonb) TO wallet_service;

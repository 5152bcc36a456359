-- An import is split as a batch is (wallet_post_batch.sql here): each shard gets its
-- users' rows, in their order, as one wallet_import call, and the rows keep their
-- numbers in the whole call. Each shard's part commits on its own; re-running the rows
-- replays what was posted (imports are idempotent by external_id). Rows that are no
-- array of at most 10,000 go whole to the first shard, whose refusal is the answer.
CREATE OR REPLACE FUNCTION router.import_parts(p_rows jsonb[], p_numbers integer[])
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    SPLIT p_rows, p_numbers;
    RUN ON router.item_hash(p_rows);
    SELECT (p_numbers)[r.item] AS item, r.entry_id, r.balance, r.replayed, r.error_sqlstate, r.error_name,
           r.paid_amount, r.free_amount
    FROM wallet_import(to_jsonb(p_rows)) r;
$$;

CREATE OR REPLACE FUNCTION router.import_on_first_shard(p_rows jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON 0;
    TARGET wallet_import;
$$;

CREATE OR REPLACE FUNCTION public.wallet_import(p_rows jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(p_rows) IS DISTINCT FROM 'array' OR jsonb_array_length(p_rows) NOT BETWEEN 1 AND 10000 THEN
        RETURN QUERY SELECT * FROM router.import_on_first_shard(p_rows);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT p.* FROM router.import_parts(
        ARRAY(SELECT t.e FROM jsonb_array_elements(p_rows) WITH ORDINALITY t(e, n) ORDER BY t.n),
        ARRAY(SELECT n::integer FROM generate_series(1, jsonb_array_length(p_rows)) n)) p
    ORDER BY p.item;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_import(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_import(jsonb) TO wallet_service;

-- Many postings in one call and one commit, for trusted services: each item is
-- {"kind": "topup"|"bonus"|"spend", "user_id", "asset_type_id", "amount",
--  "idempotency_key", "metadata"?, "expires_at"? (credits)} and gets its own outcome
-- row, in item order: the posting (entry_id, balance, replayed, paid_amount,
-- free_amount) or the SQLSTATE and name of its refusal. A
-- refused item writes nothing and does not stop the others. Wallets are locked in
-- (user_id, asset_type_id) order of their values, so concurrent batches cannot
-- deadlock, however a caller spells a uuid; items of one
-- wallet keep their order. At most 50 items, one subtransaction each (PostgreSQL
-- caches 64 per transaction).
CREATE OR REPLACE FUNCTION public.wallet_post_batch(p_postings jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
#variable_conflict use_column
DECLARE
    v_item     record;
    v_result   wallet.posting;
    v_count    integer;
    v_entry    bigint[];
    v_balance  bigint[];
    v_replayed boolean[];
    v_sqlstate text[];
    v_name     text[];
    v_paid     bigint[];
    v_free     bigint[];
BEGIN
    IF p_postings IS NULL OR jsonb_typeof(p_postings) <> 'array'
       OR jsonb_array_length(p_postings) NOT BETWEEN 1 AND 50 THEN
        RAISE EXCEPTION 'invalid_request: postings must be a JSON array of 1 to 50 items'
            USING ERRCODE = 'WA002';
    END IF;

    v_count := jsonb_array_length(p_postings);
    FOR v_item IN
        SELECT p.ordinality::integer AS idx, p.value AS posting
        FROM jsonb_array_elements(p_postings) WITH ORDINALITY p
        -- by value, not text: '{0f6d...}' and '0f6d...' are one wallet and must sort as one
        ORDER BY wallet.uuid_or_null(p.value ->> 'user_id'), wallet.integer_or_null(p.value ->> 'asset_type_id'),
                 p.ordinality
    LOOP
        BEGIN
            IF jsonb_typeof(v_item.posting) <> 'object'
               OR coalesce(v_item.posting ->> 'kind', '') NOT IN ('topup', 'bonus', 'spend') THEN
                RAISE EXCEPTION 'invalid_request: kind must be topup, bonus or spend' USING ERRCODE = 'WA002';
            END IF;
            IF jsonb_typeof(v_item.posting -> 'amount') IS DISTINCT FROM 'number'
               OR v_item.posting ->> 'amount' !~ '^-?[0-9]{1,19}$' THEN
                RAISE EXCEPTION 'invalid_amount: amount must be a JSON integer' USING ERRCODE = 'WA001';
            END IF;
            v_result := wallet.post_entry(
                v_item.posting ->> 'kind',
                (v_item.posting ->> 'user_id')::uuid,
                (v_item.posting ->> 'asset_type_id')::integer,
                (v_item.posting ->> 'amount')::bigint,
                v_item.posting ->> 'idempotency_key',
                coalesce(v_item.posting -> 'metadata', '{}'),
                (v_item.posting ->> 'expires_at')::timestamptz);
            v_entry[v_item.idx] := v_result.entry_id;
            v_balance[v_item.idx] := v_result.balance;
            v_replayed[v_item.idx] := v_result.replayed;
            v_paid[v_item.idx] := v_result.paid_amount;
            v_free[v_item.idx] := v_result.free_amount;
        EXCEPTION
            WHEN SQLSTATE 'WA001' OR SQLSTATE 'WA002' OR SQLSTATE 'WA003' OR SQLSTATE 'WA004'
                 OR SQLSTATE 'WA005' OR SQLSTATE 'WA006' THEN
                v_sqlstate[v_item.idx] := SQLSTATE;
                v_name[v_item.idx] := split_part(SQLERRM, ':', 1);
            WHEN numeric_value_out_of_range THEN
                v_sqlstate[v_item.idx] := 'WA001';
                v_name[v_item.idx] := 'invalid_amount';
            WHEN invalid_text_representation OR invalid_datetime_format OR datetime_field_overflow THEN
                -- a user_id, asset_type_id or expires_at of the wrong form
                v_sqlstate[v_item.idx] := 'WA002';
                v_name[v_item.idx] := 'invalid_request';
        END;
    END LOOP;

    RETURN QUERY
    SELECT i, v_entry[i], v_balance[i], v_replayed[i], v_sqlstate[i], v_name[i], v_paid[i], v_free[i]
    FROM generate_series(1, v_count) i;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_post_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_post_batch(jsonb) TO wallet_service;

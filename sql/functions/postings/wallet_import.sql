-- Opening balances for players moved in from another system, up to 10,000 per call:
-- each row {"external_id", "user_id", "name", "asset_type_id", "class": "paid"|"free",
-- "amount", "expires_at"?} opens the user's account if it has none (with that name),
-- then posts an import entry (Treasury -> user) making one lot of that class. Idempotent
-- by external_id: the key is import:<external_id> in the user's key space, so a re-run
-- of a file answers its rows as replays. An import is a credit: a closed or erased
-- account refuses it, a frozen one takes it, a cap applies; debt is repaid first. A row
-- per item, in item order, as wallet_post_batch answers (a refused item writes nothing
-- and does not stop the others; a row for a user without an account and without a
-- usable name is account_not_found). The postings go through the batch engine
-- (wallet.post_batch), set at a time.
--
-- Accounts are opened first, in user_id order, so two imports opening the same users
-- wait for each other rather than deadlock.
CREATE OR REPLACE FUNCTION public.wallet_import(p_rows jsonb)
RETURNS TABLE (item integer, entry_id bigint, balance bigint, replayed boolean,
               error_sqlstate text, error_name text, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- the engine's read of the items' arrays was planned anew per call
AS $$
BEGIN
    IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' OR jsonb_array_length(p_rows) > 10000 THEN
        RAISE EXCEPTION 'invalid_request: rows must be a JSON array of at most 10000 items' USING ERRCODE = 'WA002';
    END IF;
    IF jsonb_array_length(p_rows) = 0 THEN
        RETURN;
    END IF;

    WITH named AS (
        SELECT DISTINCT ON (r.user_id) r.user_id, r.name
        FROM (SELECT wallet.uuid_or_null(x.value ->> 'user_id') AS user_id, x.value ->> 'name' AS name
              FROM jsonb_array_elements(p_rows) x
              WHERE jsonb_typeof(x.value) = 'object') r
        WHERE r.user_id IS NOT NULL AND length(r.name) BETWEEN 1 AND 200 AND r.name !~ '[\x01-\x1f\x7f-\x9f]'
        ORDER BY r.user_id
    ), opened AS (
        INSERT INTO wallet.accounts AS a (kind, user_id, name)
        SELECT 'user', n.user_id, n.name FROM named n ORDER BY n.user_id
        ON CONFLICT (user_id) DO NOTHING
        RETURNING a.account_id
    )
    INSERT INTO wallet.wallets (account_id, asset_type_id)
    SELECT o.account_id, t.asset_type_id FROM opened o CROSS JOIN wallet.asset_types t;

    RETURN QUERY
    SELECT * FROM wallet.post_batch(
        (SELECT jsonb_agg(CASE WHEN jsonb_typeof(x.value) = 'object' THEN
                              jsonb_strip_nulls(jsonb_build_object(
                                  'kind', 'import', 'class', x.value -> 'class', 'user_id', x.value -> 'user_id',
                                  'asset_type_id', x.value -> 'asset_type_id', 'amount', x.value -> 'amount',
                                  'idempotency_key', 'import:' || (x.value ->> 'external_id'),
                                  'expires_at', x.value -> 'expires_at'))
                          ELSE x.value END ORDER BY x.ordinality)
         FROM jsonb_array_elements(p_rows) WITH ORDINALITY x),
        true);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_import(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_import(jsonb) TO wallet_service;

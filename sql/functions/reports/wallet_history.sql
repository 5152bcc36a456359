-- The user's entries, newest first, keyset-paginated by entry id: pass the last
-- entry_id of a page as p_before_id to get the next one. Amounts, and their paid and
-- free parts, are signed from the user's side.
CREATE OR REPLACE FUNCTION public.wallet_history(
    p_user_id       uuid,
    p_asset_type_id integer DEFAULT NULL,
    p_before_id     bigint  DEFAULT NULL,
    p_limit         integer DEFAULT 50
) RETURNS TABLE (entry_id bigint, kind text, asset_type_id integer, amount bigint,
                 balance_after bigint, idempotency_key text, metadata jsonb,
                 created_at timestamptz, paid_amount bigint, free_amount bigint,
                 original_entry_id bigint, hold_id bigint, unrecovered bigint)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid_request: limit must be from 1 to 1000'
            USING ERRCODE = 'WA002', DETAIL = format('limit: %s', coalesce(p_limit::text, 'null'));
    END IF;
    IF p_before_id IS NOT NULL AND p_before_id < 1 THEN
        RAISE EXCEPTION 'invalid_request: before must be a positive entry id'
            USING ERRCODE = 'WA002';
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);
    IF p_asset_type_id IS NOT NULL
       AND NOT EXISTS (SELECT FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id) THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', p_asset_type_id
            USING ERRCODE = 'WA004';
    END IF;

    -- Both bounds on the primary key (account_id, entry_id), so a page costs the same
    -- however deep it is.
    RETURN QUERY
    SELECT e.entry_id, e.kind, e.asset_type_id,
           CASE WHEN e.credit_account_id = e.account_id THEN e.amount ELSE -e.amount END,
           e.balance_after, e.idempotency_key, e.metadata, e.created_at,
           CASE WHEN e.credit_account_id = e.account_id THEN e.paid_amount ELSE -e.paid_amount END,
           CASE WHEN e.credit_account_id = e.account_id THEN e.free_amount ELSE -e.free_amount END,
           e.original_entry_id, e.hold_id, e.unrecovered
    FROM wallet.ledger_entries e
    WHERE e.account_id = v_account_id
      AND e.entry_id < coalesce(p_before_id, 9223372036854775807)
      AND (p_asset_type_id IS NULL OR e.asset_type_id = p_asset_type_id)
    ORDER BY e.entry_id DESC
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_history(uuid, integer, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_history(uuid, integer, bigint, integer) TO wallet_service;

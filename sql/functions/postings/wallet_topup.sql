-- Treasury -> user: a purchase (for example keyed by its payment id); makes a paid lot,
-- which may expire.
CREATE OR REPLACE FUNCTION public.wallet_topup(
    p_user_id         uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_metadata        jsonb DEFAULT '{}',
    p_expires_at      timestamptz DEFAULT NULL
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)
LANGUAGE plpgsql  -- not sql: PL/pgSQL keeps its plan for the session, a SQL function re-plans per call
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
SET plan_cache_mode = force_generic_plan  -- custom plans, chosen once the tables grew, were made anew per call
AS $$
DECLARE
    v_posting wallet.posting;
BEGIN
    v_posting := wallet.post_entry('topup', p_user_id, p_asset_type_id, p_amount,
                                  p_idempotency_key, p_metadata, p_expires_at);
    entry_id := v_posting.entry_id; balance := v_posting.balance; replayed := v_posting.replayed;
    paid_amount := v_posting.paid_amount; free_amount := v_posting.free_amount;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_topup(uuid, integer, bigint, text, jsonb, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_topup(uuid, integer, bigint, text, jsonb, timestamptz) TO wallet_service;

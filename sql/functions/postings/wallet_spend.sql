-- User -> Treasury; takes from lots in the asset's spend order, and fails with
-- insufficient_funds rather than go below zero. p_dry_run: what the call would answer
-- now (a new entry's id NULL), writing nothing.
CREATE OR REPLACE FUNCTION public.wallet_spend(
    p_user_id         uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_metadata        jsonb DEFAULT '{}',
    p_dry_run         boolean DEFAULT false
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
    IF p_dry_run THEN  -- the posting in a block undone at its end: no write, no lock, no key kept
        BEGIN
            v_posting := wallet.post_entry('spend', p_user_id, p_asset_type_id, p_amount, p_idempotency_key, p_metadata, NULL);
            RAISE EXCEPTION 'preview_undone: a dry run writes nothing' USING ERRCODE = 'WA998';  -- caught below
        EXCEPTION WHEN SQLSTATE 'WA998' THEN
            IF NOT v_posting.replayed THEN  -- the id a new entry would get is not known
                v_posting.entry_id := NULL;
            END IF;
        END;
    ELSE
        v_posting := wallet.post_entry('spend', p_user_id, p_asset_type_id, p_amount, p_idempotency_key, p_metadata, NULL);
    END IF;
    entry_id := v_posting.entry_id; balance := v_posting.balance; replayed := v_posting.replayed;
    paid_amount := v_posting.paid_amount; free_amount := v_posting.free_amount;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_spend(uuid, integer, bigint, text, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_spend(uuid, integer, bigint, text, jsonb, boolean) TO wallet_service;

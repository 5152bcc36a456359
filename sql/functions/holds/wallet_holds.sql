-- The user's holds in one state (open, captured, voided, expired; NULL for all), newest
-- first. A hold past its expires_at is expired here whether or not it has been released.
CREATE OR REPLACE FUNCTION public.wallet_holds(p_user_id uuid, p_state text DEFAULT 'open')
RETURNS TABLE (hold_id bigint, asset_type_id integer, amount bigint, captured_amount bigint, state text,
               expires_at timestamptz, idempotency_key text, metadata jsonb, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    IF p_state NOT IN ('open', 'captured', 'voided', 'expired') THEN
        RAISE EXCEPTION 'invalid_request: state must be open, captured, voided, expired or null'
            USING ERRCODE = 'WA002', DETAIL = format('state: %s', p_state);
    END IF;
    v_account_id := wallet.user_account_id(p_user_id);
    RETURN QUERY
    SELECT h.hold_id, h.asset_type_id, h.amount, h.captured_amount, s.state, h.expires_at,
           h.idempotency_key, h.metadata, h.created_at
    FROM wallet.holds h
    CROSS JOIN LATERAL (SELECT CASE WHEN h.state = 'open' AND h.expires_at <= now() THEN 'expired'
                                    ELSE h.state END AS state) s
    WHERE h.account_id = v_account_id AND (p_state IS NULL OR s.state = p_state)
    ORDER BY h.hold_id DESC;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_holds(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_holds(uuid, text) TO wallet_service;

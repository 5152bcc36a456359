-- Who set this user's limits, and when, newest first: each wallet_set_limits call for the
-- user (`changed_by`: the API's calling service, the console's member of staff, or the
-- database login), with the limits it set (NULL: the asset's limit applies). Support's
-- answer to "why can I not spend".
CREATE OR REPLACE FUNCTION public.wallet_limit_changes(p_user_id uuid, p_limit integer DEFAULT 20)
RETURNS TABLE (asset_type_id integer, max_balance bigint, daily_spend_limit bigint, changed_at timestamptz,
               changed_by text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
BEGIN
    v_account_id := wallet.user_account_id(p_user_id);
    RETURN QUERY
    SELECT c.asset_type_id, c.max_balance, c.daily_spend_limit, c.changed_at, c.changed_by
    FROM wallet.limit_changes c
    WHERE c.account_id = v_account_id
    ORDER BY c.change_id DESC
    LIMIT greatest(coalesce(p_limit, 20), 0);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_limit_changes(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_limit_changes(uuid, integer) TO wallet_service;

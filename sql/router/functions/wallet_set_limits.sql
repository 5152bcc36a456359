-- A user's limits go to the user's shard; the asset's limits (owner only, checked here
-- as on a shard) to every shard. Each shard commits on its own; setting the asset's
-- limits again sets the shards a failed call missed (it is idempotent).
CREATE OR REPLACE FUNCTION router.set_user_limits(
    p_asset_type_id integer, p_max_balance bigint, p_daily_spend_limit bigint, p_user_id uuid
) RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_user_id);
    SELECT 1 FROM wallet_set_limits(p_asset_type_id, p_max_balance, p_daily_spend_limit, p_user_id);
$$;

CREATE OR REPLACE FUNCTION router.set_asset_limits_on_all(
    p_asset_type_id integer, p_max_balance bigint, p_daily_spend_limit bigint
) RETURNS SETOF integer
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT 1 FROM wallet_set_limits(p_asset_type_id, p_max_balance, p_daily_spend_limit);
$$;

CREATE OR REPLACE FUNCTION public.wallet_set_limits(
    p_asset_type_id     integer,
    p_max_balance       bigint,
    p_daily_spend_limit bigint,
    p_user_id           uuid DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER  -- it reaches the router's helpers, as wallet_post_batch's twin does
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_user_id IS NOT NULL THEN
        PERFORM count(*) FROM router.set_user_limits(p_asset_type_id, p_max_balance, p_daily_spend_limit, p_user_id);
        RETURN;
    END IF;
    IF NOT pg_has_role(session_user, (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied: only the owner sets an asset''s limits' USING ERRCODE = '42501';
    END IF;
    PERFORM count(*) FROM router.set_asset_limits_on_all(p_asset_type_id, p_max_balance, p_daily_spend_limit);
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_limits(integer, bigint, bigint, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_set_limits(integer, bigint, bigint, uuid) TO wallet_service;

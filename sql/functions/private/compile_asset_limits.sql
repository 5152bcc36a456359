-- Makes wallet.asset_max_balance and wallet.asset_daily_spend_limit again from
-- wallet.asset_types (migration 028): a CASE over the assets that have a limit, folded
-- into the plans that inline them. wallet_set_limits calls it after changing an asset's
-- limits, in its transaction.
CREATE OR REPLACE FUNCTION wallet.compile_asset_limits() RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_column text;
BEGIN
    FOREACH v_column IN ARRAY ARRAY['max_balance', 'daily_spend_limit'] LOOP
        EXECUTE format(
            'CREATE OR REPLACE FUNCTION wallet.asset_%s(p_asset_type_id integer) RETURNS bigint '
            'LANGUAGE sql IMMUTABLE AS %L', v_column,
            'SELECT ' || coalesce(
                (SELECT 'CASE p_asset_type_id ' || string_agg(format('WHEN %s THEN %s', t.asset_type_id, t.limit_value),
                                                             ' ' ORDER BY t.asset_type_id) || ' END'
                 FROM (SELECT a.asset_type_id,
                              CASE v_column WHEN 'max_balance' THEN a.max_balance ELSE a.daily_spend_limit END
                                  AS limit_value
                       FROM wallet.asset_types a) t
                 WHERE t.limit_value IS NOT NULL),
                'NULL') || '::bigint');
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION wallet.compile_asset_limits() FROM PUBLIC;

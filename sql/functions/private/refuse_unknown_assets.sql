-- Both assets of an exchange or an exchange rate exist, or asset_not_found names the
-- first that does not.
CREATE OR REPLACE FUNCTION wallet.refuse_unknown_assets(p_first integer, p_second integer) RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_missing integer;
BEGIN
    SELECT x.asset_type_id INTO v_missing
    FROM unnest(ARRAY[p_first, p_second]) WITH ORDINALITY AS x (asset_type_id, n)
    WHERE NOT EXISTS (SELECT FROM wallet.asset_types t WHERE t.asset_type_id = x.asset_type_id)
    ORDER BY x.n
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'asset_not_found: no asset with id %', coalesce(v_missing::text, 'null')
            USING ERRCODE = 'WA004';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION wallet.refuse_unknown_assets(integer, integer) FROM PUBLIC;

-- Operators only (the database owner; not granted to wallet_service): p_amount of the
-- first asset buys floor(p_amount * p_numerator / p_denominator) of the second, one
-- direction only. A NULL numerator removes the rate, whatever the denominator.
CREATE OR REPLACE FUNCTION public.wallet_set_exchange_rate(
    p_from_asset_type_id integer,
    p_to_asset_type_id   integer,
    p_numerator          bigint,
    p_denominator        bigint
) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_from_asset_type_id IS NOT DISTINCT FROM p_to_asset_type_id THEN
        RAISE EXCEPTION 'invalid_request: a rate needs two different assets' USING ERRCODE = 'WA002';
    END IF;
    PERFORM wallet.refuse_unknown_assets(p_from_asset_type_id, p_to_asset_type_id);
    IF p_numerator IS NULL THEN
        DELETE FROM wallet.exchange_rates r
        WHERE r.from_asset_type_id = p_from_asset_type_id AND r.to_asset_type_id = p_to_asset_type_id;
        RETURN;
    END IF;
    IF p_numerator < 1 OR p_denominator IS NULL OR p_denominator < 1 THEN
        RAISE EXCEPTION 'invalid_request: numerator and denominator must be 1 or more'
            USING ERRCODE = 'WA002',
                  DETAIL = format('numerator: %s, denominator: %s', p_numerator, coalesce(p_denominator::text, 'null'));
    END IF;
    INSERT INTO wallet.exchange_rates AS r (from_asset_type_id, to_asset_type_id, numerator, denominator)
    VALUES (p_from_asset_type_id, p_to_asset_type_id, p_numerator, p_denominator)
    ON CONFLICT (from_asset_type_id, to_asset_type_id)
    DO UPDATE SET numerator = excluded.numerator, denominator = excluded.denominator;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_set_exchange_rate(integer, integer, bigint, bigint) FROM PUBLIC;

-- Every shard proves its own ledger (its own Treasury, so conservation holds per
-- shard); each problem names the shard database it was found in.
CREATE OR REPLACE FUNCTION public.wallet_verify()
RETURNS TABLE (problem text, account_id bigint, asset_type_id integer, expected numeric, actual numeric)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON ALL;
    SELECT current_database() || ': ' || v.problem AS problem, v.account_id, v.asset_type_id, v.expected, v.actual
    FROM wallet_verify() v;
$$;

REVOKE ALL ON FUNCTION public.wallet_verify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_verify() TO wallet_service;

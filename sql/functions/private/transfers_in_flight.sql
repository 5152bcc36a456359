-- The transfers between shards this shard has sent and no recipient's answer has settled,
-- sent at least p_older_than ago (the caller's own steps are usually still running
-- before that), oldest first: what the worker completes (router's
-- wallet_complete_transfers), with all the recipient's shard needs.
CREATE OR REPLACE FUNCTION wallet.transfers_in_flight(p_older_than interval, p_limit integer)
RETURNS TABLE (transfer_id uuid, from_user_id uuid, to_user_id uuid, asset_type_id integer, amount bigint, fee bigint,
               out_entry_id bigint, lots jsonb, metadata jsonb, created_at timestamptz)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.transfer_id, t.from_user_id, t.to_user_id, t.asset_type_id, t.amount, t.fee, t.out_entry_id, t.lots,
           e.metadata, t.created_at
    FROM wallet.shard_transfers t
    JOIN wallet.ledger_entries e ON e.account_id = t.account_id AND e.entry_id = t.out_entry_id
    WHERE t.state = 'sent' AND t.created_at <= now() - p_older_than
    ORDER BY t.created_at
    LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION wallet.transfers_in_flight(interval, integer) FROM PUBLIC;

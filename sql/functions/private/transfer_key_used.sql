-- Whether the sender has used this key already: the router asks it before a new transfer
-- between shards, so that a replay answers the first call instead of asking the
-- recipient's shard again (the recipient may have changed since).
CREATE OR REPLACE FUNCTION wallet.transfer_key_used(p_from_user_id uuid, p_idempotency_key text) RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM wallet.ledger_entries e
                   JOIN wallet.accounts a ON a.account_id = e.account_id
                   WHERE a.user_id = p_from_user_id AND e.idempotency_key = p_idempotency_key)
$$;

REVOKE ALL ON FUNCTION wallet.transfer_key_used(uuid, text) FROM PUBLIC;

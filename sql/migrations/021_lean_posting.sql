-- The write path, lean (docs/benchmarks.md, "Instructions per posting").
--
-- 1. The chain's hash is computed by the statement that writes the entry, from the head
-- the posting read under its wallet lock, instead of by a trigger that looked the head
-- up again. The trigger stays for the writers that leave the hash to it (it fires only
-- when the hash is missing), so no entry is ever stored unchained.
--
-- wallet.entry_hash is a SQL function now (sql/functions/private/entry_hash.sql), which
-- the planner inlines into the writing statement: no call per entry.

DROP TRIGGER ledger_entries_chained ON wallet.ledger_entries;
CREATE TRIGGER ledger_entries_chained
    BEFORE INSERT ON wallet.ledger_entries
    FOR EACH ROW WHEN (NEW.hash IS NULL) EXECUTE FUNCTION wallet.chain_entry();

-- 2. The Treasury's account id as a constant the planner folds into each posting's
-- statement, instead of an index scan of accounts per entry. It never changes: made in
-- 002, never deleted (entries reference it).
DO $$
BEGIN
    EXECUTE format('CREATE FUNCTION wallet.treasury_account_id() RETURNS bigint LANGUAGE sql IMMUTABLE AS %L',
                   'SELECT ' || (SELECT a.account_id FROM wallet.accounts a WHERE a.system_code = 'treasury')
                   || '::bigint');
END
$$;
REVOKE ALL ON FUNCTION wallet.treasury_account_id() FROM PUBLIC;

-- 3. An event's feed position, at commit, in one statement rather than two.
CREATE OR REPLACE FUNCTION wallet.place_event() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $$
BEGIN
    -- shared: committers do not wait for each other, only for a reader taking it exclusively
    INSERT INTO wallet.event_feed (event_id, account_id, seq)
    SELECT pg_catalog.nextval('wallet.event_position'::pg_catalog.regclass), NEW.account_id, NEW.seq
    FROM pg_catalog.pg_advisory_xact_lock_shared(2026120201);
    RETURN NULL;
END
$$;

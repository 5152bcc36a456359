-- The write path, lean (docs/design.md, "What a posting costs").
--
-- 1. The chain's hash is computed by the statement that writes the entry, from the head
-- the posting read under its wallet lock, instead of by a trigger that looked the head
-- up again. The trigger stays for the writers that leave the hash to it (it fires only
-- when the hash is missing), so no entry is ever stored unchained.
--
-- entry_hash becomes a SQL function the planner inlines into the writing statement (no
-- call per entry); the same content in the same order, so every stored hash stays valid.
CREATE OR REPLACE FUNCTION wallet.entry_hash(p_prev bytea, e wallet.ledger_entries) RETURNS bytea
LANGUAGE sql
STABLE  -- as format() is: declared IMMUTABLE, the planner would not inline it
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.format(
               '%s|%s|%s|%s|%L|%s|%s|%s|%s|%L|%L|%s|%s|%s|%L|%L|%s|%L|%L|%L',
               pg_catalog.encode(coalesce(p_prev, '\x'::bytea), 'hex'),
               e.account_id, e.entry_id, e.asset_type_id, e.kind, e.debit_account_id, e.credit_account_id,
               e.amount, e.balance_after, e.idempotency_key, e.metadata::text,
               (pg_catalog.extract('epoch', e.created_at) * 1000000)::bigint,
               e.paid_amount, e.free_amount, e.original_entry_id, e.hold_id, e.unrecovered, e.refund_policy,
               e.lot_ids::text, e.lot_amounts::text), 'UTF8'))
$$;

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

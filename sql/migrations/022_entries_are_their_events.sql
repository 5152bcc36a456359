-- A plain posting's event is its ledger entry: one row, not two. When a call changes
-- the wallet by its one entry (the usual top-up, bonus, spend, capture), the entry
-- stores the wallet as the call left it (paid_after, free_after, held_after beside
-- balance_after) and is placed on the feed itself; everything else an event says is
-- the entry's already. Calls that change more (expired credit or holds released, debt
-- repaid) still write event rows (wallet.write_events), and their entries leave the
-- three columns NULL. wallet.feed_events reads both as one feed.
ALTER TABLE wallet.ledger_entries
    ADD COLUMN paid_after bigint,
    ADD COLUMN free_after bigint,
    ADD COLUMN held_after bigint;

-- A feed position names either an event row (seq) or an entry that is its own event
-- (entry_id).
ALTER TABLE wallet.event_feed
    ALTER COLUMN seq DROP NOT NULL,
    ADD COLUMN entry_id bigint;  -- one of the two, set by the one function that places each kind

-- wallet.entry_hash covers the new columns (sql/functions/private/entry_hash.sql).

-- At commit, as wallet.place_event does for event rows (migration 013, 021).
CREATE FUNCTION wallet.place_entry_event() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
AS $$
BEGIN
    INSERT INTO wallet.event_feed (event_id, account_id, entry_id)
    SELECT pg_catalog.nextval('wallet.event_position'::pg_catalog.regclass), NEW.account_id, NEW.entry_id
    FROM pg_catalog.pg_advisory_xact_lock_shared(2026120201);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER entries_placed_at_commit
    AFTER INSERT ON wallet.ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.held_after IS NOT NULL) EXECUTE FUNCTION wallet.place_entry_event();

-- The feed as its readers see it: every placed event, from its row or its entry.
CREATE VIEW wallet.feed_events AS
SELECT f.event_id, f.account_id,
       CASE WHEN f.entry_id IS NULL THEN e.type ELSE 'entry.' || l.kind END AS type,
       CASE WHEN f.entry_id IS NULL THEN e.occurred_at ELSE l.created_at END AS occurred_at,
       CASE WHEN f.entry_id IS NULL THEN e.asset_type_id ELSE l.asset_type_id END AS asset_type_id,
       CASE WHEN f.entry_id IS NULL THEN e.entry_id ELSE l.entry_id END AS entry_id,
       CASE WHEN f.entry_id IS NULL THEN e.hold_id ELSE l.hold_id END AS hold_id,
       CASE WHEN f.entry_id IS NULL THEN e.amount
            WHEN l.credit_account_id = l.account_id THEN l.amount ELSE -l.amount END AS amount,
       CASE WHEN f.entry_id IS NULL THEN e.balance ELSE l.balance_after END AS balance,
       CASE WHEN f.entry_id IS NULL THEN e.available ELSE l.balance_after - l.held_after END AS available,
       CASE WHEN f.entry_id IS NULL THEN e.paid ELSE l.paid_after END AS paid,
       CASE WHEN f.entry_id IS NULL THEN e.free ELSE l.free_after END AS free,
       CASE WHEN f.entry_id IS NULL THEN e.held ELSE l.held_after END AS held,
       CASE WHEN f.entry_id IS NULL THEN e.idempotency_key ELSE l.idempotency_key END AS idempotency_key,
       CASE WHEN f.entry_id IS NULL THEN e.metadata ELSE l.metadata END AS metadata
FROM wallet.event_feed f
LEFT JOIN wallet.events e ON e.account_id = f.account_id AND e.seq = f.seq
LEFT JOIN wallet.ledger_entries l ON l.account_id = f.account_id AND l.entry_id = f.entry_id;

-- wallet.take_in_spend_order takes the wallet's class totals (sql/functions re-creates it)
DROP FUNCTION IF EXISTS wallet.take_in_spend_order(bigint, integer, bigint, timestamptz);

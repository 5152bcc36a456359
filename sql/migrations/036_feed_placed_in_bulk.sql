-- Feed positions are given in bulk by one placer (wallet.place_events, run by the worker
-- through wallet_notify_events), not at each commit by a deferred trigger:
-- a posting no longer queues a trigger, takes a lock or inserts a feed row. The
-- ordering argument is in docs/design.md ("Events and the feed").

-- 1. Entries and event rows draw their ids from one sequence, each after its
-- transaction has a transaction id (the placer's proof that an id it has not seen can
-- no longer commit rests on it). The hot writers draw explicitly, after their wallet
-- lock has given them one; the defaults force it first.
SELECT setval('wallet.ledger_entries_entry_id_seq',
              greatest((SELECT last_value FROM wallet.ledger_entries_entry_id_seq),
                       (SELECT coalesce(max(seq), 1) FROM wallet.events)));
CREATE SEQUENCE wallet.ledger_ids;
SELECT setval('wallet.ledger_ids', (SELECT last_value FROM wallet.ledger_entries_entry_id_seq));
ALTER TABLE wallet.ledger_entries ALTER COLUMN entry_id DROP IDENTITY;  -- drops its sequence
ALTER SEQUENCE wallet.ledger_ids RENAME TO ledger_entries_entry_id_seq;
ALTER SEQUENCE wallet.ledger_entries_entry_id_seq OWNED BY wallet.ledger_entries.entry_id;
ALTER TABLE wallet.ledger_entries ALTER COLUMN entry_id SET DEFAULT
    CASE WHEN pg_catalog.pg_current_xact_id() IS NOT NULL
         THEN pg_catalog.nextval('wallet.ledger_entries_entry_id_seq'::pg_catalog.regclass) END;
ALTER TABLE wallet.events ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE wallet.events ALTER COLUMN seq SET DEFAULT
    CASE WHEN pg_catalog.pg_current_xact_id() IS NOT NULL
         THEN pg_catalog.nextval('wallet.ledger_entries_entry_id_seq'::pg_catalog.regclass) END;

-- 2. The placer finds what was written since it last ran by id.
CREATE INDEX ledger_entries_by_id ON wallet.ledger_entries (entry_id);
CREATE INDEX events_by_seq ON wallet.events (seq);

-- 3. Each event placed once, whoever places it.
CREATE UNIQUE INDEX event_feed_entry_once ON wallet.event_feed (entry_id) WHERE entry_id IS NOT NULL;
CREATE UNIQUE INDEX event_feed_row_once ON wallet.event_feed (seq) WHERE seq IS NOT NULL;

-- 4. The placer's state: one row, locked by the placer while it places.
CREATE TABLE wallet.feed_placer (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_position   bigint NOT NULL,       -- the feed's last position
    position_step   integer NOT NULL DEFAULT 1 CHECK (position_step > 0),  -- a shard's: the number of shards' room
    before_position bigint NOT NULL,       -- last_position before the transaction that last moved it
    scanned_to      bigint NOT NULL,       -- every id up to it has been looked at
    holes           bigint[] NOT NULL DEFAULT '{}',  -- ids up to scanned_to not yet seen committed
    hole_xids       xid8[] NOT NULL DEFAULT '{}',    -- for each, a transaction id later than its drawer's
    placed_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO wallet.feed_placer (last_position, position_step, before_position, scanned_to)
SELECT p.last, p.step, p.last, (SELECT last_value FROM wallet.ledger_entries_entry_id_seq)
FROM (SELECT coalesce((SELECT max(event_id) FROM wallet.event_feed),
                      (SELECT coalesce(last_value, start_value - increment_by)
                       FROM pg_catalog.pg_sequences WHERE schemaname = 'wallet' AND sequencename = 'event_position')) AS last,
             (SELECT increment_by FROM pg_catalog.pg_sequences
              WHERE schemaname = 'wallet' AND sequencename = 'event_position') AS step) p;

-- 5. No placing at commit.
DROP TRIGGER entries_placed_at_commit ON wallet.ledger_entries;
DROP TRIGGER events_placed_at_commit ON wallet.events;
DROP FUNCTION wallet.place_entry_event();
DROP FUNCTION wallet.place_event();
DROP SEQUENCE wallet.event_position;

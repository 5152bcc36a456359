-- wallet.entry_hash: the chain's link. Its canonical text is fixed: a known entry hashes
-- to a known digest, in the old form (wallet.legacy_entry_hash, migration 030: the digest
-- the first version gave it) and in the new, where metadata enters through its digest so
-- that an erasure's emptied metadata and stored digest hash the same; the wallet-after
-- columns change it when set, and a posting stores the hash of its entry over its
-- wallet's previous one.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE known AS
SELECT ROW(7, 3, 1, 'spend', 3, 1, 25, 75, 'key-1', '{"a": [1, "x"]}'::jsonb, '2026-01-02 03:04:05.678901+00',
           25, 0, NULL, NULL, 0, '{11,12}', '{20,5}', NULL, NULL, NULL, NULL, NULL, NULL)::wallet.ledger_entries AS e;

SELECT is(encode(wallet.legacy_entry_hash('\x0102'::bytea, (SELECT e FROM known)), 'hex'),
          '7183ade7d3b68a4c34c26661472f5a54392a475384036655391bb11eb0dfacd5',
          'the old form: a known entry hashes to the digest of the canonical text as first defined (014)');
SELECT is(encode(wallet.entry_hash('\x0102'::bytea, (SELECT e FROM known)), 'hex'),
          'a4c7959f204fd75dd1dd3a27fd71e4c497bbadd23ab63c8a335721e902ea6df2',
          'the new form: the metadata''s digest in place of its text');
SELECT isnt(wallet.entry_hash('\x0102'::bytea, (SELECT e FROM known)),
            wallet.entry_hash('\x0103'::bytea, (SELECT e FROM known)), 'the previous hash is part of it');

CREATE TEMP TABLE before_erasure AS SELECT wallet.entry_hash('\x0102'::bytea, e) AS hash FROM known;
UPDATE known SET e.metadata = '{"a": [1, "y"]}';
SELECT isnt((SELECT wallet.entry_hash('\x0102'::bytea, e) FROM known), (SELECT hash FROM before_erasure),
            'other metadata hashes otherwise');
UPDATE known SET e.metadata_digest = sha256(convert_to('{"a": [1, "x"]}', 'UTF8')), e.metadata = '{}';
SELECT is((SELECT wallet.entry_hash('\x0102'::bytea, e) FROM known), (SELECT hash FROM before_erasure),
          'metadata emptied with its digest stored hashes the same: an erasure leaves the chain whole');
CREATE TEMP TABLE empty_metadata AS SELECT e FROM known;
UPDATE empty_metadata SET e.metadata_digest = NULL;
CREATE TEMP TABLE empty_digest AS SELECT e FROM known;
UPDATE empty_digest SET e.metadata_digest = sha256(convert_to('{}', 'UTF8'));
SELECT is((SELECT wallet.entry_hash(NULL, e) FROM empty_metadata), (SELECT wallet.entry_hash(NULL, e) FROM empty_digest),
          'metadata {} (most postings'', whose digest is a constant) hashes as its digest does');
UPDATE known SET e.held_after = 0, e.paid_after = 5, e.free_after = 20;
SELECT isnt((SELECT wallet.entry_hash('\x0102'::bytea, e) FROM known), (SELECT hash FROM before_erasure),
            'the wallet after the call, when set, too');

SELECT wallet_open_account('b8000000-0000-4000-8000-000000000001', 'Hashed');
SELECT * FROM wallet_topup('b8000000-0000-4000-8000-000000000001', 1, 100, 'eh-1');
SELECT * FROM wallet_spend('b8000000-0000-4000-8000-000000000001', 1, 30, 'eh-2', '{"item": "sword"}');
SELECT is((SELECT bool_and(x.hash = wallet.entry_hash(x.prev, x.entry))
           FROM (SELECT e AS entry, e.hash, lag(e.hash) OVER (ORDER BY e.entry_id) AS prev
                 FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)
                 WHERE a.user_id = 'b8000000-0000-4000-8000-000000000001') x),
          true, 'each posting stores its entry''s hash over the one before it');

SELECT * FROM finish();
ROLLBACK;

-- wallet.entry_hash: the chain's link. Its canonical text is fixed: a known entry hashes
-- to the digest the first version of the function gave it (so every hash stored before
-- the wallet-after columns stays valid), those columns change it when set, and a
-- posting stores the hash of its entry over its wallet's previous one.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE known AS
SELECT ROW(7, 3, 1, 'spend', 3, 1, 25, 75, 'key-1', '{"a": [1, "x"]}'::jsonb, '2026-01-02 03:04:05.678901+00',
           25, 0, NULL, NULL, 0, '{11,12}', '{20,5}', NULL, NULL, NULL, NULL, NULL)::wallet.ledger_entries AS e;

SELECT is(encode(wallet.entry_hash('\x0102'::bytea, (SELECT e FROM known)), 'hex'),
          '7183ade7d3b68a4c34c26661472f5a54392a475384036655391bb11eb0dfacd5',
          'a known entry without the wallet-after columns: the digest of the canonical text as first defined (014)');
SELECT isnt(wallet.entry_hash('\x0102'::bytea, (SELECT e FROM known)),
            wallet.entry_hash('\x0103'::bytea, (SELECT e FROM known)), 'the previous hash is part of it');
UPDATE known SET e.held_after = 0, e.paid_after = 5, e.free_after = 20;
SELECT is(encode(wallet.entry_hash(NULL, (SELECT e FROM known)), 'hex'),
          'a6e8d7d6f36e101449dd4524e927b855a18c69555bd43196788d18f60e253eb0', 'the wallet after the call, when set, too');

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

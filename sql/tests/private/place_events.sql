-- wallet.place_events: gives positions, in id order and with no gap, to the events
-- written since its last run (entries that are their own events and event rows), none
-- to entries that are not events, none twice; keeps an id it has not seen committed
-- as a hole, which a later run places once it is; a transaction that wrote before it
-- ran leaves its holes unstamped for a fresh run.
BEGIN;
SELECT plan(9);

SELECT wallet_open_account('e5000000-0000-4000-8000-000000000001', 'Placer');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'e5000000-0000-4000-8000-000000000001';
SELECT wallet.place_events();
CREATE TEMP TABLE mark AS SELECT last_position AS p FROM wallet.feed_placer;
SELECT * FROM wallet_topup('e5000000-0000-4000-8000-000000000001', 1, 10, 'pl-1');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('e5000000-0000-4000-8000-000000000001', 1, 4, 'pl-h');
SELECT * FROM wallet_capture('e5000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h), 'pl-c');
CREATE TEMP TABLE hole AS SELECT nextval('wallet.ledger_entries_entry_id_seq') AS id;  -- drawn, never written
SELECT * FROM wallet_spend('e5000000-0000-4000-8000-000000000001', 1, 1, 'pl-2');

SELECT is(wallet.place_events(), (SELECT p + 5 FROM mark), 'five events placed: top-up, hold opened, capture''s spend and hold.captured, spend');
SELECT results_eq($$SELECT f.event_id - (SELECT p FROM mark), coalesce(f.entry_id, f.seq)
                    FROM wallet.event_feed f JOIN acct USING (account_id) ORDER BY f.event_id$$,
                  $$SELECT row_number() OVER (ORDER BY id), id FROM (
                        SELECT e.entry_id AS id FROM wallet.ledger_entries e JOIN acct USING (account_id)
                        UNION ALL SELECT v.seq FROM wallet.events v JOIN acct USING (account_id)) x ORDER BY id$$,
                  'positions follow the ids, with no gap');
SELECT ok((SELECT (SELECT id FROM hole) = ANY (holes) FROM wallet.feed_placer), 'the id never written is a hole');
SELECT ok((SELECT bool_and(x IS NULL) FROM wallet.feed_placer, unnest(hole_xids) x),
          'unstamped: this transaction had written before the placer took its transaction id');
SELECT is(wallet.place_events(), (SELECT p + 5 FROM mark), 'a second run places nothing again');
SELECT throws_ok($$INSERT INTO wallet.event_feed (event_id, account_id, entry_id)
                   SELECT 0, (SELECT account_id FROM acct), (SELECT max(entry_id) FROM wallet.event_feed JOIN acct USING (account_id))$$,
                 '23505', NULL, 'an event has one position');

-- an entry that is not its own event (its call wrote event rows for it) gets none
UPDATE wallet.wallets SET next_expiry = now() - interval '1 second' WHERE account_id = (SELECT account_id FROM acct);
UPDATE wallet.lots SET expires_at = now() - interval '1 second'
WHERE account_id = (SELECT account_id FROM acct) AND entry_id = (SELECT max(entry_id) FROM wallet.ledger_entries e JOIN acct USING (account_id) WHERE e.kind = 'topup');
SELECT * FROM wallet_topup('e5000000-0000-4000-8000-000000000001', 1, 3, 'pl-3');
SELECT wallet.place_events();
SELECT results_eq($$SELECT v.type FROM wallet.event_feed f JOIN wallet.events v USING (account_id, seq)
                    JOIN acct USING (account_id) WHERE f.event_id > (SELECT p + 5 FROM mark) ORDER BY f.event_id$$,
                  $$VALUES ('entry.topup')$$, 'a call that wrote event rows for its entries is placed by those rows');
SELECT is((SELECT count(*)::int FROM wallet.event_feed f JOIN wallet.ledger_entries e USING (account_id, entry_id)
           WHERE e.idempotency_key = 'pl-3'), 0, 'and its entry gets no position of its own');
SELECT is((SELECT scanned_to FROM wallet.feed_placer), (SELECT last_value FROM wallet.ledger_entries_entry_id_seq),
          'every id drawn has been looked at');

SELECT * FROM finish();
ROLLBACK;

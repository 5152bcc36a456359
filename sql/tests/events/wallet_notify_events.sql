-- wallet_notify_events: places what was committed since its last call, answers the
-- feed's last position, and notifies wallet_events only when the feed has moved past
-- what the caller saw.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e1000000-0000-4000-8000-000000000001', 'Notify');
SELECT * FROM wallet_topup('e1000000-0000-4000-8000-000000000001', 1, 10, 'n-1');
CREATE TEMP TABLE notified AS SELECT wallet_notify_events(0) AS last;
SELECT is((SELECT last FROM notified), (SELECT max(event_id) FROM wallet.event_feed), 'the last position');
SELECT ok((SELECT f.entry_id FROM wallet.event_feed f JOIN wallet.ledger_entries e USING (account_id, entry_id)
           WHERE e.idempotency_key = 'n-1') IS NOT NULL, 'after placing the top-up');
SELECT is(wallet_notify_events((SELECT max(event_id) FROM wallet.event_feed)),
          (SELECT max(event_id) FROM wallet.event_feed), 'the same when nothing moved');
SET LOCAL ROLE wallet_service;
SELECT lives_ok('SELECT wallet_notify_events(0)', 'wallet_service (and so the worker) may call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

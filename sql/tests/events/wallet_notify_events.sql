-- wallet_notify_events: answers the feed's last position, and notifies wallet_events
-- only when the feed has moved past what the caller saw.
BEGIN;
SELECT plan(3);

SELECT wallet_open_account('e1000000-0000-4000-8000-000000000001', 'Notify');
SELECT * FROM wallet_topup('e1000000-0000-4000-8000-000000000001', 1, 10, 'n-1');
SET CONSTRAINTS wallet.events_placed_at_commit, wallet.entries_placed_at_commit IMMEDIATE;
SELECT is(wallet_notify_events(0), (SELECT max(event_id) FROM wallet.event_feed), 'the last position');
SELECT is(wallet_notify_events((SELECT max(event_id) FROM wallet.event_feed)),
          (SELECT max(event_id) FROM wallet.event_feed), 'the same when nothing moved');
SET LOCAL ROLE wallet_service;
SELECT lives_ok('SELECT wallet_notify_events(0)', 'wallet_service (and so the worker) may call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

-- wallet.settled_feed_position: the feed's last position, with the barrier lock let go
-- (held on, it would stop every committer).
BEGIN;
SELECT plan(3);

SELECT wallet_open_account('e4000000-0000-4000-8000-000000000001', 'Settled feed');
SELECT * FROM wallet_topup('e4000000-0000-4000-8000-000000000001', 1, 10, 'sf-1');
SET CONSTRAINTS wallet.events_placed_at_commit, wallet.entries_placed_at_commit IMMEDIATE;
SELECT is(wallet.settled_feed_position(), (SELECT max(event_id) FROM wallet.event_feed), 'the last position taken');
SELECT is((SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 2026120201
           AND pid = pg_backend_pid() AND mode = 'ExclusiveLock'), 0, 'the barrier is not kept');
SELECT is((SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND objid = 2026120201
           AND pid = pg_backend_pid() AND mode = 'ShareLock'), 1, 'this transaction''s committer lock stays');

SELECT * FROM finish();
ROLLBACK;

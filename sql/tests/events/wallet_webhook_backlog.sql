-- wallet_webhook_backlog: per live subscription the pending deliveries, when the oldest
-- of their events occurred and the receiver's pause; the worker's only.
BEGIN;
SELECT plan(5);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000009', 'Waiting');
UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_webhook_subscribe('https://hooks.example/b', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000009', 1, 10, 'wb-1');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000009', 1, 10, 'wb-2');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();

SELECT results_eq(format('SELECT subscription_id, pending, oldest_pending_event_at, paused_until FROM wallet_webhook_backlog()'),
                  format('VALUES (%s::bigint, 2::bigint, now(), NULL::timestamptz)', :sub),
                  'two pending, the oldest event from now');
CREATE TEMP TABLE claimed AS SELECT * FROM wallet_webhook_claim(10, '1 minute');
SELECT wallet_webhook_settle(array_agg(subscription_id ORDER BY event_id), array_agg(event_id ORDER BY event_id),
                             array_agg(attempt ORDER BY event_id), ARRAY[NULL, 'TimeoutError']) FROM claimed;
SELECT is((SELECT pending FROM wallet_webhook_backlog()), 1::bigint, 'one delivered, one pending');
SELECT is((SELECT paused_until FROM wallet_webhook_backlog()), NULL, 'not paused: one of its deliveries succeeded');
SELECT wallet_webhook_unsubscribe(:sub);
SELECT is_empty('SELECT * FROM wallet_webhook_backlog()', 'an ended subscription is not waited for');
SELECT function_privs_are('public', 'wallet_webhook_backlog', ARRAY[]::text[], 'wallet_worker', ARRAY['EXECUTE'],
                          'the worker reports it');

SELECT * FROM finish();
ROLLBACK;

-- wallet_webhook_dead: the dead deliveries, of one subscription or all, oldest first.
BEGIN;
SELECT plan(3);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000007', 'Dead');
UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_webhook_subscribe('https://hooks.example/d', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT wallet_webhook_subscribe('https://hooks.example/d2', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS other \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000007', 1, 10, 'wd-1');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
UPDATE wallet.webhook_deliveries SET state = 'dead', attempts = 12, last_error = 'HTTP 410' WHERE subscription_id IN (:sub, :other);
SELECT results_eq(format('SELECT subscription_id, type, attempts, last_error FROM wallet_webhook_dead(%s)', :sub),
                  format('VALUES (%s::bigint, ''entry.topup'', 12, ''HTTP 410'')', :sub), 'one subscription''s');
SELECT is((SELECT count(*)::int FROM wallet_webhook_dead(NULL, 100000) WHERE subscription_id IN (:sub, :other)), 2, 'all');
SELECT function_privs_are('public', 'wallet_webhook_dead', ARRAY['bigint', 'integer'], 'wallet_service',
                          ARRAY[]::text[], 'owner only');

SELECT * FROM finish();
ROLLBACK;

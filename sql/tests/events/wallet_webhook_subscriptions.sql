-- wallet_webhook_subscriptions: every subscription without its secret, with its pending
-- and dead deliveries counted.
BEGIN;
SELECT plan(3);

UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_open_account('e2000000-0000-4000-8000-000000000003', 'Listed');
SELECT wallet_webhook_subscribe('https://hooks.example/l', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000003', 1, 10, 'wl-1');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000003', 1, 10, 'wl-2');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
UPDATE wallet.webhook_deliveries SET state = 'dead'
WHERE subscription_id = :sub AND event_id = (SELECT min(event_id) FROM wallet.webhook_deliveries WHERE subscription_id = :sub);
SELECT results_eq(format('SELECT url, event_types, pending, dead FROM wallet_webhook_subscriptions() WHERE subscription_id = %s', :sub),
                  $$VALUES ('https://hooks.example/l', '{entry.topup}'::text[], 1::bigint, 1::bigint)$$,
                  'URL, types, one pending, one dead');
SELECT is((SELECT count(*)::int FROM information_schema.parameters
           WHERE specific_name LIKE 'wallet_webhook_subscriptions%' AND parameter_name = 'secret'), 0,
          'the secret is not among its columns');
SELECT function_privs_are('public', 'wallet_webhook_subscriptions', ARRAY[]::text[], 'wallet_service',
                          ARRAY[]::text[], 'owner only');

SELECT * FROM finish();
ROLLBACK;

-- wallet_webhook_unsubscribe: ends a subscription once; nothing more is fanned out to it.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000002', 'Unhooked');
SELECT wallet_webhook_subscribe('https://hooks.example/u', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') AS sub \gset
SELECT ok(wallet_webhook_unsubscribe(:sub), 'an active subscription ends');
SELECT is(wallet_webhook_unsubscribe(:sub), NULL, 'ending it again: not active');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000002', 1, 10, 'wu-1');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
SELECT is((SELECT count(*)::int FROM wallet.webhook_deliveries WHERE subscription_id = :sub), 0,
          'no deliveries for an ended subscription');
SELECT function_privs_are('public', 'wallet_webhook_unsubscribe', ARRAY['bigint'], 'wallet_service',
                          ARRAY[]::text[], 'owner only');

SELECT * FROM finish();
ROLLBACK;

-- wallet_webhook_fan_out: a pending delivery per matching event placed since the
-- subscription's position, each once, moving the position; bounded per call.
BEGIN;
SELECT plan(8);

UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_open_account('e2000000-0000-4000-8000-000000000004', 'Fanned');
SELECT wallet_webhook_subscribe('https://hooks.example/f', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.spend}') AS spends \gset
SELECT wallet_webhook_subscribe('https://hooks.example/f2', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') AS everything \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000004', 1, 10, 'wf-1');
SELECT * FROM wallet_spend('e2000000-0000-4000-8000-000000000004', 1, 3, 'wf-2');
SELECT * FROM wallet_hold('e2000000-0000-4000-8000-000000000004', 1, 2, 'wf-3');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT is(wallet_webhook_fan_out(), 4, 'the spend to both, the top-up and the hold to "everything"');
SELECT is(wallet_webhook_fan_out(), 0, 'nothing twice');
SELECT results_eq(format('SELECT e.type FROM wallet.webhook_deliveries d JOIN wallet.feed_events e USING (event_id)
                          WHERE d.subscription_id = %s', :spends),
                  $$VALUES ('entry.spend')$$, 'only the types subscribed to');
SELECT is((SELECT array_agg(state || attempts ORDER BY event_id) FROM wallet.webhook_deliveries WHERE subscription_id = :everything),
          '{pending0,pending0,pending0}', 'pending, not yet attempted');
SELECT is((SELECT fanned_out_through FROM wallet.webhook_subscriptions WHERE subscription_id = :spends),
          (SELECT max(event_id) FROM wallet.event_feed), 'the position moved to the feed''s end');
SELECT * FROM wallet_spend('e2000000-0000-4000-8000-000000000004', 1, 1, 'wf-4');
SELECT * FROM wallet_spend('e2000000-0000-4000-8000-000000000004', 1, 1, 'wf-5');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT is(wallet_webhook_fan_out(1), 2, 'at most p_limit positions per subscription per call');
SELECT throws_ok('SELECT wallet_webhook_fan_out(0)', 'WA002', 'invalid_request: limit must be from 1 to 100000',
                 'a limit in range');
SELECT function_privs_are('public', 'wallet_webhook_fan_out', ARRAY['integer'], 'wallet_worker', ARRAY['EXECUTE'],
                          'the worker runs it');

SELECT * FROM finish();
ROLLBACK;

-- wallet_webhook_redeliver: dead deliveries back to pending, due now, with a fresh
-- window; one event's or all of a subscription's.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000008', 'Again');
UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_webhook_subscribe('https://hooks.example/r', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000008', 1, 10, 'wr-1');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000008', 1, 10, 'wr-2');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
UPDATE wallet.webhook_deliveries SET state = 'dead', attempts = 12, first_attempt_at = now() - interval '25 hours'
WHERE subscription_id = :sub;
SELECT is(wallet_webhook_redeliver(:sub, (SELECT min(event_id) FROM wallet.webhook_deliveries WHERE subscription_id = :sub)),
          1, 'one event');
SELECT is(wallet_webhook_redeliver(:sub), 1, 'the rest of the subscription''s dead');
SELECT results_eq(format('SELECT DISTINCT state, attempts, first_attempt_at IS NULL, due_at <= now()
                          FROM wallet.webhook_deliveries WHERE subscription_id = %s', :sub),
                  $$VALUES ('pending', 0, true, true)$$, 'pending, due now, a fresh window');
SELECT is(wallet_webhook_redeliver(:sub), 0, 'nothing dead left');

SELECT * FROM finish();
ROLLBACK;

-- wallet_webhook_claim: due deliveries with their URL, secret and Standard Webhooks
-- payload; a claim is an attempt and a lease; not due again until the lease ends;
-- nothing for an ended subscription; at most 10 of one subscription per claim, none of
-- a paused one; the worker's only.
BEGIN;
SELECT plan(14);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000005', 'Claimed');
UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_webhook_subscribe('https://hooks.example/c', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000005', 1, 10, 'wc-1', '{"order": 7}');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
CREATE TEMP TABLE claimed AS SELECT * FROM wallet_webhook_claim(10, '1 minute');
SELECT results_eq('SELECT attempt, url, secret FROM claimed',
                  $$VALUES (1, 'https://hooks.example/c', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')$$, 'the delivery, its URL and secret');
SELECT is((SELECT (payload::jsonb -> 'data') - 'occurred_at' FROM claimed),
          (SELECT to_jsonb(e) - 'occurred_at' FROM wallet_events((SELECT event_id - 1 FROM claimed), 1) e),
          'data: the event as wallet_events answers it');
SELECT is((SELECT payload::jsonb ->> 'type' FROM claimed), 'entry.topup', 'the type');
SELECT is((SELECT (payload::jsonb ->> 'timestamp')::timestamptz FROM claimed),
          (SELECT occurred_at FROM wallet.feed_events e
           WHERE e.event_id = (SELECT event_id FROM claimed)), 'the timestamp: when it occurred');
SELECT is((SELECT count(*)::int FROM wallet_webhook_claim(10, '1 minute')), 0, 'leased: not handed out again');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id = :sub;
SELECT is((SELECT attempt FROM wallet_webhook_claim(10, '1 minute')), 2,
          'when the lease ends (its worker died) it is claimed again, a second attempt');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id = :sub;
SELECT wallet_webhook_unsubscribe(:sub);
SELECT is((SELECT count(*)::int FROM wallet_webhook_claim(10, '1 minute')), 0, 'nothing for an ended subscription');
-- a busy receiver and a quiet one: 12 due for the first, 1 for the second
SELECT wallet_webhook_subscribe('https://hooks.example/busy', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.bonus}') AS busy \gset
SELECT wallet_webhook_subscribe('https://hooks.example/quiet', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.spend}') AS quiet \gset
SELECT count(*) FROM generate_series(1, 12) n, LATERAL wallet_bonus('e2000000-0000-4000-8000-000000000005', 1, 1, 'wcb-' || n);
SELECT * FROM wallet_spend('e2000000-0000-4000-8000-000000000005', 1, 1, 'wcs-1');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
CREATE TEMP TABLE fair AS SELECT * FROM wallet_webhook_claim(100, '1 minute');
SELECT results_eq('SELECT subscription_id, count(*)::int FROM fair GROUP BY 1 ORDER BY 1',
                  format('VALUES (%s::bigint, 10), (%s::bigint, 1)', :busy, :quiet),
                  'at most 10 of one subscription per claim: the quiet one is not kept waiting');
UPDATE wallet.webhook_subscriptions SET paused_until = clock_timestamp() + interval '1 minute' WHERE subscription_id = :busy;
SELECT is((SELECT count(*)::int FROM wallet_webhook_claim(100, '1 minute')), 0, 'a paused receiver gets nothing');
UPDATE wallet.webhook_subscriptions SET paused_until = clock_timestamp() - interval '1 second' WHERE subscription_id = :busy;
SELECT is((SELECT count(*)::int FROM wallet_webhook_claim(100, '1 minute')), 2, 'and the rest once the pause ends');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id IN (:busy, :quiet) AND state = 'pending';
SELECT results_eq(format('SELECT subscription_id, count(*)::int FROM wallet_webhook_claim(100, ''1 minute'', ARRAY[%s]) GROUP BY 1', :busy),
                  format('VALUES (%s::bigint, 1)', :quiet), 'nothing of a receiver the worker says is busy');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id IN (:busy, :quiet) AND state = 'pending';
SELECT results_eq('SELECT subscription_id, count(*)::int FROM wallet_webhook_claim(100, ''1 minute'', NULL, 3) GROUP BY 1 ORDER BY 1',
                  format('VALUES (%s::bigint, 3), (%s::bigint, 1)', :busy, :quiet), 'at most p_per_subscription of one');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id = :busy AND state = 'pending';
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 millisecond' WHERE subscription_id = :quiet AND state = 'pending';
UPDATE wallet.webhook_subscriptions SET last_claimed_at = clock_timestamp() WHERE subscription_id = :busy;
UPDATE wallet.webhook_subscriptions SET last_claimed_at = NULL WHERE subscription_id = :quiet;
SELECT results_eq('SELECT subscription_id FROM wallet_webhook_claim(1, ''1 minute'')', format('VALUES (%s::bigint)', :quiet),
                  'the receiver served least recently first, though its delivery came due last');
SELECT function_privs_are('public', 'wallet_webhook_claim', ARRAY['integer', 'interval', 'bigint[]', 'integer'], 'wallet_service',
                          ARRAY[]::text[], 'not wallet_service: it hands out secrets');

SELECT * FROM finish();
ROLLBACK;

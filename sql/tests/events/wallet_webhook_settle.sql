-- wallet_webhook_settle: a claim's deliveries at once, in the order given: delivered;
-- or due again after a backoff within [half, all] of 1 s * 2^(attempt - 1) capped; or
-- dead after the retry window; a stale claim changes nothing; a receiver whose
-- deliveries all failed is paused for 1 s, 2 s, 4 s ... capped, until a success.
BEGIN;
SELECT plan(13);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000006', 'Settled');
UPDATE wallet.webhook_subscriptions SET removed_at = now() WHERE removed_at IS NULL;  -- only this test's
SELECT wallet_webhook_subscribe('https://hooks.example/s', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.topup}') AS sub \gset
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000006', 1, 10, 'wse-1');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000006', 1, 10, 'wse-2');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT wallet_webhook_fan_out();
SELECT min(event_id) AS first, max(event_id) AS second FROM wallet.webhook_deliveries WHERE subscription_id = :sub \gset
SELECT count(*) FROM wallet_webhook_claim(10, '1 minute');

SELECT results_eq(format('SELECT event_id, state FROM wallet_webhook_settle(ARRAY[%1$s, %1$s], ARRAY[%3$s, %2$s],
                                  ARRAY[1, 1], ARRAY[''HTTP 503'', NULL], ''1 hour'', ''1 hour'')', :sub, :first, :second),
                  format('VALUES (%s::bigint, ''pending''), (%s::bigint, ''delivered'')', :second, :first),
                  'a failure retried, a success delivered; answered in the order given');
SELECT ok((SELECT due_at - clock_timestamp() BETWEEN interval '0.4 s' AND interval '1 s'
           FROM wallet.webhook_deliveries WHERE subscription_id = :sub AND event_id = :second),
          'the first retry within half a second to a second');
SELECT is((SELECT last_error FROM wallet.webhook_deliveries WHERE subscription_id = :sub AND event_id = :second),
          'HTTP 503', 'the error kept');
SELECT is((SELECT state FROM wallet_webhook_settle(ARRAY[:sub]::bigint[], ARRAY[:first]::bigint[], ARRAY[1], ARRAY['HTTP 500'])),
          'delivered', 'a late failure of a delivered one changes nothing');
UPDATE wallet.webhook_deliveries SET attempts = 9 WHERE subscription_id = :sub AND event_id = :second;
SELECT wallet_webhook_settle(ARRAY[:sub]::bigint[], ARRAY[:second]::bigint[], ARRAY[9], ARRAY['HTTP 503'], '1 hour', '1 minute');
SELECT ok((SELECT due_at - clock_timestamp() BETWEEN interval '29 s' AND interval '60 s'
           FROM wallet.webhook_deliveries WHERE subscription_id = :sub AND event_id = :second),
          'the ninth (256 s) capped at a minute, with jitter');
SELECT is((SELECT state FROM wallet_webhook_settle(ARRAY[:sub]::bigint[], ARRAY[:second]::bigint[], ARRAY[8], ARRAY['timeout'], '0', '1 minute')),
          'pending', 'an earlier claim (its lease ran out) changes nothing');
SELECT is((SELECT state FROM wallet_webhook_settle(ARRAY[:sub]::bigint[], ARRAY[:second]::bigint[], ARRAY[9], ARRAY['timeout'], '0', '1 minute')),
          'dead', 'failing for the whole retry window: dead');
SELECT throws_ok('SELECT * FROM wallet_webhook_settle(ARRAY[1]::bigint[], ARRAY[1, 2]::bigint[], ARRAY[1], ARRAY[NULL]::text[])',
                 'WA002', 'invalid_request: one subscription, event, attempt and error per delivery', 'parallel arrays');
SELECT function_privs_are('public', 'wallet_webhook_settle', ARRAY['bigint[]', 'bigint[]', 'integer[]', 'text[]', 'interval', 'interval'],
                          'wallet_service', ARRAY[]::text[], 'the worker''s');

-- the receiver as a whole: paused while its deliveries fail, doubling, capped; a success lifts it
UPDATE wallet.webhook_deliveries SET state = 'pending', due_at = now() - interval '1 second', attempts = 0
WHERE subscription_id = :sub;
UPDATE wallet.webhook_subscriptions SET consecutive_failures = 0, paused_until = NULL WHERE subscription_id = :sub;
CREATE TEMP TABLE pauses (n integer, seconds float8);
DO $$
DECLARE
    v record;
BEGIN
    FOR n IN 1..3 LOOP
        UPDATE wallet.webhook_subscriptions SET paused_until = NULL WHERE url = 'https://hooks.example/s';
        UPDATE wallet.webhook_deliveries d SET due_at = now() - interval '1 second' FROM wallet.webhook_subscriptions s
        WHERE s.subscription_id = d.subscription_id AND s.url = 'https://hooks.example/s' AND d.state = 'pending';
        SELECT * INTO v FROM wallet_webhook_claim(1, '1 minute');
        PERFORM wallet_webhook_settle(ARRAY[v.subscription_id], ARRAY[v.event_id], ARRAY[v.attempt],
                                      ARRAY['TimeoutError'], '1 hour', '3 seconds');
        INSERT INTO pauses SELECT n, extract(epoch FROM paused_until - clock_timestamp())
        FROM wallet.webhook_subscriptions WHERE subscription_id = v.subscription_id;
    END LOOP;
END
$$;
SELECT results_eq('SELECT n, round(seconds)::int FROM pauses ORDER BY n', $$VALUES (1, 1), (2, 2), (3, 3)$$,
                  'paused 1 s, 2 s, then the 3 s cap, failure after failure');
SELECT is((SELECT count(*)::int FROM wallet_webhook_claim(10, '1 minute')), 0, 'nothing claimed while paused');
UPDATE wallet.webhook_subscriptions SET paused_until = NULL WHERE subscription_id = :sub;
SELECT wallet_webhook_settle(array_agg(subscription_id), array_agg(event_id), array_agg(attempt), array_agg(NULL::text))
FROM wallet_webhook_claim(1, '1 minute');
SELECT is((SELECT (consecutive_failures, paused_until)::text FROM wallet.webhook_subscriptions WHERE subscription_id = :sub),
          '(0,)', 'a success lifts the pause and forgets the failures');
UPDATE wallet.webhook_deliveries SET due_at = now() - interval '1 second' WHERE subscription_id = :sub AND state = 'pending';
SELECT wallet_webhook_settle(array_agg(subscription_id), array_agg(event_id), array_agg(attempt), ARRAY['HTTP 503'])
FROM wallet_webhook_claim(1, '1 minute');
SELECT is((SELECT (consecutive_failures, paused_until)::text FROM wallet.webhook_subscriptions WHERE subscription_id = :sub),
          '(0,)', 'a refusal costs no time: the receiver is not paused, the delivery backs off alone');

SELECT * FROM finish();
ROLLBACK;

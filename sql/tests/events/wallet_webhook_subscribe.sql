-- wallet_webhook_subscribe: an http(s) URL, a Standard Webhooks secret and known event
-- types (or all); deliveries start after the feed's present position; no loopback,
-- private or link-local target unless the session allows it; owner only.
BEGIN;
SELECT plan(17);

SELECT wallet_open_account('e2000000-0000-4000-8000-000000000001', 'Hooked');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000001', 1, 10, 'ws-1');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT ok(wallet_webhook_subscribe('https://hooks.example/w', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{hold.opened,entry.spend,entry.spend}') > 0,
          'answers the subscription id');
SELECT is((SELECT event_types FROM wallet.webhook_subscriptions ORDER BY subscription_id DESC LIMIT 1),
          '{entry.spend,hold.opened}'::text[], 'types kept once each, sorted');
SELECT is((SELECT fanned_out_through FROM wallet.webhook_subscriptions ORDER BY subscription_id DESC LIMIT 1),
          (SELECT max(event_id) FROM wallet.event_feed), 'starts after the events already placed');
CREATE TEMP TABLE subscribed AS
SELECT wallet_webhook_subscribe('http://hooks.example:8080/x', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') AS every_type,
       wallet_webhook_subscribe('https://hooks.example/t', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
                                '{entry.transfer_out,entry.transfer_in,entry.fee,entry.exchange_out,entry.exchange_in}') AS moves;
SELECT is((SELECT event_types IS NULL FROM wallet.webhook_subscriptions
           WHERE subscription_id = (SELECT every_type FROM subscribed)), true, 'no types: every type');
SELECT is((SELECT event_types FROM wallet.webhook_subscriptions WHERE subscription_id = (SELECT moves FROM subscribed)),
          '{entry.exchange_in,entry.exchange_out,entry.fee,entry.transfer_in,entry.transfer_out}'::text[],
          'the transfer and exchange events may be subscribed to');
SELECT throws_ok(format($$SELECT wallet_webhook_subscribe(%L, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')$$, url), 'WA002',
                 'invalid_request: url must not name a loopback, private or link-local address', 'refused: ' || url)
FROM unnest(ARRAY['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:8080/x', 'https://LOCALHOST/x',
                  'http://user@10.0.0.7/x', 'http://[::1]:9000/x', 'http://[::ffff:192.168.1.1]/x']) url;
SET LOCAL wallet.webhook_private_targets = 'allow';
SELECT ok(wallet_webhook_subscribe('http://127.0.0.1:8080/x', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') > 0,
          'a receiver on the operator''s own network, when the session allows it');
RESET wallet.webhook_private_targets;
SELECT throws_ok($$SELECT wallet_webhook_subscribe('ftp://hooks.example/w', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')$$, 'WA002',
                 'invalid_request: url must be an http or https URL', 'http or https only');
SELECT throws_ok($$SELECT wallet_webhook_subscribe('https://hooks.example/w', 'swordfish')$$, 'WA002',
                 'invalid_request: secret must be whsec_ followed by the base64 of 24 to 64 bytes', 'a real secret');
SELECT throws_like($$SELECT wallet_webhook_subscribe('https://hooks.example/w', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{entry.gift}')$$,
                   'invalid_request: event types must be some of%', 'known types only');
SELECT throws_like($$SELECT wallet_webhook_subscribe('https://hooks.example/w', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{}')$$,
                   'invalid_request: event types must be some of%', 'an empty list is not "all"');
SELECT function_privs_are('public', 'wallet_webhook_subscribe', ARRAY['text', 'text', 'text[]'], 'wallet_service',
                          ARRAY[]::text[], 'owner only');

SELECT * FROM finish();
ROLLBACK;

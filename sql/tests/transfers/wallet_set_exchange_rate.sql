-- wallet_set_exchange_rate: one direction, both parts 1 or more, NULL numerator removes
-- it; owner only.
BEGIN;
SELECT plan(8);
DELETE FROM wallet.exchange_rates;
SELECT wallet_set_exchange_rate(1, 2, 10, 1);
SELECT results_eq($$SELECT from_asset_type_id, to_asset_type_id, numerator, denominator FROM wallet.exchange_rates$$,
                  $$VALUES (1, 2, 10::bigint, 1::bigint)$$, 'a rate is set, one direction');
SELECT wallet_set_exchange_rate(1, 2, 3, 4);
SELECT results_eq($$SELECT numerator, denominator FROM wallet.exchange_rates$$, $$VALUES (3::bigint, 4::bigint)$$,
                  'setting it again replaces it');
SELECT wallet_set_exchange_rate(1, 2, NULL, 0);
SELECT is((SELECT count(*)::int FROM wallet.exchange_rates), 0, 'a NULL numerator removes it, whatever the denominator');
SELECT throws_ok($$SELECT wallet_set_exchange_rate(1, 2, 0, 1)$$, 'WA002', NULL, 'a numerator of 0: invalid_request');
SELECT throws_ok($$SELECT wallet_set_exchange_rate(1, 2, 1, 0)$$, 'WA002', NULL, 'a denominator of 0: invalid_request');
SELECT throws_ok($$SELECT wallet_set_exchange_rate(1, 1, 1, 1)$$, 'WA002', NULL, 'one asset both sides: invalid_request');
SELECT throws_ok($$SELECT wallet_set_exchange_rate(1, 99, 1, 1)$$, 'WA004', NULL, 'an unknown asset: asset_not_found');
SET LOCAL ROLE wallet_service;
SELECT throws_ok($$SELECT wallet_set_exchange_rate(1, 2, 1, 1)$$, '42501', NULL, 'a service may not set it');
RESET ROLE;
SELECT * FROM finish();
ROLLBACK;

-- wallet_exchange_rates: the rates, in asset order; any service may read them.
BEGIN;
SELECT plan(2);
DELETE FROM wallet.exchange_rates;
SELECT wallet_set_exchange_rate(2, 1, 1, 20);
SELECT wallet_set_exchange_rate(1, 2, 10, 1);
SET LOCAL ROLE wallet_service;
SELECT results_eq($$SELECT * FROM wallet_exchange_rates()$$,
                  $$VALUES (1, 2, 10::bigint, 1::bigint), (2, 1, 1::bigint, 20::bigint)$$,
                  'every rate, from and to in asset order');
RESET ROLE;
DELETE FROM wallet.exchange_rates;
SELECT is_empty($$SELECT * FROM wallet_exchange_rates()$$, 'none set: none listed');
SELECT * FROM finish();
ROLLBACK;

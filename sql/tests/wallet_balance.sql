-- wallet_balance: one row per asset, zero where nothing was posted.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e0000000-0000-4000-8000-000000000001', 'Eve');
SELECT results_eq($$SELECT * FROM wallet_balance('e0000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (1, 'GOLD', 0::bigint), (2, 'POINTS', 0::bigint)$$, 'a new account has zero of every asset');
SELECT * FROM wallet_topup('e0000000-0000-4000-8000-000000000001', 2, 25, 'k1');
SELECT * FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 2, 5, 'k2');
SELECT results_eq($$SELECT * FROM wallet_balance('e0000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (1, 'GOLD', 0::bigint), (2, 'POINTS', 20::bigint)$$, 'balances after activity');
INSERT INTO wallet.asset_types VALUES (3, 'GEMS', 'Gems');
SELECT results_eq($$SELECT asset_code, balance FROM wallet_balance('e0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 3$$,
                  $$VALUES ('GEMS', 0::bigint)$$, 'an asset added later shows as zero');
SELECT throws_ok($$SELECT * FROM wallet_balance('e0000000-0000-4000-8000-00000000dead')$$, 'WA003', NULL, 'account_not_found');

SELECT * FROM finish();
ROLLBACK;

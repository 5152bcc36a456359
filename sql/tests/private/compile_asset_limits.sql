-- wallet.compile_asset_limits: the inlined limit functions follow asset_types.
BEGIN;
SELECT plan(3);
UPDATE wallet.asset_types SET max_balance = NULL, daily_spend_limit = NULL;
SELECT wallet.compile_asset_limits();
SELECT is(wallet.asset_max_balance(1), NULL::bigint, 'no limit: NULL');
UPDATE wallet.asset_types SET max_balance = 700 WHERE asset_type_id = 2;
UPDATE wallet.asset_types SET daily_spend_limit = 30 WHERE asset_type_id = 1;
SELECT wallet.compile_asset_limits();
SELECT results_eq($$SELECT wallet.asset_max_balance(1), wallet.asset_max_balance(2)$$,
                  $$VALUES (NULL::bigint, 700::bigint)$$, 'each asset its own cap');
SELECT is(wallet.asset_daily_spend_limit(1), 30::bigint, 'and its daily limit');
SELECT * FROM finish();
ROLLBACK;

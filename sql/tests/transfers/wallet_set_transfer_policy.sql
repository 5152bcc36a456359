-- wallet_set_transfer_policy: none, free_only or all, owner only; wallet_assets shows it.
BEGIN;
SELECT plan(6);
SELECT col_default_is('wallet', 'asset_types', 'transfer_policy', 'none', 'the default is none');
SELECT wallet_set_transfer_policy(2, 'free_only');
SELECT is((SELECT transfer_policy FROM wallet_assets() WHERE asset_type_id = 2), 'free_only', 'set to free_only');
SELECT throws_ok($$SELECT wallet_set_transfer_policy(2, 'some')$$, 'WA002', NULL, 'an unknown policy: invalid_request');
SELECT throws_ok($$SELECT wallet_set_transfer_policy(2, NULL)$$, 'WA002', NULL, 'no policy: invalid_request');
SELECT throws_ok($$SELECT wallet_set_transfer_policy(99, 'all')$$, 'WA004', NULL, 'an unknown asset: asset_not_found');
SET LOCAL ROLE wallet_service;
SELECT throws_ok($$SELECT wallet_set_transfer_policy(2, 'all')$$, '42501', NULL, 'a service may not set it');
RESET ROLE;
SELECT * FROM finish();
ROLLBACK;

-- wallet_set_spend_order: the owner sets an asset's order; refusals by SQLSTATE.
BEGIN;
SELECT plan(4);
SELECT is((SELECT spend_order FROM wallet.asset_types WHERE asset_type_id = 2), 'free_first', 'free first by default');
SELECT lives_ok($$SELECT wallet_set_spend_order(2, 'paid_first')$$, 'the owner changes it');
SELECT is((SELECT spend_order FROM wallet.asset_types WHERE asset_type_id = 2), 'paid_first', 'and it is changed');
SELECT throws_ok($$SELECT wallet_set_spend_order(99, 'paid_first')$$, 'WA004', NULL, 'an unknown asset: asset_not_found');
SELECT * FROM finish();
ROLLBACK;

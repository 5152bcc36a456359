-- wallet_assets: every asset with its code, name and spend order, by id; callable by
-- wallet_service; follows wallet_set_spend_order.
BEGIN;
SELECT plan(3);

SELECT results_eq('SELECT asset_type_id, code, spend_order FROM wallet_assets()',
                  $$VALUES (1, 'GOLD', 'free_first'), (2, 'POINTS', 'free_first')$$, 'the reference assets, free first');
SELECT wallet_set_spend_order(2, 'paid_first');
SET LOCAL ROLE wallet_service;
SELECT results_eq('SELECT code, spend_order FROM wallet_assets() WHERE asset_type_id = 2',
                  $$VALUES ('POINTS', 'paid_first')$$, 'as wallet_service, with the order an operator set');
RESET ROLE;
SELECT is((SELECT name FROM wallet_assets() WHERE code = 'GOLD'), 'Gold Coins', 'with its name');

SELECT * FROM finish();
ROLLBACK;

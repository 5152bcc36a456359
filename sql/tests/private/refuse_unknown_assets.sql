-- wallet.refuse_unknown_assets: nothing when both assets exist; asset_not_found naming
-- the first unknown one otherwise.
BEGIN;
SELECT plan(4);
SELECT lives_ok($$SELECT wallet.refuse_unknown_assets(1, 2)$$, 'both exist: nothing');
SELECT throws_ok($$SELECT wallet.refuse_unknown_assets(1, 98)$$, 'WA004', 'asset_not_found: no asset with id 98',
                 'the second unknown');
SELECT throws_ok($$SELECT wallet.refuse_unknown_assets(97, 98)$$, 'WA004', 'asset_not_found: no asset with id 97',
                 'both unknown: the first is named');
SELECT throws_ok($$SELECT wallet.refuse_unknown_assets(NULL, 1)$$, 'WA004', 'asset_not_found: no asset with id null',
                 'a missing id is no asset either');
SELECT * FROM finish();
ROLLBACK;

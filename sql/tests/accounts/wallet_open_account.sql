-- wallet_open_account: creates the account with a zero wallet per asset; a second
-- call returns the same account and changes nothing.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE opened AS SELECT wallet_open_account('d0000000-0000-4000-8000-000000000001', 'Dana') AS account_id;
SELECT isnt((SELECT account_id FROM opened), NULL, 'returns the account id');
SELECT results_eq($$SELECT asset_type_id, balance FROM wallet.wallets WHERE account_id = (SELECT account_id FROM opened) ORDER BY 1$$,
                  $$VALUES (1, 0::bigint), (2, 0::bigint)$$, 'a zero wallet for every asset');
SELECT is(wallet_open_account('d0000000-0000-4000-8000-000000000001', 'Another Name'), (SELECT account_id FROM opened),
          'a second call returns the same account');
SELECT is((SELECT name FROM wallet.accounts WHERE user_id = 'd0000000-0000-4000-8000-000000000001'), 'Dana',
          'and changes nothing');
SELECT is((SELECT count(*)::int FROM wallet.accounts WHERE user_id = 'd0000000-0000-4000-8000-000000000001'), 1, 'one account per user');
SELECT throws_ok($$SELECT wallet_open_account(NULL, 'X')$$, 'WA002', NULL, 'null user_id: invalid_request');
SELECT throws_ok($$SELECT wallet_open_account('d0000000-0000-4000-8000-000000000002', '')$$, 'WA002', NULL, 'empty name: invalid_request');
SELECT throws_ok($$SELECT wallet_open_account('d0000000-0000-4000-8000-000000000002', repeat('n', 201))$$, 'WA002', NULL, 'name over 200 characters: invalid_request');

SELECT * FROM finish();
ROLLBACK;

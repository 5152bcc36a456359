-- wallet.user_account_id: a user's account, or account_not_found.
BEGIN;
SELECT plan(2);
CREATE TEMP TABLE opened AS SELECT wallet_open_account('ac000000-0000-4000-8000-000000000001', 'Lookup') AS account_id;
SELECT is(wallet.user_account_id('ac000000-0000-4000-8000-000000000001'), (SELECT account_id FROM opened),
          'the account of a known user');
SELECT throws_ok($$SELECT wallet.user_account_id('00000000-0000-4000-8000-00000000dead')$$, 'WA003', NULL,
                 'an unknown user: account_not_found');
SELECT * FROM finish();
ROLLBACK;

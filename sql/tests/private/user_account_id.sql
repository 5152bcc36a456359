-- wallet.user_account_id: a user's account, or account_not_found.
BEGIN;
SELECT plan(2);
SELECT is(wallet.user_account_id('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'),
          (SELECT account_id FROM wallet.accounts WHERE user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'),
          'the account of a known user');
SELECT throws_ok($$SELECT wallet.user_account_id('00000000-0000-4000-8000-00000000dead')$$, 'WA003', NULL,
                 'an unknown user: account_not_found');
SELECT * FROM finish();
ROLLBACK;

-- wallet_open_account_status: the API's form of wallet_open_account, saying whether the
-- call created the account.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE first_call AS SELECT * FROM wallet_open_account_status('d1000000-0000-4000-8000-000000000001', 'Dora');
SELECT is((SELECT created FROM first_call), true, 'the first call creates the account');
SELECT results_eq($$SELECT account_id, created FROM wallet_open_account_status('d1000000-0000-4000-8000-000000000001', 'Dora')$$,
                  $$SELECT account_id, false FROM first_call$$, 'a second call returns the same account, not created');
SELECT is(wallet_open_account('d1000000-0000-4000-8000-000000000001', 'Dora'), (SELECT account_id FROM first_call),
          'wallet_open_account returns the same id');
SELECT throws_ok($$SELECT * FROM wallet_open_account_status('d1000000-0000-4000-8000-000000000002', E'tab\there')$$,
                 'WA002', NULL, 'a name with a control character: invalid_request');

SELECT * FROM finish();
ROLLBACK;

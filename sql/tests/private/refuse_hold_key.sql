-- wallet.refuse_hold_key: a key one of the account's holds uses is idempotency_key_reused.
BEGIN;
SELECT plan(2);
SELECT wallet_open_account('b5000000-0000-4000-8000-000000000001', 'Hold keys');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b5000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b5000000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_hold('b5000000-0000-4000-8000-000000000001', 1, 10, 'h');
SELECT throws_ok($$SELECT wallet.refuse_hold_key((SELECT account_id FROM acct), 'h')$$, 'WA005', NULL, 'a hold''s key');
SELECT lives_ok($$SELECT wallet.refuse_hold_key((SELECT account_id FROM acct), 'p')$$, 'any other key');
SELECT * FROM finish();
ROLLBACK;

-- wallet.expired_credit: the remainders of lots expired by a time, not yet posted, by class.
BEGIN;
SELECT plan(3);
SELECT wallet_open_account('ec000000-0000-4000-8000-000000000001', 'Expired credit');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'ec000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('ec000000-0000-4000-8000-000000000001', 1, 40, 'p', '{}', now() + interval '1 hour');
SELECT * FROM wallet_bonus('ec000000-0000-4000-8000-000000000001', 1, 15, 'f', '{}', now() + interval '2 hours');
SELECT * FROM wallet_bonus('ec000000-0000-4000-8000-000000000001', 1, 7, 'n');
SELECT results_eq($$SELECT * FROM wallet.expired_credit((SELECT account_id FROM acct), 1, now())$$,
                  $$VALUES (0::bigint, 0::bigint)$$, 'nothing has expired yet');
SELECT results_eq($$SELECT * FROM wallet.expired_credit((SELECT account_id FROM acct), 1, now() + interval '1 hour')$$,
                  $$VALUES (40::bigint, 0::bigint)$$, 'at its expires_at a lot has expired');
SELECT results_eq($$SELECT * FROM wallet.expired_credit((SELECT account_id FROM acct), 1, now() + interval '1 year')$$,
                  $$VALUES (40::bigint, 15::bigint)$$, 'a lot that never expires is never counted');
SELECT * FROM finish();
ROLLBACK;

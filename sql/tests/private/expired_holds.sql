-- wallet.expired_holds: what holds past a time, not yet released, still count: their
-- amount, and by class the part reserved from lots expired by then.
BEGIN;
SELECT plan(3);
SELECT wallet_open_account('b4000000-0000-4000-8000-000000000001', 'Expired holds read');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b4000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b4000000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_bonus('b4000000-0000-4000-8000-000000000001', 1, 30, 'f', '{}', now() + interval '2 hours');
SELECT * FROM wallet_hold('b4000000-0000-4000-8000-000000000001', 1, 50, 'h', '1 hour');  -- 30 free, 20 paid

SELECT results_eq($$SELECT * FROM wallet.expired_holds((SELECT account_id FROM acct), 1, now())$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint)$$, 'an open hold counts in full');
SELECT results_eq($$SELECT * FROM wallet.expired_holds((SELECT account_id FROM acct), 1, now() + interval '1 hour')$$,
                  $$VALUES (50::bigint, 0::bigint, 0::bigint)$$, 'at its expires_at it holds nothing; its lots are alive');
SELECT results_eq($$SELECT * FROM wallet.expired_holds((SELECT account_id FROM acct), 1, now() + interval '3 hours')$$,
                  $$VALUES (50::bigint, 0::bigint, 30::bigint)$$, 'once the free lot has expired too, its reserved 30 is gone');
SELECT * FROM finish();
ROLLBACK;

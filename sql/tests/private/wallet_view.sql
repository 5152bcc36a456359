-- wallet.wallet_view: the wallet as its user sees it at a time: the cache less expired
-- remainders not yet swept and less what expired, unreleased holds still count.
BEGIN;
SELECT plan(3);
SELECT wallet_open_account('b7000000-0000-4000-8000-000000000001', 'View');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b7000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b7000000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_bonus('b7000000-0000-4000-8000-000000000001', 1, 30, 'f', '{}', now() + interval '2 hours');
SELECT * FROM wallet_hold('b7000000-0000-4000-8000-000000000001', 1, 40, 'h', '1 hour');  -- the free 30, then 10 paid

SELECT results_eq($$SELECT balance, paid, free, held, available, debt FROM wallet.wallet_view((SELECT account_id FROM acct), 1, now())$$,
                  $$VALUES (130::bigint, 100::bigint, 30::bigint, 40::bigint, 90::bigint, 0::bigint)$$, 'now: the hold counts');
SELECT results_eq($$SELECT balance, held, available FROM wallet.wallet_view((SELECT account_id FROM acct), 1, now() + interval '1 hour')$$,
                  $$VALUES (130::bigint, 0::bigint, 130::bigint)$$, 'at the hold''s expiry it holds nothing');
SELECT results_eq($$SELECT balance, paid, free, available FROM wallet.wallet_view((SELECT account_id FROM acct), 1, now() + interval '3 hours')$$,
                  $$VALUES (100::bigint, 100::bigint, 0::bigint, 100::bigint)$$, 'once the free lot has expired too, its credit is gone');
SELECT * FROM finish();
ROLLBACK;

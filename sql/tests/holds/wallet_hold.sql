-- wallet_hold: reserves from lots in spend order (a hold spanning a free and a paid
-- lot); held and available; spends and holds take only what is available; replay and
-- key reuse across holds and entries; hold larger than available; bad arguments;
-- wallet_verify() clean.
BEGIN;
SELECT plan(29);

SELECT wallet_open_account('a1000000-0000-4000-8000-000000000001', 'Holder');
SELECT * FROM wallet_topup('a1000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
SELECT * FROM wallet_bonus('a1000000-0000-4000-8000-000000000001', 1, 30, 'gift-1');

CREATE TEMP TABLE h1 AS
    SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 50, 'h-1');
SELECT results_eq($$SELECT available, replayed, expires_at = now() + interval '15 minutes' FROM h1$$,
                  $$VALUES (80::bigint, false, true)$$, 'a hold answers what is available after it; 15 minutes by default');
SELECT results_eq($$SELECT free_amount, paid_amount, state, captured_amount FROM wallet.holds WHERE hold_id = (SELECT hold_id FROM h1)$$,
                  $$VALUES (30::bigint, 20::bigint, 'open', 0::bigint)$$,
                  'free first: all 30 of the free lot, then 20 of the paid one');
SELECT results_eq($$SELECT balance, paid, free, held, available FROM wallet_balance('a1000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (130::bigint, 100::bigint, 30::bigint, 50::bigint, 80::bigint)$$,
                  'the balance still counts reserved credit; available does not');
SELECT results_eq($$SELECT sum(remaining) FROM wallet.lots l JOIN wallet.accounts a USING (account_id)
                    WHERE a.user_id = 'a1000000-0000-4000-8000-000000000001'$$,
                  $$VALUES (80::numeric)$$, 'reserved credit has left its lots');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent with an open hold');
SELECT results_eq($$SELECT bool_and(has_holds) FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
                    WHERE a.user_id = 'a1000000-0000-4000-8000-000000000001'$$,
                  ARRAY[true], 'every wallet of the account is marked: its entries look for their keys among holds');
SELECT results_eq($$SELECT w.held, w.next_hold_expiry IS NULL, wallet.spent_today(w.spent_day, w.spent_today, now())
                    FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
                    WHERE a.user_id = 'a1000000-0000-4000-8000-000000000001' AND w.asset_type_id <> 1$$,
                  $$VALUES (0::bigint, true, 0::bigint)$$, 'and only marked: its other wallets hold and spent nothing');

SELECT results_eq($$SELECT hold_id, available, replayed FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 50, 'h-1', '1 hour')$$,
                  $$SELECT hold_id, 80::bigint, true FROM h1$$, 'the same key again is a replay of the first answer');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 51, 'h-1')$$,
                 'WA005', NULL, 'the same key for another amount: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 5, 'pay-1')$$,
                 'WA005', NULL, 'a key an entry used');
SELECT throws_ok($$SELECT * FROM wallet_spend('a1000000-0000-4000-8000-000000000001', 1, 5, 'h-1')$$,
                 'WA005', NULL, 'an entry keyed like a hold');
SELECT throws_ok($$SELECT * FROM wallet_topup('a1000000-0000-4000-8000-000000000001', 2, 5, 'h-1')$$,
                 'WA005', NULL, 'on another asset too');

SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 81, 'h-2')$$,
                 'WA006', 'insufficient_funds: available 80 is less than 81', 'a hold larger than available');
SELECT throws_ok($$SELECT * FROM wallet_spend('a1000000-0000-4000-8000-000000000001', 1, 81, 's-1')$$,
                 'WA006', 'insufficient_funds: available 80 is less than 81', 'a spend cannot take reserved credit');
SELECT results_eq($$SELECT balance, paid_amount, free_amount FROM wallet_spend('a1000000-0000-4000-8000-000000000001', 1, 80, 's-1')$$,
                  $$VALUES (50::bigint, 80::bigint, 0::bigint)$$, 'a spend of what is available takes the unreserved lots');
SELECT results_eq($$SELECT balance, held, available FROM wallet_balance('a1000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (50::bigint, 50::bigint, 0::bigint)$$, 'what is left is all held');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 1, 'h-3')$$,
                 'WA006', NULL, 'nothing is available for another hold');
SELECT throws_ok($$SELECT * FROM wallet_refund('a1000000-0000-4000-8000-000000000001', 'pay-1', 101, 'rf-0', 'debt')$$,
                 'WA008', NULL, 'exceeds its top-up (checked before the lots)');
SELECT results_eq($$SELECT recovered, unrecovered FROM wallet_refund('a1000000-0000-4000-8000-000000000001', 'pay-1', 20, 'rf-1')$$,
                  $$VALUES (0::bigint, 20::bigint)$$, 'a refund never takes credit an open hold reserves');

SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 1, 'h-4', '0.5 seconds')$$,
                 'WA002', NULL, 'expires_in under a second: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 1, 'h-4', '7 days 1 second')$$,
                 'WA002', NULL, 'over 7 days');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 0, 'h-4')$$,
                 'WA001', NULL, 'amount 0: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-0000000000ff', 1, 1, 'h-4')$$,
                 'WA003', NULL, 'unknown user: account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 99, 1, 'h-4')$$,
                 'WA004', NULL, 'unknown asset: asset_not_found');
SELECT * FROM wallet_topup('a1000000-0000-4000-8000-000000000001', 1, 10, 'pay-2');
SELECT results_eq($$SELECT available, expires_at = now() + interval '7 days' FROM wallet_hold('a1000000-0000-4000-8000-000000000001', 1, 10, 'h-4', '7 days')$$,
                  $$VALUES (0::bigint, true)$$, 'up to 7 days');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after holds, spends and a refund beside them');


-- previews
SELECT wallet_open_account('c9000000-0000-4000-8000-0000000000aa', 'Hold preview');
SELECT * FROM wallet_topup('c9000000-0000-4000-8000-0000000000aa', 1, 40, 'hp-fund');
SELECT results_eq($$SELECT hold_id IS NULL, available, replayed
                    FROM wallet_hold('c9000000-0000-4000-8000-0000000000aa', 1, 15, 'hp-1', '1 minute', '{}', true)$$,
                  $$VALUES (true, 25::bigint, false)$$, 'a dry run answers what would be available, no hold id');
SELECT is((SELECT count(*)::int FROM wallet.holds h JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'c9000000-0000-4000-8000-0000000000aa'), 0, 'and makes no hold');
SELECT results_eq($$SELECT held, available FROM wallet_balance('c9000000-0000-4000-8000-0000000000aa') WHERE asset_type_id = 1$$,
                  $$VALUES (0::bigint, 40::bigint)$$, 'nothing is reserved');
SELECT * FROM finish();
ROLLBACK;

-- wallet.locked_hold: the account's hold as it is, its wallet locked; another account's
-- hold, or none, is hold_not_found.
BEGIN;
SELECT plan(3);
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000001', 'Locked hold');
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000002', 'Other');
SELECT * FROM wallet_topup('b6000000-0000-4000-8000-000000000001', 2, 50, 'p');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('b6000000-0000-4000-8000-000000000001', 2, 20, 'h', '1 hour');
SELECT results_eq($$SELECT asset_type_id, amount, state, expires_at = now() + interval '1 hour', next_hold_expiry = expires_at
                    FROM wallet.locked_hold((SELECT account_id FROM wallet.accounts WHERE user_id = 'b6000000-0000-4000-8000-000000000001'),
                                            (SELECT hold_id FROM h))$$,
                  $$VALUES (2, 20::bigint, 'open', true, true)$$, 'the hold and its wallet''s next hold expiry');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold((SELECT account_id FROM wallet.accounts WHERE user_id = 'b6000000-0000-4000-8000-000000000002'),
                                                     (SELECT hold_id FROM h))$$,
                 'WA009', NULL, 'another account''s hold: hold_not_found');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold(1, -1)$$, 'WA009', NULL, 'no such hold');
SELECT * FROM finish();
ROLLBACK;

-- wallet.locked_hold: the user's account and hold as it is, its wallet locked; another
-- account's hold, or none, is hold_not_found; an unknown user is account_not_found.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000001', 'Locked hold');
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000002', 'Other');
SELECT * FROM wallet_topup('b6000000-0000-4000-8000-000000000001', 2, 50, 'p');
SELECT * FROM wallet_bonus('b6000000-0000-4000-8000-000000000001', 2, 5, 'b');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('b6000000-0000-4000-8000-000000000001', 2, 20, 'h', '1 hour');
SELECT results_eq($$SELECT account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'b6000000-0000-4000-8000-000000000001'),
                           asset_type_id, amount, state, expires_at = now() + interval '1 hour', next_hold_expiry = expires_at,
                           paid_amount + free_amount, cardinality(lot_ids), account_status
                    FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h))$$,
                  $$VALUES (true, 2, 20::bigint, 'open', true, true, 20::bigint, 2, 'active')$$,
                  'the account, the hold with its split, and its wallet''s next hold expiry and status');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000002', (SELECT hold_id FROM h))$$,
                 'WA009', NULL, 'another account''s hold: hold_not_found');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000001', -1)$$, 'WA009', NULL, 'no such hold');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-00000000ffff', 1)$$, 'WA003', NULL,
                 'no such user: account_not_found');
SELECT * FROM finish();
ROLLBACK;

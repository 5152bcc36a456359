-- wallet.locked_hold: the user's account and hold as it is, its wallet locked, and
-- whether a key is one of the account's holds'; another account's hold, or none, is
-- hold_not_found; an unknown user is account_not_found.
BEGIN;
SELECT plan(5);
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000001', 'Locked hold');
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000002', 'Other');
SELECT * FROM wallet_topup('b6000000-0000-4000-8000-000000000001', 2, 50, 'p');
SELECT * FROM wallet_bonus('b6000000-0000-4000-8000-000000000001', 2, 5, 'b');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('b6000000-0000-4000-8000-000000000001', 2, 20, 'h', '1 hour');
SELECT results_eq($$SELECT account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'b6000000-0000-4000-8000-000000000001'),
                           asset_type_id, amount, state, expires_at = now() + interval '1 hour', next_hold_expiry = expires_at,
                           paid_amount + free_amount, cardinality(lot_ids), account_status
                    FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h), NULL)$$,
                  $$VALUES (true, 2, 20::bigint, 'open', true, true, 20::bigint, 2, 'active')$$,
                  'the account, the hold with its split, and its wallet''s next hold expiry and status');
SELECT results_eq($$SELECT k, (SELECT key_is_a_holds FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h), k))
                    FROM (VALUES ('h'), ('p'), (NULL)) x (k)$$,
                  $$VALUES ('h', true), ('p', false), (NULL, false)$$,
                  'whether a capture''s key is one of the account''s holds'' (a top-up''s is not)');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000002', (SELECT hold_id FROM h), NULL)$$,
                 'WA009', NULL, 'another account''s hold: hold_not_found');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-000000000001', -1, NULL)$$, 'WA009', NULL, 'no such hold');
SELECT throws_ok($$SELECT * FROM wallet.locked_hold('b6000000-0000-4000-8000-00000000ffff', 1, NULL)$$, 'WA003', NULL,
                 'no such user: account_not_found');
SELECT * FROM finish();
ROLLBACK;

-- wallet_expire: one expire entry per expired remainder, at most p_limit per call, each
-- lot once; holds past expires_at released, at most p_limit per call, the reserved
-- credit of an expired lot expiring with them; what callers see does not change;
-- balances, lots and holds stay proven.
BEGIN;
SELECT plan(15);

SELECT wallet_open_account('f0000000-0000-4000-8000-000000000001', 'Expiry');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'f0000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 100, 'p1');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000001', 1, 30, 'b1', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000001', 1, 20, 'b2', '{}', now() + interval '2 days');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 40, 'p2', '{}', now() + interval '3 days');
SELECT * FROM wallet_spend('f0000000-0000-4000-8000-000000000001', 1, 10, 's1');  -- takes 10 of b1

-- time passes: every expiring lot has expired (no other lot in this database expires)
UPDATE wallet.lots SET expires_at = now() - interval '1 minute'
WHERE account_id = (SELECT account_id FROM acct) AND expires_at IS NOT NULL;
UPDATE wallet.wallets SET next_expiry = now() - interval '1 minute' WHERE account_id = (SELECT account_id FROM acct);
SELECT results_eq($$SELECT balance FROM wallet_balance('f0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  ARRAY[100::bigint], 'expired lots are not counted before the sweep');

SELECT results_eq($$SELECT * FROM wallet_expire(2)$$, $$VALUES (2, 0)$$, 'a sweep posts at most p_limit lots');
SELECT results_eq($$SELECT * FROM wallet_expire()$$, $$VALUES (1, 0)$$, 'the next one posts the rest');
SELECT results_eq($$SELECT * FROM wallet_expire()$$, $$VALUES (0, 0)$$, 'and then there is nothing left: each lot expires once');
SELECT results_eq($$SELECT kind, amount, paid_amount, free_amount, balance_after, idempotency_key IS NULL
                    FROM wallet.ledger_entries WHERE account_id = (SELECT account_id FROM acct) AND kind = 'expire'
                    ORDER BY entry_id$$,
                  $$VALUES ('expire', 20::bigint, 0::bigint, 20::bigint, 100::bigint, true),
                           ('expire', 20::bigint, 0::bigint, 20::bigint, 100::bigint, true),
                           ('expire', 40::bigint, 40::bigint, 0::bigint, 100::bigint, true)$$,
                  'one key-less entry per remainder, split by class; what the user saw does not change');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance('f0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (100::bigint, 100::bigint, 0::bigint)$$, 'the balance is what it was');
SELECT is((SELECT balance FROM wallet.wallets WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1),
          100::bigint, 'and now the ledger agrees');
SELECT is((SELECT next_expiry FROM wallet.wallets WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1),
          NULL, 'no open lot expires any more');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');

SELECT wallet_open_account('f0000000-0000-4000-8000-000000000002', 'Expiry of holds');
CREATE TEMP TABLE acct2 AS SELECT account_id FROM wallet.accounts WHERE user_id = 'f0000000-0000-4000-8000-000000000002';
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000002', 1, 50, 'p3');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000002', 1, 20, 'b3', '{}', now() + interval '1 day');
SELECT * FROM wallet_hold('f0000000-0000-4000-8000-000000000002', 1, 30, 'h1');  -- the free 20, then 10 paid
SELECT * FROM wallet_hold('f0000000-0000-4000-8000-000000000002', 1, 5, 'h2');
-- time passes: both holds and the free lot have expired
UPDATE wallet.holds SET expires_at = now() - interval '1 minute' WHERE account_id = (SELECT account_id FROM acct2);
UPDATE wallet.lots SET expires_at = now() - interval '1 minute'
WHERE account_id = (SELECT account_id FROM acct2) AND expires_at IS NOT NULL;
UPDATE wallet.wallets SET next_expiry = now() - interval '1 minute', next_hold_expiry = now() - interval '1 minute'
WHERE account_id = (SELECT account_id FROM acct2);
SELECT results_eq($$SELECT balance, held, available FROM wallet_balance('f0000000-0000-4000-8000-000000000002') WHERE asset_type_id = 1$$,
                  $$VALUES (50::bigint, 0::bigint, 50::bigint)$$,
                  'expired holds hold nothing before the sweep, and the expired lot''s reserved credit is gone');
SELECT results_eq($$SELECT * FROM wallet_expire(1)$$, $$VALUES (0, 1)$$, 'a sweep releases at most p_limit holds');
SELECT results_eq($$SELECT * FROM wallet_expire()$$, $$VALUES (0, 1)$$, 'the next one the rest');
SELECT results_eq($$SELECT state, count(*)::int FROM wallet.holds WHERE account_id = (SELECT account_id FROM acct2) GROUP BY 1$$,
                  $$VALUES ('expired', 2)$$, 'each hold expires once');
SELECT results_eq($$SELECT kind, amount, balance_after FROM wallet_history('f0000000-0000-4000-8000-000000000002', 1, NULL, 1)$$,
                  $$VALUES ('expire', -20::bigint, 50::bigint)$$,
                  'the free credit expired as its hold was released; what the user saw does not change');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after the holds expired');

SELECT * FROM finish();
ROLLBACK;

-- wallet_expire: one expire entry per expired remainder, at most p_limit per call, each
-- lot once; what callers see does not change; balances and lots stay proven.
BEGIN;
SELECT plan(9);

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

SELECT * FROM finish();
ROLLBACK;

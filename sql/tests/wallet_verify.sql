-- wallet_verify: no rows on a fresh database, after the dev seed and after activity;
-- one row per kind of inconsistency made by hand (as the owner, inside this rollback).
BEGIN;
SELECT plan(7);

SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent on a fresh database');
\i sql/seed/dev.sql
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after the dev seed');
SELECT * FROM wallet_spend('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32', 1, 10, 'v1');
SELECT * FROM wallet_bonus('b55709be-d0f6-467e-942c-cc04155ad54c', 2, 10, 'v2');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after activity');
SELECT results_eq($$SELECT asset_type_id, balance FROM wallet.system_balances ORDER BY 1$$,
                  $$SELECT asset_type_id, -sum(balance) FROM wallet.wallets GROUP BY 1 ORDER BY 1$$,
                  'the Treasury holds minus the user balances');

UPDATE wallet.wallets SET balance = balance + 1, paid = paid + 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32');
SELECT results_eq($$SELECT problem, expected, actual FROM wallet_verify() ORDER BY 1$$,
                  $$VALUES ('asset_does_not_sum_to_zero', 0::numeric, 1::numeric),
                           ('cached_balance_differs_from_ledger', 500::numeric, 501::numeric),
                           ('last_balance_after_differs_from_cache', 501::numeric, 500::numeric),
                           ('lots_differ_from_cache_paid', 501::numeric, 500::numeric)$$,
                  'a cached balance changed behind the ledger''s back is found');
UPDATE wallet.wallets SET balance = balance - 1, paid = paid - 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent again once repaired');

-- an entry between two user accounts, written around the functions
INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key, paid_amount)
SELECT a.account_id, 1, 'topup', b.account_id, a.account_id, 1, 991, 'forged', 1
FROM wallet.accounts a, wallet.accounts b
WHERE a.user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32' AND b.user_id = 'b55709be-d0f6-467e-942c-cc04155ad54c';
SELECT results_eq($$SELECT problem FROM wallet_verify() ORDER BY 1$$,
                  ARRAY['asset_does_not_sum_to_zero', 'cached_balance_differs_from_ledger', 'credit_without_lot',
                        'entry_counterparty_not_system', 'last_balance_after_differs_from_cache'],
                  'an entry written around the functions is found');

SELECT * FROM finish();
ROLLBACK;
